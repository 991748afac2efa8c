using System.Globalization;
using MedHelm.Core.Catalog;
using MedHelm.Core.Decision;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Application.Reports.Decision;

/// <summary>
/// Reads an external score table: a CSV with the header <c>model,benchmark,score</c> (any order, no other column),
/// one row per model × benchmark, catalog benchmark names (run-spec or display name, case-insensitive), jury-scored
/// benchmarks on their 1-5 scale and the others on 0-1. Every problem is reported with its line, not just the first:
/// unknown benchmarks, duplicate rows, empty, non-numeric, non-finite or out-of-range scores, and models that share no
/// benchmark with any other model. Pure: the text comes in as a <see cref="SourceText"/>.
/// </summary>
public static class ScoreTableCsv
{
    /// <summary>The required columns.</summary>
    public static readonly IReadOnlyList<string> Columns = ["model", "benchmark", "score"];

    /// <summary>Parses <paramref name="source"/>; null when any problem was reported to <paramref name="report"/>.</summary>
    /// <param name="source">The CSV text.</param>
    /// <param name="report">Where problems go.</param>
    /// <param name="resolve">Finds a benchmark by name (default: the built-in catalog, <see cref="BuiltInBenchmarks.Find"/>).</param>
    public static ScoreTable? Parse(SourceText source, DatasetValidationReport report, Func<string, BenchmarkDefinition?>? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(report);
        resolve ??= BuiltInBenchmarks.Find;
        var before = report.TotalProblems;
        var csv = CsvTable.Parse(source, report);
        if (csv is null || !csv.RequireColumns(report, [.. Columns]))
        {
            return null;
        }

        foreach (var extra in csv.Header.Where(h => !Columns.Contains(h, StringComparer.OrdinalIgnoreCase)))
        {
            report.Add(source.Path, 1, null, extra, $"unexpected column (the columns are {string.Join(",", Columns)})");
        }

        var rows = new List<(long Line, string Model, BenchmarkDefinition Benchmark, double Score)>();
        var firstLine = new Dictionary<(string, string), long>();
        foreach (var row in csv.Rows.Where(r => !r.IsBlank))
        {
            var model = csv.Require(row, "model", report);
            var benchmarkName = csv.Require(row, "benchmark", report);
            var scoreText = csv.Require(row, "score", report);
            var benchmark = benchmarkName is null ? null : resolve(benchmarkName);
            if (benchmarkName is not null && benchmark is null)
            {
                report.Add(source.Path, row.Line, null, "benchmark",
                    $"unknown benchmark '{Shorten(benchmarkName)}' (run-spec or display names from `medhelm benchmarks list`)");
            }

            var score = scoreText is null || benchmark is null ? null : ParseScore(scoreText, benchmark, source.Path, row.Line, report);
            if (model is null || benchmark is null)
            {
                continue;
            }

            if (!firstLine.TryAdd((model, benchmark.Name), row.Line))
            {
                report.Add(source.Path, row.Line, null, null,
                    $"'{Shorten(model)}' × {benchmark.Name} is already on line {firstLine[(model, benchmark.Name)]} (one row per model and benchmark)");
                continue;
            }

            if (score is { } value)
            {
                rows.Add((row.Line, model, benchmark, value));
            }
        }

        if (firstLine.Count == 0 && report.TotalProblems == before)
        {
            report.Add(source.Path, null, null, null, "the table has no rows");
        }

        CheckSharedBenchmarks(source.Path, firstLine, report);
        if (report.TotalProblems > before)
        {
            return null;
        }

        var builder = ScoreTable.CreateBuilder(JuryScale.OneToFive);
        foreach (var (_, model, benchmark, score) in rows)
        {
            builder.Add(model, benchmark, score);
        }

        return builder.Build();
    }

    private static double? ParseScore(string text, BenchmarkDefinition benchmark, string path, long line, DatasetValidationReport report)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            report.Add(path, line, null, "score", $"'{Shorten(text)}' is not a number (use a decimal point, e.g. 0.75)");
            return null;
        }

        if (!double.IsFinite(value))
        {
            report.Add(path, line, null, "score", $"'{Shorten(text)}' is not a finite number");
            return null;
        }

        var (low, high, scale) = benchmark.IsOpen ? (1.0, 5.0, "a jury score on the 1-5 scale") : (0.0, 1.0, "a score between 0 and 1");
        if (value < low || value > high)
        {
            report.Add(path, line, null, "score",
                string.Create(CultureInfo.InvariantCulture, $"{value} is out of range: {benchmark.Name} takes {scale}"));
            return null;
        }

        return value;
    }

    /// <summary>With two or more models, each must share a benchmark with at least one other (else no win rate compares it).</summary>
    private static void CheckSharedBenchmarks(string path, Dictionary<(string Model, string Benchmark), long> rows, DatasetValidationReport report)
    {
        var byModel = rows.Keys.GroupBy(k => k.Model, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(k => k.Benchmark).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        if (byModel.Count < 2)
        {
            return;
        }

        foreach (var (model, benchmarks) in byModel)
        {
            if (!byModel.Any(o => !string.Equals(o.Key, model, StringComparison.Ordinal) && o.Value.Overlaps(benchmarks)))
            {
                var line = rows.Where(r => string.Equals(r.Key.Model, model, StringComparison.Ordinal)).Min(r => r.Value);
                report.Add(path, line, null, "model",
                    $"'{Shorten(model)}' shares no benchmark with any other model, so no win rate can compare it");
            }
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
