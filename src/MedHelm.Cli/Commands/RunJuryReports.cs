using System.Text.Json.Nodes;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Jury;
using MedHelm.Application.Ports;
using MedHelm.Storage;

namespace MedHelm.Cli.Commands;

/// <summary>The jury reports of a stored run: per model × open-ended benchmark, rebuilt from <c>jury_ratings</c>.</summary>
internal static class RunJuryReports
{
    public sealed record Entry(string Model, string Benchmark, JuryReport Report);

    /// <param name="judges">The run's judges in order; null: every judge that left a rating.</param>
    /// <param name="benchmarks">The juried benchmarks; null: every benchmark with a stored rating.</param>
    public static async Task<IReadOnlyList<Entry>> BuildAsync(
        IJuryStore store, string runId, IReadOnlyList<string>? judges, IReadOnlyList<string>? benchmarks, CancellationToken cancellationToken)
    {
        var ratings = await store.GetJuryRatingsAsync(runId, cancellationToken);
        var candidates = new List<(string, IReadOnlyList<JuryCandidate>)>();
        foreach (var benchmark in benchmarks ?? ratings.Select(r => r.Benchmark).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray())
        {
            candidates.Add((benchmark, await store.GetJuryCandidatesAsync(runId, benchmark, cancellationToken)));
        }

        return Build(ratings, candidates, judges);
    }

    /// <summary>The reports from ratings and candidates already read (the run's jury step has them in hand).</summary>
    public static IReadOnlyList<Entry> Build(
        IReadOnlyList<StoredJuryRating> ratings, IEnumerable<(string Benchmark, IReadOnlyList<JuryCandidate> Candidates)> benchmarks, IReadOnlyList<string>? judges)
    {
        var judgeNames = judges ?? ratings.Select(r => r.Judge).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var entries = new List<Entry>();
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
                entries.Add(new Entry(model.Key, benchmark, JuryReport.Build(benchmark, criteria, judgeNames, results)));
            }
        }

        return entries;
    }

    /// <summary>The plain-text reports (numbers only, never patient text), headed by the model when there are several.</summary>
    public static string Format(IReadOnlyList<Entry> entries)
    {
        var several = entries.Select(e => e.Model).Distinct(StringComparer.Ordinal).Count() > 1;
        return string.Concat(entries.Select(e => (several ? $"[{e.Model}] " : "") + e.Report.Format()));
    }

    public static JsonArray ToJson(IReadOnlyList<Entry> entries) =>
        new(entries.Select(e => (JsonNode)new JsonObject
        {
            ["model"] = e.Model,
            ["benchmark"] = e.Benchmark,
            ["instances"] = e.Report.Instances,
            ["mean_score"] = Number(e.Report.MeanScore),
            ["mean_normalized_score"] = Number(e.Report.MeanNormalizedScore),
            ["instances_by_basis"] = new JsonObject(e.Report.InstancesByBasis.Select(p => KeyValuePair.Create(p.Key.ToString(), (JsonNode?)p.Value))),
            ["instances_by_judges_counted"] = new JsonObject(e.Report.InstancesByJudgesCounted.Select(p =>
                KeyValuePair.Create(p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), (JsonNode?)p.Value))),
            ["judge_failures"] = e.Report.JudgeFailures,
            ["criteria"] = Means(e.Report.CriterionMeans),
            ["judges"] = new JsonArray(e.Report.Judges.Select(j => (JsonNode)new JsonObject
            {
                ["judge"] = j.Judge,
                ["verdicts"] = j.Verdicts,
                ["failures"] = j.Failures,
                ["failed_attempts"] = j.FailedAttempts,
                ["mean_score"] = Number(j.MeanScore),
                ["criteria"] = Means(j.CriterionMeans),
            }).ToArray()),
            ["agreement"] = new JsonArray(e.Report.Pairs.Select(p => (JsonNode)new JsonObject
            {
                ["first"] = p.First,
                ["second"] = p.Second,
                ["instances"] = p.Instances,
                ["spearman"] = Number(p.Spearman),
                ["icc2_1"] = Number(p.Icc21),
            }).ToArray()),
        }).ToArray());

    private static JsonObject Means(IReadOnlyDictionary<string, double> means) =>
        new(means.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Number(p.Value))));

    private static JsonNode? Number(double value) => double.IsNaN(value) || double.IsInfinity(value) ? null : JsonValue.Create(Math.Round(value, 4));
}
