using System.Globalization;
using MedHelm.Application.Errors;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Policy;
using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Core.Ledger;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Private;
using MedHelm.Evaluation.EhrSql;
using MedHelm.Evaluation.Running;
using Microsoft.Extensions.Options;

namespace MedHelm.Application.Runs;

/// <summary>A benchmark of a run with the data it runs on.</summary>
/// <param name="Definition">The benchmark.</param>
/// <param name="DatasetSha256">The import's hash.</param>
/// <param name="Source">Where the data came from (an imported path, or <c>bundled:NAME</c>).</param>
/// <param name="Instances">The evaluated instances (the test split when the import has others).</param>
public sealed record PlannedBenchmark(BenchmarkDefinition Definition, string DatasetSha256, string Source, IReadOnlyList<BenchmarkInstance> Instances)
{
    /// <summary>Which instances of the import are evaluated: "test" (the import also holds other splits) or "all".</summary>
    public string Split { get; init; } = "all";

    /// <summary>True when the data is a bundled sample, not the site's own import.</summary>
    public bool Bundled => Source.StartsWith(RunPlanner.BundledSourcePrefix, StringComparison.Ordinal);
}

/// <summary>An evaluated model, prepared (hashed, read) but not loaded.</summary>
public sealed record PreparedModel(
    string Argument, string Name, string Path, LocalModelOptions Settings, string Sha256, long SizeBytes, string? Architecture, string Quantization, long Parameters)
{
    /// <summary>The hosted endpoint serving this model, or null for a local GGUF model (then <see cref="Path"/> is its file).</summary>
    public EndpointOptions? Endpoint { get; init; }

    /// <summary>The model's identity in ledger keys: the GGUF file's SHA-256, or the endpoint and the model it serves.</summary>
    public string Identity => Endpoint is { } e ? LedgerKey.Endpoint(Name, e.Model) : LedgerKey.LocalModel(Sha256);

    /// <summary>Decoding settings beyond temperature and seed that enter the ledger key (reasoning).</summary>
    public IReadOnlyDictionary<string, string> DecodingExtras => Settings.Reasoning.Enabled
        ? new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["reasoning"] = "on",
            ["thinking_budget"] = Settings.Reasoning.ThinkingBudget.ToString(CultureInfo.InvariantCulture),
            ["starts_in_reasoning"] = Settings.Reasoning.StartsInReasoning ? "true" : "false",
        }
        : new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>The database EHRSQL answers are executed against.</summary>
public sealed record EhrSqlDatabase(string Path, string Sha256, string Source, TimeSpan QueryTimeout, int MaxRows);

/// <summary>The embedding model of BERTScore, checked (not loaded) and hashed.</summary>
public sealed record BertScoreModel(string Argument, string Name, string Path, string Sha256, long SizeBytes, string Architecture, string Quantization, long Parameters);

/// <summary>Everything a run needs before any model is loaded.</summary>
public sealed record PlannedRun(
    string RunId,
    RunPlan Plan,
    Evaluation.Results.RunRecord? Existing,
    RunManifest? StoredManifest,
    IReadOnlyList<PreparedModel> Models,
    IReadOnlyList<PlannedBenchmark> Benchmarks,
    IReadOnlyList<SkippedBenchmark> Skipped,
    IReadOnlyList<string> JudgeNames,
    EhrSqlDatabase? EhrSql,
    BertScoreModel? BertScore)
{
    /// <summary>The open-ended benchmarks (rated by the jury).</summary>
    public IReadOnlyList<PlannedBenchmark> Juried { get; } = Benchmarks.Where(b => EvaluationRunner.NeedsJury(b.Definition)).ToArray();

    /// <summary>The instances of <paramref name="benchmark"/> the run evaluates per model.</summary>
    public IReadOnlyList<BenchmarkInstance> Take(PlannedBenchmark benchmark) => RunPlanner.Take(benchmark.Instances, Plan.MaxInstances);
}

/// <summary>
/// Turns a <see cref="RunRequest"/> into a <see cref="PlannedRun"/>: the plan (from the request, or on a resume from the
/// stored manifest, which must still match the files), the models (hashed, read), the benchmarks with their data, the
/// judges, the EHRSQL database and the BERTScore model. Every problem is found here, before anything is loaded.
/// </summary>
public sealed class RunPlanner(
    ModelResolver resolver,
    MedHelmPaths paths,
    IOptions<JuryOptions> jury,
    IOptions<DemoOptions> demo,
    IOptions<EhrSqlDatabaseOptions> ehrSql)
{
    /// <summary>Source path recorded for the bundled samples a run stores (not counted as imports).</summary>
    public const string BundledSourcePrefix = "bundled:";

    private const string TestSplit = "test";

    /// <summary>Architectures whose GGUF models encode text whole (llama.cpp's encoders), as BERTScore needs.</summary>
    private static readonly string[] EmbeddingArchitectures = ["bert", "nomic-bert"];

    /// <summary>Serving defaults of models given as files.</summary>
    public ModelDefaults FileModelDefaults => new(demo.Value.Sequences, demo.Value.ContextPerSequence);

    /// <summary>
    /// Plans <paramref name="request"/> against the results database, which is opened (and created) only after the
    /// checks that need no database: a refused BERTScore model leaves no database behind.
    /// </summary>
    public async Task<PlannedRun> PlanAsync(Lazy<IResultsDatabase> databaseSource, RunRequest request, IRunObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(databaseSource);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(observer);

        // A given BERTScore model is checked (and hashed) before anything else, the database included, is written.
        var bertScore = request.BertScoreModel is { } bertArgument ? PrepareBertScoreModel(bertArgument) : null;
        var database = databaseSource.Value;

        Evaluation.Results.RunRecord? existing = null;
        RunManifest? stored = null;
        RunPlan plan;
        if (request.Resume)
        {
            if (string.IsNullOrWhiteSpace(request.RunId))
            {
                throw new RequestValidationException("--resume needs --run-id: the run to continue (see `medhelm runs list`).");
            }

            existing = await database.GetRunAsync(request.RunId, cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"There is no run '{request.RunId}' in {database.Location} to resume (see `medhelm runs list`).");
            stored = RunManifestJson.Parse(existing.RunId, existing.ConfigurationJson)
                ?? throw new ConflictException($"Run '{existing.RunId}' was not started by `medhelm run` (it has no stored plan) and cannot be resumed.");
            plan = stored.Plan;
            CheckResumeArguments(request, plan);
        }
        else
        {
            if (request.Models.Count == 0)
            {
                throw new RequestValidationException("--models is required: model names from appsettings.json or GGUF files, comma-separated.");
            }

            if ((request.Suite is null) == (request.Benchmarks.Count == 0))
            {
                throw new RequestValidationException("Give either --benchmarks a,b or --suite NAME (medhelm-public, medhelm-all, demo).");
            }

            if (request.Suite is { } suite && suite is not (RunSuites.Demo or RunSuites.Public or RunSuites.All))
            {
                throw new RequestValidationException($"Unknown suite '{suite}' (use {RunSuites.Public}, {RunSuites.All} or {RunSuites.Demo}).");
            }

            if (request.MaxInstances is < 1)
            {
                throw new RequestValidationException("--max-instances must be at least 1.");
            }

            if (request.Mode is { } mode && mode is not ("corrected" or "helm"))
            {
                throw new RequestValidationException($"Unknown --mode '{mode}' (use corrected or helm).");
            }

            if (request.RunId is { } id && await database.GetRunAsync(id, cancellationToken).ConfigureAwait(false) is not null)
            {
                throw new ConflictException($"Run '{id}' already exists; add --resume to continue it, or choose another --run-id.");
            }

            plan = new RunPlan(
                request.Suite, request.Benchmarks, request.Models, JudgesFor(request.Jury), request.MaxInstances, request.Mode ?? "corrected",
                request.BertScoreModel, request.Samples);
        }

        var runId = existing?.RunId ?? request.RunId ?? $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        if (plan.BertScoreModel is { } storedBert)
        {
            // a resume scores with the embedding model it started with: the same argument, the same file
            bertScore ??= PrepareBertScoreModel(storedBert);
            if (stored?.BertscoreModel is { } storedModel && !string.Equals(storedModel.Sha256, bertScore.Sha256, StringComparison.Ordinal))
            {
                throw new ConflictException(
                    $"Run '{runId}' computed BERTScore with {storedModel.File} (sha256 {storedModel.Sha256}); --bertscore-model {bertScore.Argument} is now {bertScore.Path} with sha256 {bertScore.Sha256}. " +
                    "A resumed run must use the same embedding model file; start a new run instead.");
            }
        }

        var models = PrepareModels(plan.Models);
        if (stored is not null)
        {
            var storedModels = stored.Models.Where(m => m.Sha256 is not null).ToDictionary(m => m.Name, m => m.Sha256!, StringComparer.Ordinal);
            foreach (var model in models)
            {
                if (model.Endpoint is null && storedModels.TryGetValue(model.Name, out var sha) && !string.Equals(sha, model.Sha256, StringComparison.Ordinal))
                {
                    throw new ConflictException(
                        $"Run '{runId}' used {model.Name} with SHA-256 {sha}; {model.Path} now has {model.Sha256}. A resumed run must use the same model file; start a new run instead.");
                }
            }
        }

        var storedDatasets = stored?.Benchmarks.ToDictionary(b => b.Name, b => b.DatasetSha256, StringComparer.Ordinal);
        var (planned, skipped) = await PlanBenchmarksAsync(database, plan, storedDatasets, cancellationToken).ConfigureAwait(false);
        var juried = planned.Where(b => EvaluationRunner.NeedsJury(b.Definition)).ToArray();
        CheckEndpointModels(models, planned); // a hosted model that may not see a benchmark's data stops the run now
        var judgeNames = CheckJudges(plan.Jury, juried); // a missing judge or a forbidden endpoint fails now, not after the generation
        var ehrSqlDatabase = PrepareEhrSqlDatabase(planned, stored, observer);
        return new PlannedRun(runId, plan, existing, stored, models, planned, skipped, judgeNames, ehrSqlDatabase, bertScore);
    }

    /// <summary>A new run's manifest.</summary>
    public static RunManifest Manifest(PlannedRun run, EngineDescription engine)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(engine);
        return new RunManifest(
            run.Plan,
            LedgerKey.Version,
            new ManifestDecoding(0, 0, 0, true),
            run.Models.Select(m => new ManifestModel(
                m.Name,
                m.Argument,
                m.Endpoint is null ? m.Path : null,
                m.Endpoint is { } e ? new ManifestEndpoint(e.BaseUrl, e.Model, e.AllowPatientData) : null,
                m.Endpoint is null ? m.Sha256 : null,
                m.SizeBytes,
                m.Architecture,
                m.Quantization,
                m.Parameters,
                new ManifestModelSettings(
                    m.Settings.GpuLayers, m.Settings.MainGpu, m.Settings.TensorSplit, m.Settings.FlashAttention, m.Settings.Sequences,
                    m.Settings.ContextPerSequence, m.Settings.BatchSize, m.Settings.MicroBatchSize, m.Settings.PrefixReuse, m.DecodingExtras))).ToArray(),
            run.JudgeNames,
            run.Benchmarks.Select(b => new ManifestBenchmark(
                b.Definition.Name, b.DatasetSha256, b.Source, b.Split, run.Take(b).Count, b.Definition.MainMetric, b.Definition.MaxTokens,
                b.Definition.StopSequences.ToArray())
            {
                Data = DataOrigin(b),
            }).ToArray(),
            run.Skipped.Select(s => new ManifestSkipped(s.Name, s.Reason)).ToArray(),
            new ManifestEngine(engine.Backend, engine.LlamaCppVersion, engine.Threads, engine.Devices))
        {
            ManifestVersion = RunManifest.CurrentVersion,
            EhrSqlDatabase = run.EhrSql is { } db
                ? new ManifestEhrSqlDatabase(db.Path, db.Sha256, db.Source, db.QueryTimeout.TotalSeconds, db.MaxRows)
                : null,
            BertscoreModel = run.BertScore is { } bert
                ? new ManifestBertScoreModel(
                    bert.Name, bert.Argument, bert.Path, bert.Sha256, bert.SizeBytes, bert.Architecture, bert.Quantization, bert.Parameters,
                    Core.Metrics.BertScoreMetric.MetricName, Idf: false, Rescaled: false)
                : null,
        };
    }

    /// <summary>"imported" (the site's own data), "bundled" (a public excerpt shipped with MedHelm) or "synthetic" (a stand-in).</summary>
    public static string DataOrigin(PlannedBenchmark benchmark)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        return !benchmark.Bundled ? "imported" : benchmark.Definition.Access == AccessTier.Public ? "bundled" : "synthetic";
    }

    /// <summary>The first <paramref name="max"/> instances, or all.</summary>
    public static IReadOnlyList<BenchmarkInstance> Take(IReadOnlyList<BenchmarkInstance> instances, int? max)
    {
        ArgumentNullException.ThrowIfNull(instances);
        return max is { } n && n < instances.Count ? instances.Take(n).ToArray() : instances;
    }

    /// <summary>
    /// The judges of a run: the request's when given (<c>none</c>: no jury), else the <c>Jury:Judges</c> of appsettings.json.
    /// </summary>
    public IReadOnlyList<string> JudgesFor(IReadOnlyList<string> argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        if (argument.Count == 1 && string.Equals(argument[0], "none", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        var judges = argument.Count > 0 ? argument : jury.Value.Judges;
        if (judges.GroupBy(j => j, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new RequestValidationException($"The judge '{twice.Key}' is listed twice in {(argument.Count > 0 ? "--jury" : "Jury:Judges")}; each judge votes once.");
        }

        return judges.ToArray();
    }

    /// <summary>
    /// The name each judge's ratings are stored under: the endpoint or Models name, or a GGUF file's name without its
    /// folder and extension (the model's name everywhere else too).
    /// </summary>
    public IReadOnlyList<string> JudgeNames(IReadOnlyList<string> judges)
    {
        ArgumentNullException.ThrowIfNull(judges);
        var defaults = FileModelDefaults;
        var names = judges.Select(j => resolver.IsEndpoint(j) ? j : resolver.Resolve(j, defaults.Sequences, defaults.ContextPerSequence).Name).ToArray();
        if (names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new RequestValidationException($"Two judges would be stored under the same name '{twice.Key}'; give the judges distinct names (Models entries or file names).");
        }

        return names;
    }

    private static void CheckResumeArguments(RunRequest request, RunPlan plan)
    {
        static bool Same(IReadOnlyList<string> given, IReadOnlyList<string> stored) => given.Count == 0 || given.SequenceEqual(stored, StringComparer.Ordinal);
        var conflicts = new List<string>();
        if (!Same(request.Models, plan.Models))
        {
            conflicts.Add($"--models (stored: {string.Join(",", plan.Models)})");
        }

        if (!Same(request.Benchmarks, plan.Benchmarks))
        {
            conflicts.Add($"--benchmarks (stored: {string.Join(",", plan.Benchmarks)})");
        }

        if (request.Suite is { } s && s != plan.Suite)
        {
            conflicts.Add($"--suite (stored: {plan.Suite ?? "none"})");
        }

        if (request.MaxInstances is { } m && m != plan.MaxInstances)
        {
            conflicts.Add($"--max-instances (stored: {plan.MaxInstances?.ToString(CultureInfo.InvariantCulture) ?? "all"})");
        }

        if (request.Mode is { } mode && mode != plan.Mode)
        {
            conflicts.Add($"--mode (stored: {plan.Mode})");
        }

        if (request.BertScoreModel is { } bert && !string.Equals(bert, plan.BertScoreModel, StringComparison.Ordinal))
        {
            conflicts.Add($"--bertscore-model (stored: {plan.BertScoreModel ?? "none"})");
        }

        var judges = request.Jury is [var only] && string.Equals(only, "none", StringComparison.OrdinalIgnoreCase) ? [] : request.Jury;
        if (request.Jury.Count > 0 && !judges.SequenceEqual(plan.Jury, StringComparer.Ordinal))
        {
            conflicts.Add($"--jury (stored: {string.Join(",", plan.Jury)})");
        }

        if (conflicts.Count > 0)
        {
            throw new ConflictException(
                $"--resume continues run '{request.RunId}' with its stored settings; these differ: {string.Join("; ", conflicts)}. Leave them out, or start a new run.");
        }
    }

    private List<PreparedModel> PrepareModels(IReadOnlyList<string> arguments)
    {
        var manifest = ModelManifest.Load(paths.Resolve("models/manifest.json"));
        var defaults = FileModelDefaults;
        var models = new List<PreparedModel>();
        foreach (var argument in arguments)
        {
            PreparedModel model;
            if (resolver.IsEndpoint(argument))
            {
                var endpoints = resolver.Endpoints;
                if (!endpoints.Enabled)
                {
                    throw new PolicyViolationException(
                        $"'{argument}' is a hosted endpoint, and hosted endpoints are disabled on this appliance (an administrator sets Endpoints:Enabled).");
                }

                var endpoint = endpoints.Items[argument];
                model = new PreparedModel(argument, argument, endpoint.BaseUrl, new LocalModelOptions(), "", 0, "hosted", endpoint.Model, 0) { Endpoint = endpoint };
            }
            else
            {
                var resolved = resolver.Resolve(argument, defaults.Sequences, defaults.ContextPerSequence);
                var file = ModelFiles.Read(resolved.Path);
                manifest.Verify(resolved.Path, file.Sha256);
                var name = manifest.FindByFile(resolved.Path)?.Name ?? resolved.Name;
                model = new PreparedModel(
                    argument, name, resolved.Path, resolved.Settings, file.Sha256, file.SizeBytes, file.Architecture, file.Quantization, file.Parameters);
            }

            if (models.Any(m => string.Equals(m.Name, model.Name, StringComparison.Ordinal)))
            {
                throw new RequestValidationException($"The model '{model.Name}' is listed twice in --models.");
            }

            models.Add(model);
        }

        return models;
    }

    /// <summary>Every hosted model must be allowed to receive the data of every benchmark of the run: checked before any work.</summary>
    private void CheckEndpointModels(IReadOnlyList<PreparedModel> models, IReadOnlyList<PlannedBenchmark> planned)
    {
        foreach (var model in models.Where(m => m.Endpoint is not null))
        {
            foreach (var benchmark in planned)
            {
                HostedDataPolicy.EnsureAllowed(resolver.Endpoints, model.Name, benchmark.Definition.Access);
            }
        }
    }

    /// <summary>
    /// Checks every judge before any work starts: a local judge's file exists; a hosted judge's endpoints are enabled
    /// and it may receive the data of every open-ended benchmark of the run.
    /// </summary>
    private IReadOnlyList<string> CheckJudges(IReadOnlyList<string> judges, IReadOnlyList<PlannedBenchmark> juried)
    {
        var names = JudgeNames(judges);
        foreach (var judge in judges.Where(resolver.IsEndpoint))
        {
            foreach (var benchmark in juried)
            {
                HostedDataPolicy.EnsureAllowed(resolver.Endpoints, judge, benchmark.Definition.Access);
            }
        }

        return names;
    }

    /// <summary>
    /// The benchmarks of the plan with their data, and those skipped with the reason. Data: the bundled samples for the
    /// demo suite; otherwise the latest <c>datasets import</c>, or — only when the plan allows samples — the bundled sample
    /// of a benchmark never imported. A resumed run must find the very data (same hash) it started with.
    /// </summary>
    private static async Task<(List<PlannedBenchmark> Planned, List<SkippedBenchmark> Skipped)> PlanBenchmarksAsync(
        IResultsDatabase database, RunPlan plan, IReadOnlyDictionary<string, string>? storedDatasets, CancellationToken cancellationToken)
    {
        IEnumerable<string> names = plan.Suite switch
        {
            RunSuites.Demo => BuiltInBenchmarks.All.Select(b => b.Name).Where(n => BundledSamples.Benchmarks.Contains(n, StringComparer.Ordinal)),
            RunSuites.Public => BuiltInBenchmarks.All.Where(b => b.Access == AccessTier.Public).Select(b => b.Name),
            RunSuites.All => await database.ListImportedBenchmarksAsync(cancellationToken).ConfigureAwait(false),
            null => plan.Benchmarks,
            _ => throw new RequestValidationException($"Unknown suite '{plan.Suite}'."),
        };

        var planned = new List<PlannedBenchmark>();
        var skipped = new List<SkippedBenchmark>();
        foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var definition = BuiltInBenchmarks.Find(name);
            StoredImport? definedImport = null;
            if (definition is null)
            {
                (definition, definedImport) = await StoredDefinitionAsync(
                    database, name, storedDatasets is not null && storedDatasets.TryGetValue(name, out var sha) ? sha : null, cancellationToken).ConfigureAwait(false);
            }

            if (definition is null)
            {
                if (plan.Suite is null)
                {
                    throw new NotFoundException(
                        $"Unknown benchmark '{name}': not built in (see `medhelm benchmarks list`) and not imported with a definition file (`medhelm datasets import --definition FILE --path DATA`).");
                }

                skipped.Add(new SkippedBenchmark(name, "no definition: neither built in nor imported with --definition"));
                continue;
            }

            if (!(plan.Jury.Count > 0 && EvaluationRunner.NeedsJury(definition)) && EvaluationRunner.UnsupportedReason(definition) is { } reason)
            {
                skipped.Add(new SkippedBenchmark(definition.Name, reason));
                continue;
            }

            string? requiredSha = null;
            if (storedDatasets is not null && !storedDatasets.TryGetValue(definition.Name, out requiredSha))
            {
                skipped.Add(new SkippedBenchmark(definition.Name, "was skipped when the run started"));
                continue;
            }

            var hasSample = BundledSamples.Benchmarks.Contains(definition.Name, StringComparer.Ordinal);
            var useBundled = plan.Suite == RunSuites.Demo;
            StoredImport? import = null;
            if (!useBundled)
            {
                import = definedImport ?? await database.GetImportAsync(definition.Name, requiredSha, cancellationToken).ConfigureAwait(false);
                if (import is null && requiredSha is null && hasSample && plan.Samples)
                {
                    useBundled = true;
                }
                else if (import is null && requiredSha is null && plan.Suite is null)
                {
                    throw new RequestValidationException(
                        $"{definition.Name} has not been imported: import the site's data with `medhelm datasets import --benchmark {definition.Name} --path DATA`" +
                        (hasSample ? ", or add --samples to run on its bundled sample (not evidence about a model on your data)." : "."));
                }
            }

            if (useBundled)
            {
                var dataset = LoadBundled(definition.Name);
                var outcome = await database.StoreDatasetAsync(dataset, definition.Access, BundledSourcePrefix + definition.Name, null, cancellationToken).ConfigureAwait(false);
                import = new StoredImport(definition.Name, outcome.SourceSha256, BundledSourcePrefix + definition.Name, dataset.Instances);
            }

            if (import is null)
            {
                skipped.Add(new SkippedBenchmark(definition.Name, requiredSha is null
                    ? $"not imported (medhelm datasets import --benchmark {definition.Name} --path …)"
                    : $"the data this run started with (sha256 {requiredSha}) is no longer in the database"));
                continue;
            }

            if (requiredSha is not null && !string.Equals(requiredSha, import.SourceSha256, StringComparison.Ordinal))
            {
                throw new ConflictException(
                    $"Run data changed: {definition.Name} had sha256 {requiredSha} when the run started, now {import.SourceSha256}. Start a new run.");
            }

            // MedHELM evaluates the test split: when an import holds train/valid splits too, only its test instances run
            var evaluated = import.Instances.Any(i => i.Split == TestSplit) && import.Instances.Any(i => i.Split != TestSplit)
                ? import.Instances.Where(i => i.Split == TestSplit).ToArray()
                : import.Instances;
            planned.Add(new PlannedBenchmark(definition, import.SourceSha256, import.SourcePath ?? "", evaluated)
            {
                Split = ReferenceEquals(evaluated, import.Instances) ? "all" : TestSplit,
            });
        }

        return (planned, skipped);
    }

    /// <summary>
    /// The definition stored with the import of a benchmark that is not built in (<c>datasets import --definition</c>),
    /// with that import, or nulls when there is none. A stored definition that no longer validates stops the run.
    /// </summary>
    private static async Task<(BenchmarkDefinition? Definition, StoredImport? Import)> StoredDefinitionAsync(
        IResultsDatabase database, string name, string? sha256, CancellationToken cancellationToken)
    {
        if (await database.GetImportAsync(name, sha256, cancellationToken).ConfigureAwait(false) is not { DefinitionJson: { } json } import)
        {
            return (null, null);
        }

        var report = new DatasetValidationReport();
        var definition = BenchmarkDefinitionFile.Parse($"{name} (definition stored with its import)", System.Text.Encoding.UTF8.GetBytes(json), report);
        if (definition is null || !report.IsValid)
        {
            throw new ConflictException(
                $"The stored definition of '{name}' is not valid: {string.Join("; ", report.Problems.Take(5))}. Import the benchmark again with a corrected --definition.");
        }

        return (definition, import);
    }

    private static ImportedDataset LoadBundled(string benchmark)
    {
        var importer = DatasetImporters.Find(benchmark)
            ?? throw new InvalidOperationException($"No importer for the bundled sample of {benchmark}.");
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

    /// <summary>
    /// The EHRSQL execution database when the plan scores EHRSQL, else null: <c>EhrSql:Database</c> when set, otherwise
    /// the seeded synthetic eICU database, generated once into the data folder and reused while present. A resumed run
    /// must find the same file (SHA-256) and query limits it started with.
    /// </summary>
    private EhrSqlDatabase? PrepareEhrSqlDatabase(IReadOnlyList<PlannedBenchmark> planned, RunManifest? stored, IRunObserver observer)
    {
        if (!planned.Any(b => RunnerMetrics.NeedsDatabase(b.Definition)))
        {
            return null;
        }

        var options = ehrSql.Value; // validated at start
        string path;
        string source;
        if (!string.IsNullOrWhiteSpace(options.Database))
        {
            path = paths.Resolve(options.Database);
            if (!File.Exists(path))
            {
                throw new NotFoundException($"EhrSql:Database {path} does not exist (a SQLite database in EHRSQL's eICU schema; remove the setting to use the synthetic one).");
            }

            source = "configured (EhrSql:Database)";
        }
        else
        {
            path = Path.Combine(paths.DataFolder, "ehrsql", "eicu-synthetic.sqlite");
            var synthetic = new SyntheticEicuOptions();
            if (!File.Exists(path))
            {
                PrivateFolder.Ensure(Path.GetDirectoryName(path)!);
                observer.Notice($"ehr_sql: generating the synthetic eICU database {path} (seed {synthetic.Seed}, {synthetic.Patients} patients; every value invented)");
                SyntheticEicuDatabase.Generate(path, synthetic);
            }

            source = string.Create(CultureInfo.InvariantCulture, $"synthetic (medhelm ehrsql make-database --seed {synthetic.Seed} --patients {synthetic.Patients})");
        }

        var database = new EhrSqlDatabase(path, ModelFiles.Sha256(path), source, TimeSpan.FromSeconds(options.QueryTimeoutSeconds), options.MaxRows);
        if (stored?.EhrSqlDatabase is { } before
            && (before.Sha256 != database.Sha256 || before.QueryTimeoutSeconds != options.QueryTimeoutSeconds || before.MaxRows != database.MaxRows))
        {
            throw new ConflictException(
                $"The run executed EHRSQL queries against {before.Path} (sha256 {before.Sha256}, {before.QueryTimeoutSeconds} s, {before.MaxRows} rows); " +
                $"now {path} (sha256 {database.Sha256}, {options.QueryTimeoutSeconds} s, {database.MaxRows} rows). A resumed run must use the same database and limits; start a new run instead.");
        }

        return database;
    }

    /// <summary>
    /// Resolves the BERTScore model (a Models name or a GGUF path) and checks, without loading it, that the file is a valid
    /// GGUF file of a BERT-family embedding model. Every failure is one line naming the option and the file.
    /// </summary>
    private BertScoreModel PrepareBertScoreModel(string argument)
    {
        ResolvedModel resolved;
        try
        {
            resolved = resolver.Resolve(argument);
        }
        catch (NotFoundException e)
        {
            throw new NotFoundException($"--bertscore-model: {e.Message}", e);
        }

        if (!File.Exists(resolved.Path))
        {
            throw new NotFoundException($"--bertscore-model: the model file {resolved.Path} of '{argument}' (Models:{argument}:File in appsettings.json) does not exist.");
        }

        ModelFile file;
        try
        {
            file = ModelFiles.Read(resolved.Path);
        }
        catch (RequestValidationException e)
        {
            throw new RequestValidationException($"--bertscore-model: {e.Message}", e);
        }

        if (file.Architecture is not { } architecture || !EmbeddingArchitectures.Contains(architecture, StringComparer.Ordinal))
        {
            throw new RequestValidationException(
                $"--bertscore-model: {resolved.Path} is a '{file.Architecture ?? "unknown"}' model, not a BERT-family embedding model ({string.Join(", ", EmbeddingArchitectures)}); " +
                "BERTScore needs an encoder such as a BGE or MiniLM GGUF.");
        }

        return new BertScoreModel(argument, resolved.Name, resolved.Path, file.Sha256, file.SizeBytes, architecture, file.Quantization, file.Parameters);
    }
}
