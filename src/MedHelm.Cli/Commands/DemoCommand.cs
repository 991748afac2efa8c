using System.CommandLine;
using MedHelm.Cli.Hosting;
using MedHelm.Gguf.TestModels;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>medhelm demo</c>: the main job on a fresh machine. Generates a tiny random-weight model and three random-weight
/// judges (once; same settings, same bytes), then runs every benchmark that has a bundled sample as one durable run
/// (<c>medhelm run --suite demo</c>): closed benchmarks scored by their metrics, open-ended ones by the three-judge
/// jury, everything stored in SQLite and printed as a leaderboard with the jury's report.
/// </summary>
internal static class DemoCommand
{
    private static readonly int[] JudgeSeeds = [101, 202, 303];

    public static Command Build()
    {
        var model = new Option<string?>("--model", "-m") { Description = "A model name from appsettings.json (Models section) or a GGUF file, instead of the generated test model." };
        var benchmarks = new Option<string?>("--benchmarks", "-b") { Description = "Comma-separated benchmarks instead of every bundled sample." };
        var maxInstances = new Option<int?>("--max-instances") { Description = "Instances per benchmark (default: Demo:MaxInstances, 5; 0 = every instance of the samples)." };
        var mode = new Option<string>("--mode") { Description = "Scoring mode: corrected (default) or helm (the reference behaviour).", DefaultValueFactory = _ => "corrected" };
        mode.AcceptOnlyFromAmong("corrected", "helm");
        var noJury = new Option<bool>("--no-jury") { Description = "Skip the generated jury (open-ended benchmarks are then skipped)." };
        var noBertScore = new Option<bool>("--no-bertscore") { Description = "Skip BERTScore of the open-ended answers (by default computed with a generated BERT model)." };
        var command = new Command("demo",
            "Evaluate a local model (default: a generated tiny one) on the bundled sample of every benchmark, with a jury of three " +
            "generated judges for the open-ended ones (and BERTScore with a generated BERT model), through llama.cpp in-process; store the run in SQLite and print the leaderboard.")
        {
            model, benchmarks, maxInstances, mode, noJury, noBertScore,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (host, token) =>
        {
            var demo = host.Options<DemoOptions>();
            var subset = RunCommand.Split(parse.GetValue(benchmarks));
            var modelArgument = parse.GetValue(model) ?? EnsureTestModel(host, demo);
            VerifyAgainstManifest(host, modelArgument, demo); // a refused model stops the demo before anything is written
            IReadOnlyList<string> jury = parse.GetValue(noJury) ? ["none"] : JudgeSeeds.Select((seed, i) => EnsureJudge(host, demo, i + 1, seed)).ToArray();
            // without a jury the open-ended benchmarks are skipped, so there is nothing for BERTScore either
            var bertScore = parse.GetValue(noJury) || parse.GetValue(noBertScore) ? null : EnsureBertModel(host, demo);
            var arguments = new RunCommand.RunArguments(
                subset, subset.Count == 0 ? RunCommand.DemoSuite : null, [modelArgument], jury,
                (parse.GetValue(maxInstances) ?? demo.MaxInstances) is > 0 and var n ? n : null, RunId: null, Resume: false,
                parse.GetValue(mode), bertScore);
            return RunCommand.RunAsync(host, arguments, token);
        }));
        return command;
    }

    /// <summary>A model the manifest lists must have its recorded SHA-256 (the run checks it too, after opening the database).</summary>
    private static void VerifyAgainstManifest(CliHost host, string modelArgument, DemoOptions demo)
    {
        var (_, path, _) = host.ResolveModel(modelArgument, demo.Sequences, demo.ContextPerSequence);
        ModelManifest.Load(host.ResolvePath("models/manifest.json")).Verify(path, ModelsCommand.Sha256(path));
    }

    /// <summary>Generates the demo model on first use (deterministic: same settings, same bytes).</summary>
    private static string EnsureTestModel(CliHost host, DemoOptions demo) =>
        Ensure(host, demo, $"medhelm-test-llama-{demo.Layers}l-{demo.Embedding}.gguf", new TestModelSpec { Kind = TestModelKind.Llama, Layers = demo.Layers, Embd = demo.Embedding, Seed = 42 }, "the demo model");

    /// <summary>A demo judge: the smallest model that decodes a verdict under the grammar (its ratings are noise).</summary>
    private static string EnsureJudge(CliHost host, DemoOptions demo, int number, int seed) =>
        Ensure(host, demo, $"medhelm-test-judge-{number}.gguf",
            new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = seed, ContextLength = 16384 }, $"demo judge {number}");

    /// <summary>The demo's BERTScore encoder: a small random-weight BERT model (its scores are noise too).</summary>
    private static string EnsureBertModel(CliHost host, DemoOptions demo) =>
        Ensure(host, demo, "medhelm-test-bert.gguf", new TestModelSpec { Kind = TestModelKind.Bert, Layers = 1, Embd = 64, Seed = 404 }, "the demo BERTScore model");

    private static string Ensure(CliHost host, DemoOptions demo, string fileName, TestModelSpec spec, string what)
    {
        var folder = PrivateFolder.Ensure(host.ResolvePath(demo.ModelsFolder));
        var path = Path.Combine(folder, fileName);
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"Generating {what} {path} (random weights{(spec.Kind == TestModelKind.Bert ? "" : ", Llama 3 template")}) ...");
            TestModelFactory.Write(spec, path);
        }

        return path;
    }
}
