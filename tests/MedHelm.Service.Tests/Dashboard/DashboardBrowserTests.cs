using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using MedHelm.Application.Ports;
using MedHelm.Gguf.TestModels;
using MedHelm.Service.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace MedHelm.Service.Tests.Dashboard;

/// <summary>
/// The dashboard in headless Chromium (Debian's <c>/usr/bin/chromium</c> through Microsoft.Playwright) against the
/// real service on a loopback port running a generated GGUF model with llama.cpp: an operator starts a run from the
/// form, watches its page update until it finishes, and finds the model on the leaderboard, the heatmap, the runs list
/// and the models page. The operator signs in through the login form (a local account with a cookie session). Screenshots are kept under the test's output folder
/// (<c>bin/Release/net10.0/TestResults/screenshots/dashboard-*.png</c>).
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class DashboardBrowserTests
{
    private const string RunId = "browser-run";
    private const int Instances = 15;

    [Fact]
    public async Task An_operator_starts_a_run_from_the_dashboard_watches_it_finish_and_finds_the_model_on_the_leaderboard()
    {
        HeadlessChromium.RequireInstalled();
        await using var service = await LiveService.StartAsync();
        var model = await RegisterModelAsync(service);
        var screenshots = HeadlessChromium.ArtifactFolder("screenshots");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = HeadlessChromium.ExecutablePath, Headless = true, Args = HeadlessChromium.Arguments,
        });
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = service.Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        // one scaled limit for every action and wait (a loaded CI machine runs llama.cpp tests beside this one)
        context.SetDefaultTimeout((float)TestTimeouts.Scale(TimeSpan.FromSeconds(30)).TotalMilliseconds);
        var tab = await context.NewPageAsync();
        var requests = new List<string>();
        var problems = new List<string>();
        var polls = 0;
        tab.Request += (_, request) => requests.Add(request.Url);
        tab.Response += (_, response) =>
        {
            Interlocked.Add(ref polls, response.Url.EndsWith("/api/v1/runs/" + RunId, StringComparison.Ordinal) ? 1 : 0);
            if (response.Status >= 400)
            {
                problems.Add($"{response.Status} {response.Url}");
            }
        };
        tab.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                problems.Add(message.Text);
            }
        };
        tab.PageError += (_, error) => problems.Add(error);

        // no session yet: the dashboard sends the browser to the login form, which brings it back after signing in
        const string password = "correct horse battery staple";
        await service.Services.GetRequiredService<Application.Access.AccountService>().CreateAsync("ward-operator", AccessRole.Operator, password, "test", CancellationToken.None);
        await tab.GotoAsync("/dashboard");
        Assert.Contains("/login", tab.Url, StringComparison.Ordinal);
        await tab.FillAsync("input[name=username]", "ward-operator");
        await tab.FillAsync("input[name=password]", password);
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, "dashboard-0-login.png"), FullPage = true });
        await tab.ClickAsync("button[type=submit]");
        await ArriveAsync(tab, "**/dashboard", "#leaderboard-empty");
        Assert.True(await tab.Locator("#leaderboard-empty").IsVisibleAsync());
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, "dashboard-1-empty-leaderboard.png"), FullPage = true });

        await tab.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Start a run" }).ClickAsync();
        await tab.SelectOptionAsync("#model", model);
        await tab.SelectOptionAsync("#benchmark", "medbullets");
        await tab.FillAsync("#maxInstances", Instances.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await tab.SelectOptionAsync("#jury", "none");
        await tab.CheckAsync("#samples");
        await tab.FillAsync("#runId", RunId);
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, "dashboard-2-start-run.png"), FullPage = true });
        await tab.ClickAsync("#start");

        await ArriveAsync(tab, "**/dashboard/runs/" + RunId, "#run-live");
        var firstStatus = await tab.Locator("#run-live").GetAttributeAsync("data-status");
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, "dashboard-3-run-progress.png"), FullPage = true });
        var timeout = (float)TestTimeouts.Scale(TimeSpan.FromSeconds(120)).TotalMilliseconds;
        await tab.Locator("#results").WaitForAsync(new LocatorWaitForOptions { Timeout = timeout }); // the script reloads the page when the run ends
        Assert.Equal("completed", await tab.Locator("#run-status").TextContentAsync());
        Assert.Equal(Instances, await tab.Locator("#results tbody tr").CountAsync());
        Assert.DoesNotContain("<th>Output</th>", await tab.ContentAsync(), StringComparison.Ordinal); // outputs only on request
        Assert.True(firstStatus is "queued" or "running", $"the run had ended ({firstStatus}) before its page was first shown: nothing was watched");
        Assert.True(polls >= 1, "the run page never polled the status API");
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, "dashboard-4-run-completed.png"), FullPage = true });

        await tab.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Leaderboard", Exact = true }).ClickAsync();
        var row = tab.Locator("#leaderboard tbody tr");
        Assert.Equal(1, await row.CountAsync());
        Assert.Equal("tiny", await row.Locator("td.model").TextContentAsync());
        Assert.Equal("medbullets", await row.Locator("td").First.TextContentAsync());
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, "dashboard-5-leaderboard.png"), FullPage = true });

        await tab.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Heatmap" }).ClickAsync();
        Assert.Equal(1, await tab.Locator("#heatmap td.cell").CountAsync());
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, "dashboard-6-heatmap.png"), FullPage = true });

        await tab.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Runs", Exact = true }).ClickAsync();
        Assert.Equal("completed", await tab.Locator($"#runs-live tr[data-run-id=\"{RunId}\"] .run-status").TextContentAsync());
        Assert.Equal(Instances.ToString(System.Globalization.CultureInfo.InvariantCulture), await tab.Locator($"#runs-live tr[data-run-id=\"{RunId}\"] .run-results").TextContentAsync());
        await tab.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Models" }).ClickAsync();
        Assert.Equal("tiny", await tab.Locator("#models td.model").First.TextContentAsync());
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, "dashboard-7-models.png"), FullPage = true });

        // signing out ends the session: the dashboard sends the browser back to the login form
        await tab.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign out" }).ClickAsync();
        await ArriveAsync(tab, "**/login", "input[name=username]");
        await tab.GotoAsync("/dashboard");
        Assert.Contains("/login", tab.Url, StringComparison.Ordinal);

        Assert.All(requests, url => Assert.StartsWith(service.Address.ToString(), url, StringComparison.Ordinal)); // nothing from elsewhere
        Assert.True(problems.Count == 0, string.Join("\n", problems)); // no Content-Security-Policy violation, no script error, no failed request
        Assert.All(Directory.GetFiles(screenshots, "dashboard-*.png"), file => Assert.True(new FileInfo(file).Length > 5_000, file));
    }

    /// <summary>
    /// Waits until the tab has navigated to <paramref name="url"/> and shows <paramref name="element"/>. The URL wait
    /// stops at the navigation's commit and the page is then judged by an element, not by the load event: Playwright's
    /// wait for the load state of a page that is already at the URL raced with the event (seen once on CI: "NetworkIdle
    /// event fired", the load wait timed out).
    /// </summary>
    private static async Task ArriveAsync(IPage tab, string url, string element)
    {
        await tab.WaitForURLAsync(url, new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        await tab.Locator(element).WaitForAsync();
    }

    /// <summary>Generates a small GGUF model in the model folder and registers it through the API as an admin; returns its path.</summary>
    private static async Task<string> RegisterModelAsync(LiveService service)
    {
        var path = service.Home.File("tiny.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 2, Embd = 128, Seed = 3 }, path);
        using var admin = new HttpClient { BaseAddress = service.Address };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await service.TokenAsync(AccessRole.Admin));
        string sha256;
        await using (var file = File.OpenRead(path))
        {
            sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
        }

        using var registered = await admin.PostAsJsonAsync("/api/v1/models", new { name = "tiny", path = "tiny.gguf", sha256 });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        return path;
    }
}
