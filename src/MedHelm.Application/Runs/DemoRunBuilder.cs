using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Gguf.TestModels;
using Microsoft.Extensions.Options;

namespace MedHelm.Application.Runs;

/// <summary>What the demo was asked for.</summary>
/// <param name="Model">A Models name or GGUF file instead of the two generated test models, or null.</param>
/// <param name="Benchmarks">A subset of the bundled benchmarks (empty: every one).</param>
/// <param name="MaxInstances">Instances per benchmark (null: Demo:MaxInstances; 0: all).</param>
/// <param name="Mode">Scoring mode, or null for corrected.</param>
/// <param name="Jury">False: no generated jury (open-ended benchmarks are then skipped).</param>
/// <param name="BertScore">False: no BERTScore.</param>
public sealed record DemoRequest(string? Model, IReadOnlyList<string> Benchmarks, int? MaxInstances, string? Mode, bool Jury = true, bool BertScore = true);

/// <summary>
/// The demo: generates (once; same settings, same bytes) two tiny random-weight models, three random-weight judges and a
/// random-weight BERT model, and turns a <see cref="DemoRequest"/> into the run of every bundled sample; the CLI then
/// writes the decision report (<see cref="ReportPath"/>).
/// </summary>
public sealed class DemoRunBuilder(MedHelmPaths paths, ModelResolver resolver, IOptions<DemoOptions> options)
{
    private static readonly int[] JudgeSeeds = [101, 202, 303];

    /// <summary>Where the demo writes the decision report of run <paramref name="runId"/>: data/reports/RUN_ID.html (owner-only folder).</summary>
    public string ReportPath(string runId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        return Path.Combine(PrivateFolder.Ensure(Path.Combine(paths.DataFolder, "reports")), runId + ".html");
    }

    /// <summary>The run request of the demo; generates the models it needs, telling <paramref name="observer"/>.</summary>
    /// <exception cref="Errors.ConflictException">The model is in models/manifest.json with another SHA-256.</exception>
    public RunRequest Build(DemoRequest request, IRunObserver observer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(observer);
        var demo = options.Value;
        // two generated models so the report has a leaderboard to rank: the configured one and a smaller, cheaper one
        // (1 layer, 64 wide, like the judges), so the cost chart has two different costs; or the one model asked for
        IReadOnlyList<string> models = request.Model is { } asked
            ? [asked]
            :
            [
                Ensure($"medhelm-test-llama-{demo.Layers}l-{demo.Embedding}.gguf",
                    new TestModelSpec { Kind = TestModelKind.Llama, Layers = demo.Layers, Embd = demo.Embedding, Seed = 42 }, "demo model 1", observer),
                Ensure("medhelm-test-llama-small-1l-64.gguf", new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = 43 }, "demo model 2 (smaller)", observer),
            ];

        // a refused model stops the demo before anything is written (the run checks it too)
        foreach (var model in models)
        {
            var resolved = resolver.Resolve(model, demo.Sequences, demo.ContextPerSequence);
            ModelManifest.Load(paths.Resolve("models/manifest.json")).Verify(resolved.Path, ModelFiles.Sha256(resolved.Path));
        }

        // a demo judge is the smallest model that decodes a verdict under the grammar (its ratings are noise)
        IReadOnlyList<string> jury = !request.Jury
            ? ["none"]
            : JudgeSeeds.Select((seed, i) => Ensure($"medhelm-test-judge-{i + 1}.gguf",
                new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = seed, ContextLength = 16384 }, $"demo judge {i + 1}", observer)).ToArray();

        // without a jury the open-ended benchmarks are skipped, so there is nothing for BERTScore either
        var bertScore = !request.Jury || !request.BertScore
            ? null
            : Ensure("medhelm-test-bert.gguf", new TestModelSpec { Kind = TestModelKind.Bert, Layers = 1, Embd = 64, Seed = 404 }, "the demo BERTScore model", observer);
        return new RunRequest(
            request.Benchmarks, request.Benchmarks.Count == 0 ? RunSuites.Demo : null, models, jury,
            (request.MaxInstances ?? demo.MaxInstances) is > 0 and var n ? n : null, RunId: null, Resume: false, request.Mode, bertScore, Samples: true);
    }

    private string Ensure(string fileName, TestModelSpec spec, string what, IRunObserver observer)
    {
        var folder = PrivateFolder.Ensure(paths.Resolve(options.Value.ModelsFolder));
        var path = Path.Combine(folder, fileName);
        if (!File.Exists(path))
        {
            observer.Notice($"Generating {what} {path} (random weights{(spec.Kind == TestModelKind.Bert ? "" : ", Llama 3 template")}) ...");
            TestModelFactory.Write(spec, path);
        }

        return path;
    }
}
