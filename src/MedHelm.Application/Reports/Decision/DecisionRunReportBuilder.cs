using System.Text;
using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Core.Catalog;
using MedHelm.Core.Decision;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Private;

namespace MedHelm.Application.Reports.Decision;

/// <summary>
/// Builds the <see cref="DecisionRunReport"/> of one or more stored runs. Several runs make one leaderboard: for each
/// model × benchmark × instance the result of the newest run (by start time) counts. Each run's results, benchmarks,
/// jury reports and audit come from <see cref="RunReportBuilder"/>; the score table is built from the stored
/// per-instance main scores (jury scores already on 0-1) and aggregated by <see cref="DecisionAggregation"/>.
/// </summary>
public sealed partial class DecisionRunReportBuilder
{
    private readonly IResultsDatabase _database;
    private readonly PricingOptions _pricing;

    /// <summary>Creates a builder over one results database with the configured prices.</summary>
    public DecisionRunReportBuilder(IResultsDatabase database, PricingOptions pricing)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(pricing);
        (_database, _pricing) = (database, pricing);
    }

    /// <summary>The decision report of <paramref name="runIds"/>.</summary>
    /// <exception cref="RequestValidationException">No run, a run named twice, or a run that shares no benchmark with the others.</exception>
    /// <exception cref="NotFoundException">A run does not exist.</exception>
    /// <exception cref="ConflictException">A run's stored configuration is not a manifest this version reads.</exception>
    public async Task<DecisionRunReport> BuildAsync(IReadOnlyList<string> runIds, DecisionRunReportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        options ??= DecisionRunReportOptions.Default;
        if (runIds.Count == 0)
        {
            throw new RequestValidationException("Name at least one run (--run RUN_ID).");
        }

        if (runIds.GroupBy(r => r, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new RequestValidationException($"Run '{twice.Key}' is named twice.");
        }

        var inner = new RunReportBuilder(_database);
        var runs = new List<RunReport>();
        foreach (var id in runIds)
        {
            runs.Add(await inner.BuildAsync(id, new RunReportOptions { IncludeOutputs = options.IncludeText }, cancellationToken).ConfigureAwait(false));
        }

        CheckShared(runs);
        var newestFirst = runs.OrderByDescending(r => r.Run.StartedUtc).ThenBy(r => r.Run.RunId, StringComparer.Ordinal).ToArray();
        var latest = Latest(newestFirst);
        var definitions = await DefinitionsAsync(newestFirst, latest, cancellationToken).ConfigureAwait(false);
        var notes = new List<string> { DecisionRunReport.PeakMemoryNote };
        foreach (var unknown in latest.Select(c => c.Key.Benchmark).Distinct(StringComparer.Ordinal).Where(b => !definitions.ContainsKey(b)))
        {
            notes.Add($"{unknown}: left out (its definition is neither built in nor stored with its import).");
        }

        var cells = latest.Where(c => definitions.ContainsKey(c.Key.Benchmark)).ToArray();
        var scores = ScoreTableOf(cells, definitions);
        var table = DecisionAggregation.Compute(scores, options.Decision);
        var comparison = options.Compare is { } pair ? Compare(scores, pair, options.Decision) : null;
        var files = (await _database.ListDatasetsAsync(cancellationToken).ConfigureAwait(false))
            .ToDictionary(d => (d.Benchmark, d.SourceSha256), d => d.SourceFiles.Select(f => $"{f.FileName} {f.Sha256}").ToArray());
        var segments = UsageAudit.Read(runs.SelectMany(r => r.Audit));
        var usage = cells.Select(c => CostModel.Price(UsageOf(c.Key.Model, c.Key.Benchmark, c.Value, segments), _pricing)).ToArray();
        notes.AddRange(TimeNotes(usage));

        var sources = runs.Select(r => new DecisionReportSource(
            "run", r.Run.RunId, null, $"{r.Counts.Results} results ({r.Counts.Computed} computed, {r.Counts.Reused} reused), {r.Run.Status.ToString().ToLowerInvariant()}")).ToArray();
        return new DecisionRunReport(
            new DecisionReport(table, sources) { Comparison = comparison },
            table.Benchmarks.ToDictionary(b => b.Name, b => definitions[b.Name].MainMetric, StringComparer.Ordinal),
            runs.Select(Describe).ToArray(),
            cells.Select(c => ProvenanceOf(c.Key.Model, c.Key.Benchmark, c.Value, files)).ToArray(),
            usage,
            ModelCosts(usage, table),
            JuryCosts(segments, newestFirst),
            options.Baselines ? await BaselinesAsync(cells, definitions, cancellationToken).ConfigureAwait(false) : [],
            Agreement(newestFirst, cells),
            options.IncludeText ? await ExamplesAsync(cells, definitions, options.ExamplesPerBenchmark, cancellationToken).ConfigureAwait(false) : [],
            _pricing,
            options.IncludeText,
            notes);
    }

    /// <summary>Every run must share a benchmark with another one: runs with nothing in common make no leaderboard together.</summary>
    private static void CheckShared(IReadOnlyList<RunReport> runs)
    {
        if (runs.Count < 2)
        {
            return;
        }

        var benchmarks = runs.Select(r => r.Results.Select(x => x.Row.Benchmark).ToHashSet(StringComparer.Ordinal)).ToArray();
        for (var i = 0; i < runs.Count; i++)
        {
            var others = benchmarks.Where((_, j) => j != i).SelectMany(b => b).ToHashSet(StringComparer.Ordinal);
            if (!benchmarks[i].Overlaps(others))
            {
                throw new RequestValidationException(
                    $"Run '{runs[i].Run.RunId}' shares no benchmark with the other runs named; report it on its own.");
            }
        }
    }

    /// <summary>A stored result with the run it came from.</summary>
    private sealed record Sourced(RunReport Run, ReportResult Result);

    /// <summary>Per model × benchmark, the newest result of each instance (runs newest first), in first-seen order.</summary>
    private static List<KeyValuePair<(string Model, string Benchmark), List<Sourced>>> Latest(IReadOnlyList<RunReport> newestFirst)
    {
        var seen = new HashSet<(string, string, string)>();
        var cells = new Dictionary<(string Model, string Benchmark), List<Sourced>>();
        var order = new List<(string Model, string Benchmark)>();
        foreach (var run in newestFirst)
        {
            foreach (var result in run.Results)
            {
                var row = result.Row;
                if (!seen.Add((row.Model, row.Benchmark, row.InstanceId)))
                {
                    continue;
                }

                if (!cells.TryGetValue((row.Model, row.Benchmark), out var list))
                {
                    cells[(row.Model, row.Benchmark)] = list = [];
                    order.Add((row.Model, row.Benchmark));
                }

                list.Add(new Sourced(run, result));
            }
        }

        return order.Select(k => new KeyValuePair<(string, string), List<Sourced>>(k, cells[k])).ToList();
    }

    private static PairedComparisonResult Compare(ScoreTable scores, (string First, string Second) pair, DecisionOptions options)
    {
        foreach (var model in new[] { pair.First, pair.Second }.Where(m => !scores.Models.Contains(m, StringComparer.Ordinal)))
        {
            throw new RequestValidationException($"--compare: no model '{model}' in these runs (models: {string.Join(", ", scores.Models)}).");
        }

        if (string.Equals(pair.First, pair.Second, StringComparison.Ordinal))
        {
            throw new RequestValidationException($"--compare: give two different models (both were '{pair.First}').");
        }

        return PairedComparison.Compare(scores, pair.First, pair.Second, options);
    }

    private static ScoreTable ScoreTableOf(
        IEnumerable<KeyValuePair<(string Model, string Benchmark), List<Sourced>>> cells, IReadOnlyDictionary<string, BenchmarkDefinition> definitions)
    {
        var builder = ScoreTable.CreateBuilder(JuryScale.ZeroToOne);
        foreach (var (key, results) in cells)
        {
            // undefined instances (helm mode where HELM's own code raises) have no value: counted beside the cell, left
            // out of its mean, its resampling and the paired comparisons; a cell with no defined instance has no score
            var subRuns = results
                .Where(s => s.Result.Row.Score is not null)
                .GroupBy(s => s.Result.SubRun ?? "", StringComparer.Ordinal)
                .Select(g => new SubRunScores(g.Key, g.Select(s => new InstanceScore(s.Result.Row.InstanceId, s.Result.Row.Score!.Value)).ToArray()))
                .ToArray();
            if (subRuns.Length > 0)
            {
                builder.Add(key.Model, definitions[key.Benchmark], ScoreEntry.FromSubRuns(subRuns).WithUndefined(results.Count(s => s.Result.Row.Score is null)));
            }
        }

        return builder.Build();
    }

    /// <summary>Each benchmark's definition: the catalog's, or the definition file stored with the import a run used.</summary>
    private async Task<Dictionary<string, BenchmarkDefinition>> DefinitionsAsync(
        IReadOnlyList<RunReport> runs, IEnumerable<KeyValuePair<(string Model, string Benchmark), List<Sourced>>> cells, CancellationToken cancellationToken)
    {
        var definitions = new Dictionary<string, BenchmarkDefinition>(StringComparer.Ordinal);
        foreach (var name in cells.Select(c => c.Key.Benchmark).Distinct(StringComparer.Ordinal))
        {
            if (BuiltInBenchmarks.Find(name) is { } builtIn)
            {
                definitions[name] = builtIn;
                continue;
            }

            foreach (var benchmark in runs.SelectMany(r => r.Benchmarks).Where(b => b.Name == name))
            {
                var import = await _database.GetImportAsync(name, benchmark.DatasetSha256, cancellationToken).ConfigureAwait(false);
                if (import?.DefinitionJson is { } json
                    && BenchmarkDefinitionFile.Parse($"{name} (definition stored with its import)", Encoding.UTF8.GetBytes(json), new DatasetValidationReport()) is { } parsed)
                {
                    definitions[name] = parsed;
                    break;
                }
            }
        }

        return definitions;
    }

    private static ReportRun Describe(RunReport r) => new(
        r.Run.RunId,
        r.Run.Status.ToString().ToLowerInvariant(),
        r.Run.StartedUtc,
        r.Run.AppVersion,
        r.Run.LlamaCppVersion,
        r.Run.MachineDescription,
        r.Run.GpuDescription,
        r.ConfigSha256,
        r.Manifest?.Models.Select(m => m.Endpoint is null ? $"{m.Name} {m.Sha256}{RunReportTextFormatter.DeterminismOf(r, m.Name)}" : $"{m.Name} (endpoint {m.Endpoint.Model})").ToArray()
            ?? r.Models.Select(m => $"{m.Name} {m.Sha256}").ToArray(),
        r.Manifest?.Jury ?? [],
        r.Counts.Results);

    private static CellProvenance ProvenanceOf(
        string model, string benchmark, IReadOnlyList<Sourced> results, IReadOnlyDictionary<(string, string), string[]> files)
    {
        var runs = results.Select(s => s.Run).Distinct().ToArray();
        var used = runs.Select(r => r.Benchmarks.FirstOrDefault(b => b.Name == benchmark)).OfType<ReportBenchmark>().ToArray();
        var hashes = used.Select(b => b.DatasetSha256).Distinct(StringComparer.Ordinal).ToArray();
        return new CellProvenance(
            model,
            benchmark,
            runs.Select(r => r.Run.RunId).ToArray(),
            used.Length == 0 ? null : used.Max(b => b.Data),
            hashes,
            string.Join(", ", used.Select(b => b.Source).Distinct(StringComparer.Ordinal)),
            hashes.SelectMany(h => files.TryGetValue((benchmark, h), out var f) ? f : []).Distinct(StringComparer.Ordinal).ToArray(),
            results.Count,
            results.Count(s => s.Result.Row.Origin == "computed"),
            results.Select(s => s.Result.SubRun).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray());
    }

    private static ScoringMode ModeOf(RunReport run) =>
        run.Manifest?.Plan.Mode == "helm" ? ScoringMode.Helm : ScoringMode.Corrected;
}
