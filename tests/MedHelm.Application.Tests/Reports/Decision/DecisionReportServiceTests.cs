using System.Globalization;
using System.Text.Json.Nodes;
using MedHelm.Application.Errors;
using MedHelm.Application.Reports.Decision;
using MedHelm.Core.Decision;

namespace MedHelm.Application.Tests.Reports.Decision;

public class DecisionReportServiceTests
{
    private static string Fixture(string name) => RepositoryPaths.Combine("tests", "MedHelm.Application.Tests", "Reports", "Decision", "Fixtures", name);

    /// <summary>
    /// The acceptance check of issue 14: <c>report --scores</c>'s computation on a 9 models × 35 benchmarks table (ties,
    /// 5 missing cells, jury scores on 1-5) reproduces, to 3 decimals, an independent Python computation written from
    /// the definitions (Fixtures/win_rates.py; its output is Fixtures/expected_9x35.csv). HELM's own
    /// <c>compute_aggregate_row_win_rates</c> gives the same mean win rates on this table (docs/reports.md).
    /// </summary>
    [Fact]
    public void The_9x35_table_reproduces_the_independent_computation_to_3_decimals()
    {
        var report = DecisionReportService.FromScores(Fixture("scores_9x35.csv"), new DecisionOptions { BootstrapReplicates = 0 });

        var expected = File.ReadAllLines(Fixture("expected_9x35.csv"));
        var header = expected[0].Split(',');
        Assert.Equal(9, report.Table.Rows.Count);
        Assert.Equal(35, report.Table.Benchmarks.Count);
        foreach (var line in expected.Skip(1))
        {
            var cells = line.Split(',');
            var row = report.Table.Row(cells[0])!;
            double?[] actual =
            [
                row.MeanWinRate, row.WinRateSd, row.MacroAverage, row.MacroSd,
                .. header[5..].Select(c => row.Category(c)?.Mean),
            ];
            for (var i = 1; i < cells.Length; i++)
            {
                Assert.True(
                    Math.Round(double.Parse(cells[i], CultureInfo.InvariantCulture), 3) == Math.Round(actual[i - 1]!.Value, 3),
                    $"{cells[0]} {header[i]}: expected {cells[i]}, got {actual[i - 1]}");
            }
        }

        Assert.Equal(["model-a", "model-b", "model-c", "model-d", "model-e", "model-f", "model-g", "model-h", "model-i"], report.Table.Rows.Select(r => r.Model));
        Assert.Equal("scores", report.Sources.Single().Kind);
        Assert.Contains("310 scores: 9 model(s) × 35 benchmark(s)", report.Sources.Single().Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_text_table_shows_table_1_the_notes_and_every_normalized_score()
    {
        var report = DecisionReportService.FromScores(Fixture("scores_9x35.csv"));

        var text = DecisionReportFormatters.Get("table").Format(report);

        var lines = text.Split('\n');
        Assert.StartsWith("source    scores scores_9x35.csv sha256 ", lines[0], StringComparison.Ordinal);
        var headerLine = lines.Single(l => l.StartsWith("Model ", StringComparison.Ordinal));
        Assert.Equal(["Model", "Win", "rate", "Win", "SD", "Macro-avg", "SD", "CDS", "CNG", "PCE", "MRA", "AW", "Benchmarks"],
            headerLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(lines, l => l.StartsWith("model-a ", StringComparison.Ordinal) && l.Contains(" 0.837 ", StringComparison.Ordinal));
        Assert.Contains("note: The table holds plain scores without instances, so there are no confidence intervals.", text, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("mimic_bhc ", StringComparison.Ordinal) && l.Contains(" - ", StringComparison.Ordinal)); // model-f's missing cell
        Assert.DoesNotContain(lines, l => l.EndsWith(' '));
    }

    [Fact]
    public void Json_holds_every_row_cell_and_null_for_undefined_intervals()
    {
        var report = DecisionReportService.FromScores(Fixture("scores_9x35.csv"));

        var json = JsonNode.Parse(DecisionReportFormatters.Get("JSON").Format(report))!;

        Assert.Equal(9, json["rows"]!.AsArray().Count);
        var first = json["rows"]![0]!;
        Assert.Equal("model-a", (string?)first["model"]);
        Assert.Equal(0.837, Math.Round((double)first["mean_win_rate"]!, 3));
        Assert.Null(first["mean_win_rate_ci"]);
        Assert.Equal(35, first["cells"]!.AsArray().Count);
        Assert.Equal("1-5", (string?)json["method"]!["jury_scale"]);
        Assert.Equal(35, json["benchmarks"]!.AsArray().Count);
    }

    [Fact]
    public void Csv_has_one_row_per_model_with_categories_and_benchmarks()
    {
        var report = DecisionReportService.FromScores(Fixture("scores_9x35.csv"));

        var lines = DecisionReportFormatters.Get("csv").Format(report).TrimEnd('\n').Split('\n');

        Assert.Equal(10, lines.Length);
        var header = lines[0].Split(',');
        Assert.Equal(["model", "mean_win_rate", "win_rate_ci_low", "win_rate_ci_high", "win_rate_sd"], header[..5]);
        Assert.Equal(9 + 5 + 35, header.Length);
        var f = lines.Single(l => l.StartsWith("model-f,", StringComparison.Ordinal)).Split(',');
        Assert.Equal("", f[Array.IndexOf(header, "mimic_bhc")]); // missing cell
        Assert.Equal("", f[2]); // no interval without instances
    }

    [Fact]
    public void An_unknown_format_is_a_validation_error_listing_the_formats()
    {
        var e = Assert.Throws<RequestValidationException>(() => DecisionReportFormatters.Get("pdf"));

        Assert.Contains("table, json, csv", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_style_table_with_instances_gets_intervals_in_every_format()
    {
        var pubmed = Core.Catalog.BuiltInBenchmarks.Find("pubmed_qa")!;
        var table = ScoreTable.CreateBuilder(JuryScale.ZeroToOne)
            .Add("a", pubmed, ScoreEntry.FromInstances(Enumerable.Range(0, 50).Select(i => new InstanceScore($"{i}", i % 3 == 0 ? 0 : 1))))
            .Add("b", pubmed, ScoreEntry.FromInstances(Enumerable.Range(0, 50).Select(i => new InstanceScore($"{i}", i % 2))))
            .Build();
        var report = DecisionReportService.Build(table, [new DecisionReportSource("run", "run-1", null, "")], new DecisionOptions { BootstrapReplicates = 200 })
            with { Comparison = PairedComparison.Compare(table, "a", "b", new DecisionOptions { BootstrapReplicates = 200 }) };

        var text = DecisionReportFormatters.Get("table").Format(report);
        var json = JsonNode.Parse(DecisionReportFormatters.Get("json").Format(report))!;

        Assert.Contains("95% CI", text, StringComparison.Ordinal);
        Assert.Contains("Paired comparison: a - b", text, StringComparison.Ordinal);
        Assert.Equal(2, json["rows"]![0]!["macro_average_ci"]!.AsArray().Count);
        Assert.NotNull(json["comparison"]!["benchmarks"]![0]!["mcnemar"]!["p_value"]);
    }
}
