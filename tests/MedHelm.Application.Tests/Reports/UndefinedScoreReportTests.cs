using System.Text.Json.Nodes;
using MedHelm.Application.Reports;
using MedHelm.Application.Reports.Decision;
using MedHelm.Application.Runs;
using MedHelm.Core.Decision;
using MedHelm.Evaluation.Ledger;
using static MedHelm.Application.Tests.Reports.StoredRuns;

namespace MedHelm.Application.Tests.Reports;

/// <summary>
/// A run whose billing-code instance is undefined (helm mode where HELM's own code raises; stored as a null main
/// score): <c>runs show</c> (text, JSON) and the decision report (table, CSV) average the defined instances and show
/// how many were undefined.
/// </summary>
public sealed class UndefinedScoreReportTests
{
    private const string Metric = "mimiciv_billing_code_f1";

    private static async Task StoreAsync(TempResults temp)
    {
        var billing = await ImportAsync(temp.Store, "mimiciv_billing_code", "/srv/imports/billing",
            [Instance("b1", "E11.65"), Instance("b2", "none"), Instance("b3", "I10, J189")], data: "imported");
        await SaveRunAsync(temp.Store, "run-u", RunManifestJson.Serialize(Manifest(["m1"], [billing])));
        await RecordAsync(temp.Store,
        [
            Entry("run-u", "m1", billing, "b1", [new MetricScore(Metric, 1)]),
            Entry("run-u", "m1", billing, "b2", [new MetricScore(Metric, null)]),
            Entry("run-u", "m1", billing, "b3", [new MetricScore(Metric, 0.5)]),
        ]);
    }

    [Fact]
    public async Task Runs_show_averages_the_defined_instances_and_counts_the_undefined()
    {
        await using var temp = await TempResults.CreateAsync();
        await StoreAsync(temp);

        var report = await new RunReportBuilder(temp.Store).BuildAsync("run-u");

        var row = Assert.Single(report.Leaderboard).Row;
        Assert.Equal((0.75, 3, 1), (row.Score, row.Instances, row.Undefined));
        Assert.Contains("3 (1 undefined)", RunReportTextFormatter.Format(report), StringComparison.Ordinal);

        var json = RunReportJsonFormatter.ToJson(report);
        var board = json["leaderboard"]![0]!;
        Assert.Equal((0.75, 3, 1), (board["score"]!.GetValue<double>(), board["instances"]!.GetValue<int>(), board["undefined"]!.GetValue<int>()));
        var results = json["results"]!.AsArray().ToDictionary(r => r!["instance_id"]!.GetValue<string>(), r => r!["score"]);
        Assert.Null(results["b2"]);
        Assert.Equal(1.0, results["b1"]!.GetValue<double>());
    }

    [Fact]
    public async Task The_decision_report_averages_the_defined_instances_and_shows_the_undefined_count()
    {
        await using var temp = await TempResults.CreateAsync();
        await StoreAsync(temp);

        var report = await new DecisionRunReportBuilder(temp.Store, Decision.DecisionRuns.UnitPrices)
            .BuildAsync(["run-u"], new DecisionRunReportOptions { Decision = new DecisionOptions { BootstrapReplicates = 20 } });

        var cell = report.Table.Row("m1")!.Cell("mimiciv_billing_code")!;
        Assert.Equal((0.75, 2, 1), (cell.Score, cell.Instances, cell.Undefined));
        Assert.Contains(report.Table.Notes, n => n.Contains("m1 × mimiciv_billing_code: 1", StringComparison.Ordinal));

        var csv = DecisionRunReportFormats.Csv(report).Split('\n');
        var header = csv[0].Split(',');
        var values = csv[1].Split(',');
        Assert.Equal("2", values[Array.IndexOf(header, "instances")]);
        Assert.Equal("1", values[Array.IndexOf(header, "undefined")]);
        var cellJson = JsonNode.Parse(new DecisionReportJsonFormatter().Format(report.Decision))!["rows"]![0]!["cells"]![0]!;
        Assert.Equal(1, cellJson["undefined"]!.GetValue<int>());
        Assert.Contains(report.Table.Notes.First(n => n.StartsWith("Undefined", StringComparison.Ordinal)), DecisionRunReportFormats.Text(report), StringComparison.Ordinal);
    }
}
