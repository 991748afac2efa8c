using System.Text.Json;
using System.Text.Json.Nodes;
using MedHelm.Core.Decision;

namespace MedHelm.Application.Reports.Decision;

/// <summary>
/// The decision report as JSON (<c>--format json</c>): <c>sources</c>, <c>method</c> (replicates, seed, confidence,
/// jury scale), <c>benchmarks</c>, <c>categories</c>, <c>rows</c> (Table 1 with intervals, category and subcategory
/// means and every cell), <c>notes</c> and, when asked for, <c>comparison</c>; snake_case, indented, full precision,
/// null where undefined.
/// </summary>
public sealed class DecisionReportJsonFormatter : IDecisionReportFormatter
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <inheritdoc />
    public string Name => "json";

    /// <inheritdoc />
    public string Extension => "json";

    /// <inheritdoc />
    public string Format(DecisionReport report) => ToJson(report).ToJsonString(Options) + "\n";

    /// <summary>The report as a JSON object.</summary>
    public static JsonObject ToJson(DecisionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var table = report.Table;
        var json = new JsonObject
        {
            ["sources"] = Array(report.Sources, s => new JsonObject { ["kind"] = s.Kind, ["name"] = s.Name, ["sha256"] = s.Sha256, ["detail"] = s.Detail }),
            ["method"] = new JsonObject
            {
                ["bootstrap_replicates"] = table.Options.BootstrapReplicates,
                ["seed"] = table.Options.Seed,
                ["confidence"] = table.Options.Confidence,
                ["jury_scale"] = table.JuryScale == JuryScale.OneToFive ? "1-5" : "0-1",
            },
            ["benchmarks"] = Array(table.Benchmarks, b => new JsonObject
            {
                ["name"] = b.Name, ["display_name"] = b.DisplayName, ["category"] = b.Category, ["subcategory"] = b.Subcategory, ["jury_scored"] = b.JuryScored,
            }),
            ["categories"] = new JsonArray(table.CategoryColumns.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
            ["rows"] = Array(table.Rows, Row),
            ["notes"] = new JsonArray(table.Notes.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()),
        };
        if (report.Comparison is { } comparison)
        {
            json["comparison"] = Comparison(comparison);
        }

        return json;
    }

    /// <summary>A paired comparison as a JSON object.</summary>
    public static JsonObject Comparison(PairedComparisonResult comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        return new JsonObject
        {
            ["first"] = comparison.First,
            ["second"] = comparison.Second,
            ["benchmarks"] = Array(comparison.Benchmarks, c => new JsonObject
            {
                ["benchmark"] = c.Benchmark,
                ["paired_instances"] = c.PairedInstances,
                ["first"] = c.First,
                ["second"] = c.Second,
                ["difference"] = c.Difference,
                ["difference_ci"] = Ci(c.DifferenceCi),
                ["mcnemar"] = c.McNemar is { } m
                    ? new JsonObject { ["only_first_correct"] = m.OnlyFirstCorrect, ["only_second_correct"] = m.OnlySecondCorrect, ["p_value"] = m.PValue }
                    : null,
                ["minimum_detectable_effect"] = c.MinimumDetectableEffect,
                ["note"] = c.Note,
            }),
        };
    }

    private static JsonObject Row(DecisionRow row) => new()
    {
        ["model"] = row.Model,
        ["mean_win_rate"] = row.MeanWinRate,
        ["mean_win_rate_ci"] = Ci(row.MeanWinRateCi),
        ["win_rate_sd"] = row.WinRateSd,
        ["win_rate_benchmarks"] = row.WinRateBenchmarks,
        ["macro_average"] = row.MacroAverage,
        ["macro_average_ci"] = Ci(row.MacroAverageCi),
        ["macro_sd"] = row.MacroSd,
        ["categories"] = Array(row.Categories, Group),
        ["subcategories"] = Array(row.Subcategories, Group),
        ["cells"] = Array(row.Cells, c => new JsonObject
        {
            ["benchmark"] = c.Benchmark,
            ["score"] = c.Score,
            ["normalized"] = c.Normalized,
            ["normalized_ci"] = Ci(c.NormalizedCi),
            ["instances"] = c.Instances,
            ["undefined"] = c.Undefined,
            ["sub_runs"] = c.SubRuns,
            ["win_rate"] = c.WinRate,
        }),
    };

    private static JsonObject Group(GroupMean g) => new() { ["name"] = g.Name, ["mean"] = g.Mean, ["benchmarks"] = g.Benchmarks };

    private static JsonArray? Ci(ConfidenceInterval? ci) => ci is { } c ? new JsonArray(c.Lower, c.Upper) : null;

    private static JsonArray Array<T>(IEnumerable<T> items, Func<T, JsonObject> map) => new(items.Select(i => (JsonNode)map(i)).ToArray());
}
