using System.Text;
using MedHelm.Application.Errors;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Core.Catalog;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Private;

namespace MedHelm.Application.Reports;

/// <summary>
/// Builds <see cref="RunReport"/>s and leaderboards from storage. The gold answer and sub-run of each result come
/// from the import the run's manifest names (benchmark and dataset SHA-256), joined on the instance id; a benchmark
/// made of sub-runs scores the unweighted mean of its sub-run means (<see cref="Leaderboard.Aggregate(IEnumerable{InstanceResult}, Func{InstanceResult, string?})"/>);
/// every other number of a leaderboard row is the stored one (<see cref="IRunStore.GetLeaderboardAsync"/>).
/// </summary>
public sealed class RunReportBuilder
{
    private readonly IRunStore _runs;
    private readonly IJuryStore _jury;
    private readonly IDatasetStore _datasets;
    private readonly IAuditLog _audit;

    /// <summary>Creates a builder over the given ports.</summary>
    public RunReportBuilder(IRunStore runs, IJuryStore jury, IDatasetStore datasets, IAuditLog audit)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(jury);
        ArgumentNullException.ThrowIfNull(datasets);
        ArgumentNullException.ThrowIfNull(audit);
        (_runs, _jury, _datasets, _audit) = (runs, jury, datasets, audit);
    }

    /// <summary>Creates a builder over one results database.</summary>
    public RunReportBuilder(IResultsDatabase database)
        : this(database, database, database, database)
    {
    }

    /// <summary>Everything recorded about <paramref name="runId"/>.</summary>
    /// <exception cref="NotFoundException">There is no such run.</exception>
    /// <exception cref="ConflictException">Its stored configuration is not a manifest this version can read.</exception>
    public async Task<RunReport> BuildAsync(string runId, RunReportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        options ??= RunReportOptions.Default;
        var run = await _runs.GetRunAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw NoRun(runId);
        var summary = (await _runs.ListRunsAsync(cancellationToken).ConfigureAwait(false)).Single(r => r.RunId == runId);
        var manifest = RunManifestJson.Parse(runId, run.ConfigurationJson);
        var data = await ReadRunAsync(runId, manifest, options.IncludeOutputs, new ImportCache(_datasets), cancellationToken).ConfigureAwait(false);

        var modelNames = manifest?.Models.Select(m => m.Name).ToArray()
            ?? data.Results.Select(r => r.Row.Model).Distinct(StringComparer.Ordinal).ToArray();
        var models = new List<StoredModel>();
        foreach (var name in modelNames)
        {
            if (await _runs.GetModelAsync(name, cancellationToken).ConfigureAwait(false) is { } model)
            {
                models.Add(model);
            }
        }

        var ratings = await _jury.GetJuryRatingsAsync(runId, cancellationToken).ConfigureAwait(false);
        var judges = manifest is { Jury.Count: > 0 } ? manifest.Jury : null;
        var juryReports = await RunJuryReports.BuildAsync(_jury, runId, ratings, judges, null, cancellationToken).ConfigureAwait(false);
        var audit = await _audit.GetAuditAsync(runId, cancellationToken).ConfigureAwait(false);

        return new RunReport(
            run,
            summary.ConfigHash,
            manifest,
            models,
            new RunCounts(summary.Results, summary.Computed, summary.Reused),
            data.Benchmarks,
            Rows(
                await _runs.GetLeaderboardAsync(runId, cancellationToken).ConfigureAwait(false),
                data.Results.Select(r => (r, data.Origins.TryGetValue(r.Row.Benchmark, out var o) ? o : (DataOrigin?)null)).ToArray(),
                runId),
            SecondaryMeans(data.Results),
            RunJuryReports.Counts(ratings),
            juryReports,
            data.Results,
            audit);
    }

    /// <summary>
    /// The leaderboard of <paramref name="runId"/> (as in its report) or, when null, of the latest result of every
    /// model × benchmark × instance × metric across runs (by run start, newest first), each row marked with the most
    /// caveated data its results came from.
    /// </summary>
    /// <exception cref="NotFoundException">There is no run <paramref name="runId"/>.</exception>
    public async Task<LeaderboardReport> BuildLeaderboardAsync(string? runId, CancellationToken cancellationToken = default)
    {
        var imports = new ImportCache(_datasets);
        if (runId is not null)
        {
            var run = await _runs.GetRunAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw NoRun(runId);
            var data = await ReadRunAsync(runId, RunManifestJson.Parse(runId, run.ConfigurationJson), false, imports, cancellationToken).ConfigureAwait(false);
            var stored = await _runs.GetLeaderboardAsync(runId, cancellationToken).ConfigureAwait(false);
            return new LeaderboardReport(runId, Rows(stored, data.Results.Select(r => (r, data.Origins.TryGetValue(r.Row.Benchmark, out var o) ? o : (DataOrigin?)null)).ToArray(), runId));
        }

        // the stored cross-run rows (latest result of each instance), their sub-runs and data from the same selection
        var rows = await _runs.GetLeaderboardAsync(null, cancellationToken).ConfigureAwait(false);
        var latest = new List<(ReportResult Result, DataOrigin? Data)>();
        var seen = new HashSet<(string, string, string, string)>();
        foreach (var summary in await _runs.ListRunsAsync(cancellationToken).ConfigureAwait(false))
        {
            var run = await _runs.GetRunAsync(summary.RunId, cancellationToken).ConfigureAwait(false);
            if (run is null)
            {
                continue;
            }

            RunManifest? manifest;
            try
            {
                manifest = RunManifestJson.Parse(run.RunId, run.ConfigurationJson);
            }
            catch (ConflictException)
            {
                manifest = null; // a newer or unreadable manifest: its results count, without gold, sub-runs or data
            }

            var data = await ReadRunAsync(run.RunId, manifest, false, imports, cancellationToken).ConfigureAwait(false);
            foreach (var result in data.Results)
            {
                if (seen.Add((result.Row.Model, result.Row.Benchmark, result.Row.InstanceId, result.Row.Metric)))
                {
                    latest.Add((result, data.Origins.TryGetValue(result.Row.Benchmark, out var o) ? o : null));
                }
            }
        }

        return new LeaderboardReport(null, Rows(rows, latest, null));
    }

    private static NotFoundException NoRun(string runId) => new($"There is no run '{runId}'.");

    /// <summary>
    /// The run's results joined with their imports (gold, sub-run), and the data each benchmark ran on. The gold of an
    /// open-ended benchmark (a reference text, which may be patient data) only with the outputs, as their text.
    /// </summary>
    private async Task<RunData> ReadRunAsync(string runId, RunManifest? manifest, bool includeOutputs, ImportCache imports, CancellationToken cancellationToken)
    {
        var rows = await _runs.GetRunResultsAsync(runId, includeOutputs, cancellationToken).ConfigureAwait(false);
        var instances = new Dictionary<string, IReadOnlyDictionary<string, BenchmarkInstance>>(StringComparer.Ordinal);
        var benchmarks = new List<ReportBenchmark>();
        var origins = new Dictionary<string, DataOrigin>(StringComparer.Ordinal);
        var goldShown = new HashSet<string>(StringComparer.Ordinal);
        var withSubRuns = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in manifest?.Benchmarks ?? [])
        {
            var import = await imports.GetAsync(b.Name, b.DatasetSha256, cancellationToken).ConfigureAwait(false);
            var byId = import?.Instances.GroupBy(i => i.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal)
                ?? new Dictionary<string, BenchmarkInstance>(StringComparer.Ordinal);
            instances[b.Name] = byId;
            var origin = DataOrigins.Of(b, import?.Instances);
            origins[b.Name] = origin;
            var definition = BuiltInBenchmarks.Find(b.Name) ?? (import?.DefinitionJson is { } json
                ? BenchmarkDefinitionFile.Parse($"{b.Name} (definition stored with its import)", Encoding.UTF8.GetBytes(json), new DatasetValidationReport())
                : null);
            if (includeOutputs || definition is { IsOpen: false })
            {
                goldShown.Add(b.Name);
            }

            // sub-runs only where the definition declares them (DischargeMe tags its two sections, but is one run)
            var subRuns = definition is { SubRuns.Count: > 0 } ? definition.SubRuns.Select(r => r.Name).ToArray() : [];
            if (subRuns.Length > 0)
            {
                withSubRuns.Add(b.Name);
            }

            benchmarks.Add(new ReportBenchmark(b.Name, b.DatasetSha256, b.Source, b.Instances, origin, subRuns));
        }

        var results = rows.Select(row =>
        {
            var instance = instances.TryGetValue(row.Benchmark, out var byId) && byId.TryGetValue(row.InstanceId, out var i) ? i : null;
            return new ReportResult(
                row, goldShown.Contains(row.Benchmark) ? instance?.Gold : null, instance is not null && withSubRuns.Contains(row.Benchmark) ? SubRunOf(instance) : null);
        }).ToArray();
        return new RunData(benchmarks, origins, results);
    }

    private static string? SubRunOf(BenchmarkInstance instance) =>
        instance.Metadata.TryGetValue(MetadataKeys.Subset, out var subset) && !string.IsNullOrWhiteSpace(subset) ? subset : null;

    /// <summary>
    /// The stored leaderboard rows, each with its data mark and sub-run means; a benchmark made of sub-runs gets the
    /// mean of its sub-run means as its score. Instances, tokens and seconds (and the score of a single-run
    /// benchmark) stay exactly as stored.
    /// </summary>
    private static List<ReportLeaderboardRow> Rows(IReadOnlyList<LeaderboardRow> stored, IReadOnlyList<(ReportResult Result, DataOrigin? Data)> results, string? runId)
    {
        var subRuns = new Dictionary<InstanceResult, string?>(ReferenceEqualityComparer.Instance);
        var data = new Dictionary<(string, string), DataOrigin?>();
        var instanceResults = new List<InstanceResult>(results.Count);
        foreach (var (result, origin) in results)
        {
            var r = result.Row;
            var instance = new InstanceResult(
                runId ?? "", r.Model, r.Benchmark, r.InstanceId, "", result.Gold ?? "", r.Score, r.PromptTokens, r.CompletionTokens,
                TimeSpan.FromTicks((long)Math.Round(r.ElapsedMs * TimeSpan.TicksPerMillisecond)), r.Metric);
            instanceResults.Add(instance);
            subRuns[instance] = result.SubRun;
            var key = (r.Model, r.Benchmark);
            data[key] = data.TryGetValue(key, out var known) ? Max(known, origin) : origin;
        }

        string? SubRun(InstanceResult r) => subRuns[r];
        var means = Leaderboard.SubRunMeans(instanceResults, SubRun).ToLookup(s => (s.Model, s.Benchmark));
        var averaged = Leaderboard.Aggregate(instanceResults, SubRun).ToDictionary(r => (r.Model, r.Benchmark));
        return stored
            .Select(row =>
            {
                var key = (row.Model, row.Benchmark);
                var rowMeans = means[key].ToArray();
                var score = rowMeans.Length > 0 && averaged.TryGetValue(key, out var a) ? a.Score : row.Score;
                return new ReportLeaderboardRow(row with { Score = score }, data.TryGetValue(key, out var d) ? d : null, rowMeans);
            })
            .OrderBy(r => r.Row.Benchmark, StringComparer.Ordinal)
            .ThenByDescending(r => r.Row.Score)
            .ThenBy(r => r.Row.Model, StringComparer.Ordinal)
            .ToList();
    }

    private static DataOrigin? Max(DataOrigin? a, DataOrigin? b) => a is null ? b : b is null ? a : (DataOrigin)Math.Max((int)a.Value, (int)b.Value);

    /// <summary>Means of the secondary statistics (ROUGE, BERTScore, MedEC sentence accuracy, …) per model × benchmark × metric.</summary>
    private static List<SecondaryMean> SecondaryMeans(IReadOnlyList<ReportResult> results) =>
        results
            .SelectMany(r => r.Row.Secondary.Select(kv => (r.Row.Model, r.Row.Benchmark, Metric: kv.Key, kv.Value)))
            .GroupBy(x => (x.Model, x.Benchmark, x.Metric))
            .OrderBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Key.Benchmark, StringComparer.Ordinal).ThenBy(g => g.Key.Metric, StringComparer.Ordinal)
            .Select(g => new SecondaryMean(g.Key.Model, g.Key.Benchmark, g.Key.Metric, g.Average(x => x.Value), g.Count()))
            .ToList();

    private sealed record RunData(IReadOnlyList<ReportBenchmark> Benchmarks, IReadOnlyDictionary<string, DataOrigin> Origins, IReadOnlyList<ReportResult> Results);

    /// <summary>Each import read once per report (a cross-run leaderboard meets the same import in many runs).</summary>
    private sealed class ImportCache(IDatasetStore datasets)
    {
        private readonly Dictionary<(string, string), StoredImport?> _imports = [];

        public async Task<StoredImport?> GetAsync(string benchmark, string sha256, CancellationToken cancellationToken)
        {
            if (!_imports.TryGetValue((benchmark, sha256), out var import))
            {
                import = await datasets.GetImportAsync(benchmark, sha256, cancellationToken).ConfigureAwait(false);
                _imports[(benchmark, sha256)] = import;
            }

            return import;
        }
    }
}
