using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MedHelm.Cli.Hosting;
using MedHelm.Core.Catalog;
using MedHelm.Core.Ledger;
using MedHelm.Core.Metrics;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Results;
using MedHelm.Evaluation.Running;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;
using MedHelm.Application.Ports;
using MedHelm.Storage;
using Microsoft.Extensions.Logging;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>medhelm run</c>: evaluates models × benchmarks as one durable run. Every model call has a ledger key; what
/// the database already holds is reused, the rest computed and committed as it is produced, so a crash or Ctrl+C
/// costs only the requests in flight and <c>--run-id ID --resume</c> carries on.
/// </summary>
internal static partial class RunCommand
{
    public const string DemoSuite = "demo";
    public const string PublicSuite = "medhelm-public";
    public const string AllSuite = "medhelm-all";

    private static readonly JsonSerializerOptions PlanJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static Command Build()
    {
        var benchmarks = new Option<string?>("--benchmarks", "-b") { Description = "Comma-separated benchmark names (see `benchmarks list`)." };
        var suite = new Option<string?>("--suite", "-s") { Description = $"A suite instead of --benchmarks: {PublicSuite}, {AllSuite} (whatever is imported) or {DemoSuite} (bundled excerpts)." };
        suite.AcceptOnlyFromAmong(PublicSuite, AllSuite, DemoSuite);
        var models = new Option<string?>("--models", "-m") { Description = "Comma-separated models: Models names or GGUF files (local), or Endpoints names (hosted, when an administrator enabled them)." };
        var jury = new Option<string?>("--jury") { Description = "Comma-separated judges that rate open-ended benchmarks: Models or Endpoints names from appsettings.json, or GGUF files; local ones are loaded one after another. Default: Jury:Judges; 'none' for no jury." };
        var maxInstances = new Option<int?>("--max-instances") { Description = "Evaluate only the first N instances of each benchmark." };
        var runId = new Option<string?>("--run-id") { Description = "Id of the run (default: generated). With --resume: the run to continue." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run --run-id with its stored settings: only what is not stored yet is computed." };
        var mode = new Option<string?>("--mode") { Description = "Scoring mode: corrected (default) or helm." };
        mode.AcceptOnlyFromAmong("corrected", "helm");
        var bertScoreModel = new Option<string?>("--bertscore-model")
        {
            Description = "Also store BERTScore-F1 of every open-ended answer with a reference (secondary, off the leaderboard), computed after the jury " +
                "with this BERT-family GGUF model (Models name or file). Default: off.",
        };
        var command = new Command("run", "Evaluate models on benchmarks as a durable, resumable run stored in the results database.")
        {
            benchmarks, suite, models, jury, maxInstances, runId, resume, mode, bertScoreModel,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (host, token) =>
        {
            var arguments = new RunArguments(
                Split(parse.GetValue(benchmarks)), parse.GetValue(suite), Split(parse.GetValue(models)), Split(parse.GetValue(jury)),
                parse.GetValue(maxInstances), parse.GetValue(runId), parse.GetValue(resume), parse.GetValue(mode), parse.GetValue(bertScoreModel));
            return RunAsync(host, arguments, token);
        }));
        return command;
    }

    /// <summary>What was asked for on the command line; stored with the run (as <see cref="RunPlan"/>).</summary>
    internal sealed record RunArguments(
        IReadOnlyList<string> Benchmarks, string? Suite, IReadOnlyList<string> Models, IReadOnlyList<string> Jury,
        int? MaxInstances, string? RunId, bool Resume, string? Mode, string? BertScoreModel = null);

    /// <summary>
    /// The settings of a run as stored in its configuration ("plan"): a resume repeats exactly these.
    /// <paramref name="BertScoreModel"/>: the <c>--bertscore-model</c> argument, null when BERTScore is off (and in plans
    /// stored before the option existed).
    /// </summary>
    internal sealed record RunPlan(
        string? Suite, IReadOnlyList<string> Benchmarks, IReadOnlyList<string> Models, IReadOnlyList<string> Jury, int? MaxInstances, string Mode,
        [property: JsonPropertyName("bertscore_model")] string? BertScoreModel = null);

    private sealed record PlannedBenchmark(BenchmarkDefinition Definition, string DatasetSha256, string Source, IReadOnlyList<BenchmarkInstance> Instances)
    {
        /// <summary>Which instances of the import are evaluated: "test" (the import also holds other splits) or "all".</summary>
        public string Split { get; init; } = "all";
    }

    private sealed record SkippedBenchmark(string Name, string Reason);

    private sealed record PreparedModel(
        string Argument, string Name, string Path, LocalModelOptions Settings, string Sha256, long SizeBytes,
        string? Architecture, string Quantization, long Parameters)
    {
        /// <summary>The hosted endpoint serving this model, or null for a local GGUF model (then <see cref="Path"/> is its file).</summary>
        public EndpointOptions? Endpoint { get; init; }

        /// <summary>The model's identity in ledger keys: the GGUF file's SHA-256, or the endpoint and the model it serves.</summary>
        public string Identity => Endpoint is { } e ? LedgerKey.Endpoint(Name, e.Model) : LedgerKey.LocalModel(Sha256);

        public IReadOnlyDictionary<string, string> DecodingExtras => Settings.Reasoning.Enabled
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["reasoning"] = "on",
                ["thinking_budget"] = Settings.Reasoning.ThinkingBudget.ToString(CultureInfo.InvariantCulture),
                ["starts_in_reasoning"] = Settings.Reasoning.StartsInReasoning ? "true" : "false",
            }
            : new Dictionary<string, string>(StringComparer.Ordinal);
    }

    internal static async Task<int> RunAsync(CliHost host, RunArguments arguments, CancellationToken cancellationToken)
    {
        var storage = host.Options<StorageOptions>();
        var demo = host.Options<DemoOptions>();
        var inference = host.Options<LlamaRuntimeOptions>();
        var logger = host.Logger("MedHelm.Run");

        // A given --bertscore-model is checked (and hashed) before anything, the database included, is written.
        var bertScore = arguments.BertScoreModel is { } bertArgument ? PrepareBertScoreModel(host, bertArgument) : null;
        var dataFolder = PrivateFolder.Ensure(host.ResolvePath(storage.DataFolder));
        var databasePath = Path.Combine(dataFolder, storage.DatabaseFile);
        await using var store = await SqliteResultStore.OpenAsync(databasePath, cancellationToken);

        // 1. The plan: from the command line, or — on --resume — from the stored run.
        RunRecord? existing = null;
        RunPlan plan;
        JsonObject? storedConfig = null;
        if (arguments.Resume)
        {
            if (string.IsNullOrWhiteSpace(arguments.RunId))
            {
                throw new ArgumentException("--resume needs --run-id: the run to continue (see `medhelm runs list`).");
            }

            existing = await store.GetRunAsync(arguments.RunId, cancellationToken)
                ?? throw new ArgumentException($"There is no run '{arguments.RunId}' in {databasePath} to resume (see `medhelm runs list`).");
            storedConfig = JsonNode.Parse(existing.ConfigurationJson) as JsonObject;
            plan = storedConfig?["plan"]?.Deserialize<RunPlan>(PlanJson)
                ?? throw new InvalidDataException($"Run '{existing.RunId}' was not started by `medhelm run` (it has no stored plan) and cannot be resumed.");
            CheckResumeArguments(arguments, plan);
        }
        else
        {
            if (arguments.Models.Count == 0)
            {
                throw new ArgumentException("--models is required: model names from appsettings.json or GGUF files, comma-separated.");
            }

            if ((arguments.Suite is null) == (arguments.Benchmarks.Count == 0))
            {
                throw new ArgumentException("Give either --benchmarks a,b or --suite NAME (medhelm-public, medhelm-all, demo).");
            }

            if (arguments.MaxInstances is < 1)
            {
                throw new ArgumentException("--max-instances must be at least 1.");
            }

            if (arguments.RunId is { } id && await store.GetRunAsync(id, cancellationToken) is not null)
            {
                throw new ArgumentException($"Run '{id}' already exists; add --resume to continue it, or choose another --run-id.");
            }

            plan = new RunPlan(
                arguments.Suite, arguments.Benchmarks, arguments.Models, JudgesFor(arguments.Jury, host.Options<JuryOptions>()), arguments.MaxInstances,
                arguments.Mode ?? "corrected", arguments.BertScoreModel);
        }

        var runId = existing?.RunId ?? arguments.RunId ?? $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        if (plan.BertScoreModel is { } storedBert)
        {
            // a resume scores with the embedding model it started with: the same argument, the same file
            bertScore ??= PrepareBertScoreModel(host, storedBert);
            CheckStoredBertScoreModel(runId, bertScore, storedConfig);
        }

        // 2. Models (hashed and read, not loaded) and data.
        var models = PrepareModels(host, plan.Models, demo);

        var storedModels = storedConfig?["models"]?.AsArray().OfType<JsonObject>()
            .ToDictionary(m => (string)m["name"]!, m => (string)m["sha256"]!, StringComparer.Ordinal);
        if (storedModels is not null)
        {
            foreach (var model in models)
            {
                if (model.Endpoint is null && storedModels.TryGetValue(model.Name, out var sha) && !string.Equals(sha, model.Sha256, StringComparison.Ordinal))
                {
                    throw new InvalidDataException(
                        $"Run '{runId}' used {model.Name} with SHA-256 {sha}; {model.Path} now has {model.Sha256}. A resumed run must use the same model file; start a new run instead.");
                }
            }
        }

        var storedDatasets = storedConfig?["benchmarks"]?.AsArray().OfType<JsonObject>()
            .ToDictionary(b => (string)b["name"]!, b => (string)b["dataset_sha256"]!, StringComparer.Ordinal);
        var (planned, skipped) = await PlanBenchmarksAsync(store, plan, storedDatasets, cancellationToken);
        var mode = plan.Mode == "helm" ? ScoringMode.Helm : ScoringMode.Corrected;
        var juried = planned.Where(b => EvaluationRunner.NeedsJury(b.Definition)).ToArray();
        CheckEndpointModels(host, models, planned); // a hosted model that may not see a benchmark's data stops the run now
        var judgeNames = CheckJudges(host, plan.Jury, juried, demo); // a missing judge or a forbidden endpoint fails now, not after the generation
        var ehrSql = PrepareEhrSqlDatabase(host, dataFolder, planned, storedConfig); // EHRSQL execution database (RunCommand.Planning.cs)

        var runtime = host.InitializeLlama();
        var threads = inference.EffectiveThreads;
        var configuration = existing?.ConfigurationJson
            ?? WithBertScoreModel(WithEhrSqlDatabase(Configuration(plan, models, judgeNames, planned, skipped, runtime, threads), ehrSql), bertScore);
        var started = existing?.StartedUtc ?? DateTimeOffset.UtcNow;
        var run = new RunRecord(runId, started, null, configuration, Provenance.AppVersion(), runtime.LlamaCppVersion, Provenance.Machine(runtime), RunStatus.Running)
        {
            GpuDescription = Provenance.Gpus(runtime),
        };

        foreach (var model in models)
        {
            await store.RegisterModelAsync(
                model.Name, model.Path, model.Endpoint is null ? model.Sha256 : null, model.Endpoint is null ? model.SizeBytes : null,
                model.Architecture, model.Quantization, model.Endpoint is null ? model.Parameters : null, cancellationToken);
        }

        await store.SaveRunAsync(run, cancellationToken);
        await store.AppendAuditAsync(runId, existing is null ? "run_started" : "run_resumed", JsonSerializer.Serialize(new
        {
            models = models.Select(m => new { m.Name, m.Sha256 }),
            benchmarks = planned.Select(b => new { b.Definition.Name, b.DatasetSha256, instances = Take(b.Instances, plan.MaxInstances).Count }),
            skipped = skipped.Select(s => s.Name),
            bertscore_model = bertScore is null ? null : new { bertScore.Name, bertScore.Sha256 },
            previous_status = existing?.Status.ToString(),
        }), cancellationToken);

        Console.Error.WriteLine(existing is null
            ? $"run {runId}: {models.Count} model(s) × {planned.Count} benchmark(s), database {databasePath}"
            : $"run {runId}: resuming ({existing.Status.ToString().ToLowerInvariant()} before), {models.Count} model(s) × {planned.Count} benchmark(s)");
        foreach (var s in skipped)
        {
            Console.Error.WriteLine($"skipped {s.Name}: {s.Reason}");
        }

        // 3. Evaluate, one model at a time; every result goes through the ledger's single writer.
        var computed = 0;
        var reused = 0;
        var bars = models.SelectMany(m => planned.Select(b => (Key(m, b), $"{m.Name} × {b.Definition.Name}", Take(b.Instances, plan.MaxInstances).Count))).ToArray();
        await using var ledger = store.OpenLedger();
        IReadOnlyList<RunJuryReports.Entry> juryReports = [];
        var refused = new List<(string Model, string Benchmark, IReadOnlyList<RejectedInstance> Instances)>();
        try
        {
            await RunProgress.RunAsync(bars, async progress =>
            {
                foreach (var model in models)
                {
                    using var opened = OpenModel(host, model, planned, threads);
                    var client = opened.Client;
                    var runner = new EvaluationRunner(host.Logger("MedHelm.Evaluation"), new EvaluationRunnerOptions { MaxConcurrency = opened.Concurrency });
                    foreach (var benchmark in planned)
                    {
                        var request = new EvaluationRequest(runId, model.Name, benchmark.Definition, benchmark.Instances, mode, plan.MaxInstances)
                        {
                            GenerateOnly = EvaluationRunner.NeedsJury(benchmark.Definition),
                            EhrSqlDatabasePath = ehrSql?.Path,
                            EhrSqlQueryTimeout = ehrSql?.QueryTimeout,
                            EhrSqlMaxRows = ehrSql?.MaxRows,
                            StoreSecondaryMetrics = true,
                            Ledger = new LedgerContext(ledger, model.Identity, benchmark.DatasetSha256, model.DecodingExtras),
                        };
                        var outcome = await runner.ExecuteAsync(request, client, progress.For(Key(model, benchmark)), cancellationToken);
                        computed += outcome.Computed;
                        reused += outcome.Reused;
                        if (outcome.Rejected.Count > 0)
                        {
                            refused.Add((model.Name, benchmark.Definition.Name, outcome.Rejected));
                        }
                    }
                }

                return 0;
            });

            // 3b. The jury: open-ended outputs rated by each judge in turn, then scored.
            await ledger.FlushAsync(cancellationToken);
            juryReports = await RunJuryAsync(host, store, runId, plan, juried, demo, threads, cancellationToken);

            // 3c. BERTScore (--bertscore-model): after the jury, whose judges are released by then: one model in memory at a time.
            await RunBertScoreAsync(host, store, runId, bertScore, juried, mode, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await ledger.FlushAsync(CancellationToken.None);
            await store.SaveRunAsync(run with { FinishedUtc = DateTimeOffset.UtcNow, Status = RunStatus.Cancelled }, CancellationToken.None);
            await store.AppendAuditAsync(runId, "run_cancelled", JsonSerializer.Serialize(new { computed, reused, committed = ledger.Committed }), CancellationToken.None);
            await Console.Error.WriteLineAsync($"Stopped: {ledger.Committed} results of this attempt are stored. Resume with: medhelm run --run-id {runId} --resume");
            throw;
        }
        catch (Exception e)
        {
            await ledger.FlushAsync(CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
            await store.SaveRunAsync(run with { FinishedUtc = DateTimeOffset.UtcNow, Status = RunStatus.Failed }, CancellationToken.None);
            await store.AppendAuditAsync(runId, "run_failed", JsonSerializer.Serialize(new { error = e.GetType().Name, computed, reused }), CancellationToken.None);
            await Console.Error.WriteLineAsync($"Run {runId} failed; what was stored is kept. After fixing the cause: medhelm run --run-id {runId} --resume");
            throw;
        }

        await ledger.FlushAsync(cancellationToken);
        if (refused.Count > 0)
        {
            await store.AppendAuditAsync(runId, "instances_refused", JsonSerializer.Serialize(refused.Select(r => new
            {
                model = r.Model,
                benchmark = r.Benchmark,
                instances = r.Instances.Select(i => new { id = i.InstanceId, reason = i.Reason }),
            })), CancellationToken.None);
        }

        var finished = run with { FinishedUtc = DateTimeOffset.UtcNow, Status = RunStatus.Completed };
        await store.SaveRunAsync(finished, CancellationToken.None);
        await store.AppendAuditAsync(runId, "run_completed", JsonSerializer.Serialize(new { computed, reused }), CancellationToken.None);

        // 4. Report.
        var rows = await store.GetLeaderboardAsync(runId, cancellationToken);
        Console.Out.WriteLine(rows.Count == 0 ? "No results." : Leaderboard.FormatTable(rows));
        if (juryReports.Count > 0)
        {
            Console.Out.WriteLine();
            Console.Out.Write(RunJuryReports.Format(juryReports));
            Console.Out.WriteLine();
        }

        foreach (var s in skipped)
        {
            Console.Out.WriteLine($"skipped  {s.Name}: {s.Reason}");
        }

        foreach (var (model, benchmark, instances) in refused)
        {
            Console.Out.WriteLine(
                $"refused  {model} × {benchmark}: {instances.Count} instance(s) not evaluated ({string.Join(", ", instances.Take(3).Select(i => i.InstanceId))}" +
                $"{(instances.Count > 3 ? ", …" : "")}): {instances[0].Reason}");
        }

        if (refused.Count > 0)
        {
            Console.Out.WriteLine($"after fixing the cause, compute the refused instances with: medhelm run --run-id {runId} --resume");
        }

        Console.Out.WriteLine(computed == 0
            ? $"run {runId} completed: nothing new computed, all {reused} results reused from the database"
            : $"run {runId} completed: {computed} computed, {reused} reused from the database");
        Console.Out.WriteLine($"details: medhelm runs show {runId} --json");
        logger.LogInformation("Run {RunId} completed: {Computed} computed, {Reused} reused, {Skipped} benchmarks skipped", runId, computed, reused, skipped.Count);
        return CommandRunner.Ok;
    }

    private static ImportedDataset LoadBundled(string benchmark)
    {
        var importer = DatasetImporters.Find(benchmark)
            ?? throw new InvalidOperationException($"No importer for the bundled excerpt of {benchmark}.");
        var folder = Directory.CreateTempSubdirectory("medhelm-bundled-");
        try
        {
            BundledSamples.Extract(benchmark, folder.FullName);
            return DatasetImport.Import(importer, folder.FullName);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string Configuration(
        RunPlan plan, IReadOnlyList<PreparedModel> models, IReadOnlyList<string> judges, IReadOnlyList<PlannedBenchmark> planned, IReadOnlyList<SkippedBenchmark> skipped,
        LlamaRuntimeInfo runtime, int threads)
    {
        var config = new JsonObject
        {
            ["plan"] = JsonSerializer.SerializeToNode(plan, PlanJson),
            ["ledger_key"] = LedgerKey.Version,
            ["decoding"] = new JsonObject { ["temperature"] = 0, ["seed"] = 0, ["sample_index"] = 0, ["greedy"] = true },
            ["models"] = new JsonArray(models.Select(m => (JsonNode)new JsonObject
            {
                ["name"] = m.Name,
                ["argument"] = m.Argument,
                ["file"] = m.Endpoint is null ? m.Path : null,
                ["endpoint"] = m.Endpoint is { } e ? new JsonObject { ["base_url"] = e.BaseUrl, ["model"] = e.Model, ["allow_patient_data"] = e.AllowPatientData } : null,
                ["sha256"] = m.Endpoint is null ? m.Sha256 : null,
                ["size_bytes"] = m.SizeBytes,
                ["architecture"] = m.Architecture,
                ["quantization"] = m.Quantization,
                ["parameters"] = m.Parameters,
                ["settings"] = JsonSerializer.SerializeToNode(new
                {
                    gpu_layers = m.Settings.GpuLayers,
                    main_gpu = m.Settings.MainGpu,
                    tensor_split = m.Settings.TensorSplit,
                    flash_attention = m.Settings.FlashAttention,
                    sequences = m.Settings.Sequences,
                    context_per_sequence = m.Settings.ContextPerSequence,
                    batch = m.Settings.BatchSize,
                    micro_batch = m.Settings.MicroBatchSize,
                    prefix_reuse = m.Settings.PrefixReuse,
                    reasoning = m.DecodingExtras,
                }),
            }).ToArray()),
            ["jury"] = new JsonArray(judges.Select(j => (JsonNode)JsonValue.Create(j)!).ToArray()),
            ["benchmarks"] = new JsonArray(planned.Select(b => (JsonNode)new JsonObject
            {
                ["name"] = b.Definition.Name,
                ["dataset_sha256"] = b.DatasetSha256,
                ["source"] = b.Source,
                ["split"] = b.Split,
                ["instances"] = Take(b.Instances, plan.MaxInstances).Count,
                ["metric"] = b.Definition.MainMetric,
                ["max_tokens"] = b.Definition.MaxTokens,
                ["stop"] = new JsonArray(b.Definition.StopSequences.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
            }).ToArray()),
            ["skipped"] = new JsonArray(skipped.Select(s => (JsonNode)new JsonObject { ["name"] = s.Name, ["reason"] = s.Reason }).ToArray()),
            ["engine"] = new JsonObject
            {
                ["backend"] = runtime.Backend,
                ["llama_cpp"] = runtime.LlamaCppVersion,
                ["threads"] = threads,
                ["devices"] = new JsonArray(runtime.Devices.Select(d => (JsonNode)JsonValue.Create($"{d.Description} [{d.Type}]")!).ToArray()),
            },
        };
        return config.ToJsonString();
    }

    private static IReadOnlyList<BenchmarkInstance> Take(IReadOnlyList<BenchmarkInstance> instances, int? max) =>
        max is { } n && n < instances.Count ? instances.Take(n).ToArray() : instances;

    private static string Key(PreparedModel model, PlannedBenchmark benchmark) => model.Name + "\u0000" + benchmark.Definition.Name;

    internal static IReadOnlyList<string> Split(string? value) =>
        value is null ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
