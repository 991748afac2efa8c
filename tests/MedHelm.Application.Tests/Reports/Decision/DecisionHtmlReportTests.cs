using System.Text.RegularExpressions;
using MedHelm.Application.Options;
using MedHelm.Application.Reports.Decision;
using MedHelm.Application.Reports.Decision.Html;
using MedHelm.Application.Tests.Support;
using MedHelm.Core.Catalog;
using MedHelm.Core.Decision;
using static MedHelm.Application.Tests.Reports.Decision.DecisionRuns;

namespace MedHelm.Application.Tests.Reports.Decision;

/// <summary>The HTML page as text: self-contained, encoded, with its sections (the browser test renders it).</summary>
public sealed partial class DecisionHtmlReportTests
{
    private static readonly DateTimeOffset Generated = new(2026, 12, 5, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_page_of_a_run_is_self_contained_under_a_strict_policy_and_has_every_section()
    {
        await using var harness = new RunHarness();
        await RunTwoModelsAsync(harness);
        await using var database = await harness.OpenDatabaseAsync();
        var report = await new DecisionRunReportBuilder(database, UnitPrices)
            .BuildAsync(["decision"], new DecisionRunReportOptions { Baselines = true, Decision = new DecisionOptions { BootstrapReplicates = 20 } });
        var html = DecisionHtmlReport.Render(report, Generated);

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains($"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; img-src data:;", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(External(), html);
        foreach (var id in new[] { "leaderboard", "heatmap", "cost-chart", "category-means", "model-costs", "local-vs-hosted", "usage", "jury-costs", "baseline-scores", "agreement", "runs", "cell-provenance" })
        {
            Assert.Contains($"id=\"{id}\"", html, StringComparison.Ordinal);
        }

        Assert.Equal(4, Regex.Matches(html, "class=\"heat-cell\"").Count); // 2 models × 2 benchmarks
        Assert.Equal(2, Regex.Matches(html, "class=\"cost-point\"").Count);
        Assert.DoesNotContain("Take it with food", html, StringComparison.Ordinal); // no text without --include-text
        Assert.DoesNotContain("PATIENT TEXT", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_with_text_says_so_on_its_first_line()
    {
        await using var harness = new RunHarness();
        await RunTwoModelsAsync(harness, instances: 2);
        await using var database = await harness.OpenDatabaseAsync();
        var report = await new DecisionRunReportBuilder(database, UnitPrices)
            .BuildAsync(["decision"], new DecisionRunReportOptions { IncludeText = true, Decision = new DecisionOptions { BootstrapReplicates = 0 } });

        foreach (var format in DecisionRunReportFormats.Names.Where(f => f != "csv"))
        {
            var text = DecisionRunReportFormats.Format(format, report, Generated);
            Assert.Contains("CONTAINS PATIENT TEXT", text.Split('\n')[format == "json" ? 1 : 0], StringComparison.Ordinal);
            Assert.Contains(format == "html" ? "Take it with food, twice a day." : "Take it with food", text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("Take it with food", DecisionRunReportFormats.Format("csv", report, Generated), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_text_is_encoded_in_tables_and_charts()
    {
        var table = ScoreTable.CreateBuilder(JuryScale.OneToFive)
            .Add("<script>alert(1)</script>", BuiltInBenchmarks.Find("med_qa")!, 0.5)
            .Add("plain & simple", BuiltInBenchmarks.Find("med_qa")!, 0.7)
            .Build();
        var decision = new DecisionReport(DecisionAggregation.Compute(table), [new DecisionReportSource("scores", "s\"cores.csv", new string('0', 64), "2 rows")]);
        var html = DecisionHtmlReport.Render(DecisionRunReport.OfScores(decision, new PricingOptions()), Generated);

        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("plain &amp; simple", html, StringComparison.Ordinal);
        Assert.Contains("s&quot;cores.csv", html, StringComparison.Ordinal);
        Assert.Contains("no model has a known cost", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(External(), html);
    }

    /// <summary>Anything a browser would fetch: scripts, links, sources, CSS urls and imports, absolute addresses outside the SVG namespace.</summary>
    [GeneratedRegex(@"<script|<link|<img|<iframe|\ssrc=|\shref=|url\(|@import|https?://(?!www\.w3\.org/2000/svg)", RegexOptions.IgnoreCase)]
    private static partial Regex External();
}
