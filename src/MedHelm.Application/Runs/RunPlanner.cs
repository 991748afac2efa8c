using System.Globalization;
using MedHelm.Application.Errors;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Policy;
using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Core.Ledger;
using MedHelm.Evaluation.Running;
using Microsoft.Extensions.Options;

namespace MedHelm.Application.Runs;

/// <summary>
/// Turns a <see cref="RunRequest"/> into a <see cref="PlannedRun"/>: the plan (from the request, or on a resume from the
/// stored manifest, which must still match the files), the models (hashed, read), the benchmarks with their data, the
/// judges, the EHRSQL database and the BERTScore model. Every problem is found here, before anything is loaded.
/// </summary>
public sealed partial class RunPlanner(
    ModelResolver resolver,
    MedHelmPaths paths,
    IOptions<JuryOptions> jury,
    IOptions<DemoOptions> demo,
    IOptions<EhrSqlDatabaseOptions> ehrSql,
    IOptions<BertScoreOptions>? bertScoreOptions = null)
{
    /// <summary>Source path recorded for the bundled samples a run stores (not counted as imports).</summary>
    public const string BundledSourcePrefix = "bundled:";

    private const string TestSplit = "test";

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

            if (stored?.BertscoreModel is { } before
                && (before.Encoding?.Layer != bertScore.Encoding.Layer || before.Idf != bertScore.Idf
                    || !string.Equals(before.Encoding?.VocabularySha256, bertScore.Encoding.VocabularySha256, StringComparison.Ordinal)))
            {
                throw new ConflictException(
                    $"Run '{runId}' computed BERTScore with {before.Describe()}{(before.Idf ? ", idf" : "")} (vocabulary sha256 {before.Encoding?.VocabularySha256 ?? "none"}); " +
                    $"the BertScore settings now give {bertScore.Describe()}{(bertScore.Idf ? ", idf" : "")} (vocabulary sha256 {bertScore.Encoding.VocabularySha256 ?? "none"}). " +
                    "A resumed run must score as it started; restore the settings or start a new run.");
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

    /// <summary>The model's Determinism, its llama.cpp settings and, on the CPU, the kernels that served it.</summary>
    private static string Determinism(LocalModelOptions settings, EngineDescription engine) =>
        engine.CpuKernels?.TryGetValue(settings.Determinism, out var kernels) == true
            ? $"{engine.Profile(settings).Describe()}; {kernels}"
            : engine.Profile(settings).Describe();

    /// <summary>A new run's manifest.</summary>
    public static RunManifest Manifest(PlannedRun run, EngineDescription engine, DateTimeOffset chatTemplateTime)
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
                    m.Settings.ContextPerSequence, m.Settings.BatchSize, m.Settings.MicroBatchSize, m.Settings.PrefixReuse, m.DecodingExtras)
                {
                    Determinism = m.Endpoint is null ? Determinism(m.Settings, engine) : null,
                })).ToArray(),
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
            ChatTemplateTime = chatTemplateTime,
            EhrSqlDatabase = run.EhrSql is { } db
                ? new ManifestEhrSqlDatabase(db.Path, db.Sha256, db.Source, db.QueryTimeout.TotalSeconds, db.MaxRows)
                : null,
            BertscoreModel = run.BertScore is { } bert
                ? new ManifestBertScoreModel(
                    bert.Name, bert.Argument, bert.Path, bert.Sha256, bert.SizeBytes, bert.Architecture, bert.Quantization, bert.Parameters,
                    Core.Metrics.BertScoreMetric.MetricName, bert.Idf, Rescaled: false)
                {
                    Encoding = bert.Encoding,
                }
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

    /// <summary>
    /// Checks each local model of <paramref name="models"/> as planning the run will (known, a regular file, a GGUF file
    /// llama.cpp would load), without hashing it: what the service answers at once when a run is queued.
    /// </summary>
    /// <exception cref="RequestValidationException">A model file is not usable; the file and the key or tensor are named.</exception>
    /// <exception cref="NotFoundException">A model name or file that does not exist.</exception>
    public void CheckModels(IReadOnlyList<string> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        var defaults = FileModelDefaults;
        foreach (var argument in models.Where(m => !resolver.IsEndpoint(m)))
        {
            ModelFiles.Check(resolver.Resolve(argument, defaults.Sequences, defaults.ContextPerSequence).Path);
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
                HostedDataPolicy.EnsureAllowed(resolver.Endpoints, model.Name, benchmark.Definition.Access, benchmark.Definition.Name);
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
                HostedDataPolicy.EnsureAllowed(resolver.Endpoints, judge, benchmark.Definition.Access, benchmark.Definition.Name);
            }
        }

        return names;
    }
}
