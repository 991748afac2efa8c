using MedHelm.Application.Reports.Decision;
using MedHelm.Application.Reports.Decision.Html;
using MedHelm.Application.Tests.Support;
using MedHelm.Core.Decision;
using Microsoft.Playwright;
using static MedHelm.Application.Tests.Reports.Decision.DecisionRuns;

namespace MedHelm.Application.Tests.Reports.Decision;

/// <summary>
/// The HTML report rendered in headless Chromium (Debian's <c>/usr/bin/chromium</c>, driven by Microsoft.Playwright):
/// the leaderboard, heatmap and cost chart are on the page, the browser made no request beyond the file itself and
/// reported no policy violation, and the screenshot is kept under the test's output folder
/// (<c>bin/Release/net10.0/TestResults/artifacts/decision-report.png</c>, with the HTML beside it).
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class DecisionHtmlBrowserTests
{
    /// <summary>Where the screenshot and the page are kept.</summary>
    public static string ArtifactFolder => HeadlessChromium.ArtifactFolder("artifacts");

    [Fact]
    public async Task The_report_renders_offline_with_leaderboard_heatmap_and_cost_chart()
    {
        HeadlessChromium.RequireInstalled();

        await using var harness = new RunHarness();
        await RunTwoModelsAsync(harness);
        await using var database = await harness.OpenDatabaseAsync();
        var report = await new DecisionRunReportBuilder(database, UnitPrices)
            .BuildAsync(["decision"], new DecisionRunReportOptions { Baselines = true, Decision = new DecisionOptions { BootstrapReplicates = 100 } });
        var page = Path.Combine(ArtifactFolder, "decision-report.html");
        await File.WriteAllTextAsync(page, DecisionHtmlReport.Render(report, DateTimeOffset.UtcNow));
        var address = new Uri(page).AbsoluteUri;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = HeadlessChromium.ExecutablePath,
            Headless = true,
            Args = HeadlessChromium.Arguments,
        });
        var tab = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var requests = new List<string>();
        var problems = new List<string>();
        tab.Request += (_, request) => requests.Add(request.Url);
        tab.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                problems.Add(message.Text);
            }
        };
        await tab.GotoAsync(address, new PageGotoOptions { WaitUntil = WaitUntilState.Load });

        var leaderboard = tab.Locator("#leaderboard");
        Assert.True(await leaderboard.IsVisibleAsync());
        Assert.Equal(2, await leaderboard.Locator("tbody tr").CountAsync());
        Assert.Contains("strong", await leaderboard.InnerTextAsync(), StringComparison.Ordinal);
        Assert.True(await tab.Locator("svg#heatmap").IsVisibleAsync());
        Assert.Equal(4, await tab.Locator("svg#heatmap .heat-cell").CountAsync());
        Assert.True(await tab.Locator("svg#cost-chart").IsVisibleAsync());
        Assert.Equal(2, await tab.Locator("svg#cost-chart .cost-point").CountAsync());
        var box = await tab.Locator("svg#heatmap").BoundingBoxAsync();
        Assert.True(box is { Width: > 100, Height: > 100 }, "the heatmap has no size on the page");

        var screenshot = Path.Combine(ArtifactFolder, "decision-report.png");
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000);

        Assert.Equal([address], requests); // the file itself, nothing else
        Assert.Empty(problems); // no Content-Security-Policy violation, no error
    }
}
