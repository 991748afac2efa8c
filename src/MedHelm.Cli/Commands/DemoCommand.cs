using System.CommandLine;
using System.Text.Json;
using MedHelm.Cli.Hosting;
using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Results;
using MedHelm.Evaluation.Running;
using MedHelm.Gguf.TestModels;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;
using MedHelm.Storage;
using Microsoft.Extensions.Logging;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>medhelm demo</c>: the first end-to-end slice. A generated (or given) GGUF model answers the bundled PubMedQA
/// excerpt in-process through llama.cpp; answers are scored by exact match, stored in SQLite and shown as a
/// leaderboard row.
/// </summary>
internal static class DemoCommand
{
    public static Command Build()
    {
        var model = new Option<string?>("--model", "-m") { Description = "A model name from appsettings.json (Models section) or a GGUF file, instead of the generated test model." };
        var maxInstances = new Option<int?>("--max-instances") { Description = "Evaluate only the first N instances." };
        var mode = new Option<string>("--mode") { Description = "Scoring mode: corrected (default) or helm (the reference behaviour).", DefaultValueFactory = _ => "corrected" };
        mode.AcceptOnlyFromAmong("corrected", "helm");
        var command = new Command("demo",
            "Run PubMedQA (bundled excerpt) on a local model through llama.cpp, score it, store it in SQLite and print the leaderboard row.")
        {
            model, maxInstances, mode,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (host, token) =>
            RunAsync(host, parse.GetValue(model), parse.GetValue(maxInstances), parse.GetValue(mode) == "helm" ? ScoringMode.Helm : ScoringMode.Corrected, token)));
        return command;
    }

    private static async Task<int> RunAsync(CliHost host, string? modelArgument, int? maxInstances, ScoringMode mode, CancellationToken cancellationToken)
    {
        var demo = host.Options<DemoOptions>();
        var storage = host.Options<StorageOptions>();
        var inference = host.Options<LlamaRuntimeOptions>();
        var logger = host.Logger("MedHelm.Demo");

        var dataFolder = PrivateFolder.Ensure(host.ResolvePath(storage.DataFolder));
        var (configuredName, modelPath, modelSettings) = host.ResolveModel(modelArgument ?? EnsureTestModel(host, demo), demo.Sequences, demo.ContextPerSequence);
        var modelSha = ModelsCommand.Sha256(modelPath);
        var manifest = ModelManifest.Load(host.ResolvePath("models/manifest.json"));
        manifest.Verify(modelPath, modelSha);
        var modelName = manifest.FindByFile(modelPath)?.Name ?? configuredName;
        var runtime = host.InitializeLlama();

        var dataset = BundledSamples.OpenPubMedQa();
        var benchmark = BuiltInBenchmarks.PubMedQa;
        var instances = dataset.Instances.Take(maxInstances ?? int.MaxValue).ToArray();

        var databasePath = Path.Combine(dataFolder, storage.DatabaseFile);
        await using var store = await SqliteResultStore.OpenAsync(databasePath, cancellationToken);

        using var loaded = LlamaModel.Load(modelPath, modelSettings.ToModelSettings(), host.Logger("MedHelm.Models"));
        var engineOptions = modelSettings.ToEngineOptions(inference.EffectiveThreads);
        using var client = new LlamaChatClient(loaded, new LlamaChatClientOptions { ModelName = modelName, Engine = engineOptions }, host.Logger("MedHelm.Generation"));

        var runId = $"demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        var configuration = JsonSerializer.Serialize(new
        {
            suite = "demo",
            model = new { name = modelName, file = modelPath, sha256 = modelSha, description = loaded.Description },
            benchmark = benchmark.Name,
            dataset = dataset.SourceFiles,
            instances = instances.Length,
            scoring_mode = mode.ToString().ToLowerInvariant(),
            decoding = new { temperature = 0, max_tokens = benchmark.MaxTokens, stop = benchmark.StopSequences },
            engine = new
            {
                backend = runtime.Backend,
                llama_cpp = runtime.LlamaCppVersion,
                sequences = client.Context.Sequences,
                context_per_sequence = client.Context.ContextPerSequence,
                batch = client.Context.BatchSize,
                micro_batch = engineOptions.Context.MicroBatchSize,
                threads = engineOptions.Context.Threads,
                prefix_reuse = engineOptions.PrefixReuse,
                gpu_layers = modelSettings.GpuLayers,
                offloaded_layers = loaded.OffloadedLayers,
                reasoning = engineOptions.Reasoning,
            },
        });
        var started = DateTimeOffset.UtcNow;
        var run = new RunRecord(runId, started, null, configuration, Provenance.AppVersion(), runtime.LlamaCppVersion, Provenance.Machine(runtime), RunStatus.Running);
        await store.RegisterModelAsync(modelName, modelPath, modelSha, new FileInfo(modelPath).Length, cancellationToken);
        await store.RecordDatasetAsync(dataset, cancellationToken);
        await store.SaveRunAsync(run, cancellationToken);

        var runner = new EvaluationRunner(host.Logger("MedHelm.Evaluation"), new EvaluationRunnerOptions { MaxConcurrency = client.Context.Sequences });
        var request = new EvaluationRequest(runId, modelName, benchmark, instances, mode);
        IReadOnlyList<InstanceResult> results;
        try
        {
            results = await ProgressReporter.RunAsync($"{modelName} × {benchmark.Name}", instances.Length,
                progress => runner.RunAsync(request, client, progress, cancellationToken));
        }
        catch (OperationCanceledException)
        {
            await store.SaveRunAsync(run with { FinishedUtc = DateTimeOffset.UtcNow, Status = RunStatus.Cancelled }, CancellationToken.None);
            throw;
        }

        await store.WriteAsync(run with { FinishedUtc = DateTimeOffset.UtcNow, Status = RunStatus.Completed }, results, cancellationToken);
        var rows = await store.GetLeaderboardAsync(runId, cancellationToken);
        Console.Out.WriteLine();
        Console.Out.WriteLine(Leaderboard.FormatTable(rows));
        Console.Out.WriteLine();
        Console.Out.WriteLine($"run {runId} stored in {databasePath}");
        logger.LogInformation("Run {RunId} finished: {Count} results stored", runId, results.Count);
        return CommandRunner.Ok;
    }

    /// <summary>Generates the demo model on first use (deterministic: same settings, same bytes).</summary>
    private static string EnsureTestModel(CliHost host, DemoOptions demo)
    {
        var folder = PrivateFolder.Ensure(host.ResolvePath(demo.ModelsFolder));
        var path = Path.Combine(folder, $"medhelm-test-llama-{demo.Layers}l-{demo.Embedding}.gguf");
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"Generating the demo model {path} (random weights, Llama 3 template) ...");
            TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = demo.Layers, Embd = demo.Embedding, Seed = 42 }, path);
        }

        return path;
    }
}
