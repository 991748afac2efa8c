using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedHelm.Application.Reports;

/// <summary>
/// The JSON report of a run (<c>medhelm runs show --json</c>): <c>run</c>, <c>configuration</c> (as stored),
/// <c>models</c>, <c>counts</c>, <c>benchmarks</c> (with their <c>data</c> and <c>sub_runs</c>), <c>leaderboard</c>
/// (with <c>data</c> and <c>sub_runs</c> per row), <c>secondary_means</c>, <c>results</c> (with <c>gold</c> and
/// <c>sub_run</c>), <c>jury</c>, <c>jury_reports</c> and <c>audit</c>; snake_case, indented.
/// </summary>
public static class RunReportJsonFormatter
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    /// <summary>The report as indented JSON text.</summary>
    public static string Format(RunReport report) => ToJson(report).ToJsonString(Options);

    /// <summary>The report as a JSON object.</summary>
    public static JsonObject ToJson(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var run = report.Run;
        return new JsonObject
        {
            ["run"] = new JsonObject
            {
                ["run_id"] = run.RunId,
                ["status"] = run.Status.ToString().ToLowerInvariant(),
                ["started_utc"] = run.StartedUtc,
                ["finished_utc"] = run.FinishedUtc,
                ["app_version"] = run.AppVersion,
                ["llama_cpp_version"] = run.LlamaCppVersion,
                ["machine"] = run.MachineDescription,
                ["gpu"] = run.GpuDescription,
                ["config_sha256"] = report.ConfigSha256,
            },

            // the stored configuration as it is (what config_sha256 hashes), not re-serialized
            ["configuration"] = JsonNode.Parse(run.ConfigurationJson),
            ["models"] = new JsonArray(report.Models.Select(m => (JsonNode)new JsonObject
            {
                ["name"] = m.Name,
                ["path"] = m.Path,
                ["sha256"] = m.Sha256,
                ["size_bytes"] = m.SizeBytes,
                ["architecture"] = m.Architecture,
                ["quantization"] = m.Quantization,
                ["parameters"] = m.Parameters,
            }).ToArray()),
            ["counts"] = new JsonObject { ["results"] = report.Counts.Results, ["computed"] = report.Counts.Computed, ["reused"] = report.Counts.Reused },
            ["benchmarks"] = new JsonArray(report.Benchmarks.Select(b => (JsonNode)new JsonObject
            {
                ["name"] = b.Name,
                ["dataset_sha256"] = b.DatasetSha256,
                ["source"] = b.Source,
                ["instances"] = b.Instances,
                ["data"] = DataOrigins.Name(b.Data),
                ["sub_runs"] = Strings(b.SubRuns),
            }).ToArray()),
            ["leaderboard"] = FormatLeaderboard(report.Leaderboard),
            ["secondary_means"] = new JsonArray(report.SecondaryMeans.Select(m => (JsonNode)new JsonObject
            {
                ["model"] = m.Model,
                ["benchmark"] = m.Benchmark,
                ["metric"] = m.Metric,
                ["mean"] = m.Mean,
                ["instances"] = m.Instances,
            }).ToArray()),
            ["results"] = new JsonArray(report.Results.Select(r => (JsonNode)new JsonObject
            {
                ["model"] = r.Row.Model,
                ["benchmark"] = r.Row.Benchmark,
                ["instance_id"] = r.Row.InstanceId,
                ["request_key"] = r.Row.RequestKey,
                ["origin"] = r.Row.Origin,
                ["metric"] = r.Row.Metric,
                ["score"] = r.Row.Score,
                ["output_sha256"] = r.Row.OutputSha256,
                ["prompt_tokens"] = r.Row.PromptTokens,
                ["completion_tokens"] = r.Row.CompletionTokens,
                ["elapsed_ms"] = r.Row.ElapsedMs,
                ["output"] = r.Row.Output,
                ["secondary"] = new JsonObject(r.Row.Secondary.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
                ["gold"] = r.Gold,
                ["sub_run"] = r.SubRun,
            }).ToArray()),
            ["jury"] = new JsonArray(report.JuryCounts.Select(c => (JsonNode)new JsonObject
            {
                ["benchmark"] = c.Benchmark,
                ["judge"] = c.Judge,
                ["instances"] = c.Instances,
                ["verdicts"] = c.Verdicts,
                ["failures"] = c.Failures,
                ["ratings"] = c.Ratings,
                ["mean_rating"] = c.MeanRating,
            }).ToArray()),
            ["jury_reports"] = FormatJuryReports(report.JuryReports),
            ["audit"] = new JsonArray(report.Audit.Select(a => (JsonNode)new JsonObject
            {
                ["at_utc"] = a.AtUtc,
                ["event"] = a.Event,
                ["detail"] = JsonNode.Parse(a.DetailJson),
            }).ToArray()),
        };
    }

    /// <summary>
    /// Leaderboard rows: <c>model</c>, <c>benchmark</c>, <c>score</c> (the mean over the defined instances; null when
    /// none is), <c>instances</c>, <c>undefined</c> (instances helm mode leaves undefined), <c>prompt_tokens</c>,
    /// <c>completion_tokens</c>, <c>seconds</c>, <c>data</c> (imported, bundled, synthetic or null) and <c>sub_runs</c>
    /// (<c>name</c>, <c>score</c>, <c>instances</c>; empty for a single-run benchmark).
    /// </summary>
    public static JsonArray FormatLeaderboard(IReadOnlyList<ReportLeaderboardRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return new JsonArray(rows.Select(r => (JsonNode)new JsonObject
        {
            ["model"] = r.Row.Model,
            ["benchmark"] = r.Row.Benchmark,
            ["score"] = Defined(r.Row.Score),
            ["instances"] = r.Row.Instances,
            ["undefined"] = r.Row.Undefined,
            ["prompt_tokens"] = r.Row.PromptTokens,
            ["completion_tokens"] = r.Row.CompletionTokens,
            ["seconds"] = r.Row.Seconds,
            ["data"] = r.Data is { } data ? DataOrigins.Name(data) : null,
            ["sub_runs"] = new JsonArray(r.SubRuns.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.SubRun,
                ["score"] = Defined(s.Score),
                ["instances"] = s.Instances,
            }).ToArray()),
        }).ToArray());
    }

    /// <summary>The jury reports (<c>jury_reports</c>): per model × benchmark, scores, bases, judges, criteria and agreement.</summary>
    public static JsonArray FormatJuryReports(IReadOnlyList<JuryReportEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return new JsonArray(entries.Select(e => (JsonNode)new JsonObject
        {
            ["model"] = e.Model,
            ["benchmark"] = e.Benchmark,
            ["instances"] = e.Report.Instances,
            ["mean_score"] = Number(e.Report.MeanScore),
            ["mean_normalized_score"] = Number(e.Report.MeanNormalizedScore),
            ["instances_by_basis"] = new JsonObject(e.Report.InstancesByBasis.Select(p => KeyValuePair.Create(p.Key.ToString(), (JsonNode?)p.Value))),
            ["instances_by_judges_counted"] = new JsonObject(e.Report.InstancesByJudgesCounted.Select(p =>
                KeyValuePair.Create(p.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)p.Value))),
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
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private static JsonObject Means(IReadOnlyDictionary<string, double> means) =>
        new(means.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Number(p.Value))));

    /// <summary>A mean at full precision, null when no instance behind it is defined (NaN).</summary>
    private static JsonNode? Defined(double value) => double.IsNaN(value) ? null : JsonValue.Create(value);

    private static JsonNode? Number(double value) => double.IsNaN(value) || double.IsInfinity(value) ? null : JsonValue.Create(Math.Round(value, 4));
}
