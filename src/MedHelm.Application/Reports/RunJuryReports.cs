using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Jury;

namespace MedHelm.Application.Reports;

/// <summary>The jury's report on one model × open-ended benchmark of a run.</summary>
public sealed record JuryReportEntry(string Model, string Benchmark, JuryReport Report);

/// <summary>The jury reports of a stored run: per model × open-ended benchmark, rebuilt from the stored ratings.</summary>
public static class RunJuryReports
{
    /// <summary>Reads the run's ratings and candidates and builds the reports.</summary>
    /// <param name="store">The jury store.</param>
    /// <param name="runId">The run.</param>
    /// <param name="judges">The run's judges in order; null: every judge that left a rating.</param>
    /// <param name="benchmarks">The juried benchmarks; null: every benchmark with a stored rating.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    public static async Task<IReadOnlyList<JuryReportEntry>> BuildAsync(
        IJuryStore store, string runId, IReadOnlyList<string>? judges, IReadOnlyList<string>? benchmarks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var ratings = await store.GetJuryRatingsAsync(runId, cancellationToken).ConfigureAwait(false);
        return await BuildAsync(store, runId, ratings, judges, benchmarks, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As <see cref="BuildAsync(IJuryStore, string, IReadOnlyList{string}?, IReadOnlyList{string}?, CancellationToken)"/>, with the ratings already read.</summary>
    internal static async Task<IReadOnlyList<JuryReportEntry>> BuildAsync(
        IJuryStore store, string runId, IReadOnlyList<StoredJuryRating> ratings, IReadOnlyList<string>? judges, IReadOnlyList<string>? benchmarks,
        CancellationToken cancellationToken)
    {
        var candidates = new List<(string, IReadOnlyList<JuryCandidate>)>();
        foreach (var benchmark in benchmarks ?? ratings.Select(r => r.Benchmark).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray())
        {
            candidates.Add((benchmark, await store.GetJuryCandidatesAsync(runId, benchmark, cancellationToken).ConfigureAwait(false)));
        }

        return Build(ratings, candidates, judges);
    }

    /// <summary>The reports from ratings and candidates already read (the run's jury step has them in hand).</summary>
    /// <param name="ratings">The run's stored ratings.</param>
    /// <param name="benchmarks">Each juried benchmark with its candidates (the stored outputs the jury rated).</param>
    /// <param name="judges">The run's judges in order; null: every judge that left a rating.</param>
    public static IReadOnlyList<JuryReportEntry> Build(
        IReadOnlyList<StoredJuryRating> ratings, IEnumerable<(string Benchmark, IReadOnlyList<JuryCandidate> Candidates)> benchmarks, IReadOnlyList<string>? judges)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        ArgumentNullException.ThrowIfNull(benchmarks);
        var judgeNames = judges ?? ratings.Select(r => r.Judge).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var entries = new List<JuryReportEntry>();
        if (judgeNames.Count == 0)
        {
            return entries;
        }

        foreach (var (benchmark, candidates) in benchmarks)
        {
            // a benchmark from a definition file has its own criteria: read them off its stored ratings
            var criteria = BuiltInBenchmarks.Find(benchmark) is { } definition
                ? JuryRubric.For(definition).CriterionNames
                : ratings.Where(r => r.Benchmark == benchmark && r.Rating is not null && r.Criterion != StoredJuryRating.FailureCriterion)
                    .Select(r => r.Criterion).Distinct(StringComparer.Ordinal).ToArray();
            foreach (var model in candidates.GroupBy(c => c.Model, StringComparer.Ordinal))
            {
                var results = StoredJury.ToResults(model.ToArray(), ratings, judgeNames);
                entries.Add(new JuryReportEntry(model.Key, benchmark, JuryReport.Build(benchmark, criteria, judgeNames, results)));
            }
        }

        return entries;
    }

    /// <summary>Per benchmark × judge: instances rated, verdicts, failures, ratings and the mean rating.</summary>
    public static IReadOnlyList<JuryCount> Counts(IReadOnlyList<StoredJuryRating> ratings)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        return ratings.GroupBy(r => (r.Benchmark, r.Judge))
            .OrderBy(g => g.Key.Benchmark, StringComparer.Ordinal).ThenBy(g => g.Key.Judge, StringComparer.Ordinal)
            .Select(g => new JuryCount(
                g.Key.Benchmark,
                g.Key.Judge,
                g.Select(r => r.RequestId).Distinct().Count(),
                g.Where(r => r.Rating is not null).Select(r => r.RequestId).Distinct().Count(),
                g.Count(r => r.Rating is null),
                g.Count(r => r.Rating is not null),
                g.Any(r => r.Rating is not null) ? g.Where(r => r.Rating is not null).Average(r => r.Rating!.Value) : null))
            .ToList();
    }
}
