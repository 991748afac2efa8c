using System.Net;
using System.Net.Http.Headers;
using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

/// <summary><c>medhelm auth create-token</c>, <c>serve</c> and <c>audit verify</c> as separate processes over one home.</summary>
[Trait("Category", TestCategories.Slow)]
public sealed class ServeCommandTests
{
    [Fact]
    public async Task A_token_made_by_the_CLI_opens_the_service_which_stops_cleanly_on_ctrl_c()
    {
        using var home = new TempHome();
        var created = await CliProcess.RunAsync(["auth", "create-token", "--role", "viewer", "--name", "ward"], home.Folder);
        Assert.True(created.ExitCode == 0, created.ToString());
        var token = created.StdOut.Trim();
        Assert.StartsWith("mh_", token, StringComparison.Ordinal);
        var listed = await CliProcess.RunAsync(["auth", "list-tokens"], home.Folder);
        Assert.Contains("viewer", listed.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain(token[16..], listed.StdOut, StringComparison.Ordinal); // never the secret

        using var serve = RunningCli.Start(["serve", "--urls", "http://127.0.0.1:0"], home.Folder);
        var line = await serve.WaitForLineAsync(l => l.Contains("listening on", StringComparison.Ordinal), 60);
        var url = line.Split("listening on ")[1].Split(',')[0].Trim();
        using var client = new HttpClient { BaseAddress = new Uri(url) };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/me")).StatusCode);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Contains("\"role\":\"viewer\"", await client.GetStringAsync("/api/v1/me"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/audit")).StatusCode);

        serve.Interrupt();
        var exited = await serve.WaitAsync(60);
        Assert.True(exited.ExitCode == 0, exited.ToString());

        var verify = await CliProcess.RunAsync(["audit", "verify"], home.Folder);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("audit chain intact", verify.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_Service_section_stops_serve_with_the_field_named()
    {
        using var home = new TempHome(new { Service = new { Urls = "http://0.0.0.0:5180" } });
        var result = await CliProcess.RunAsync(["serve"], home.Folder);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("Service:Urls: 'http://0.0.0.0:5180' is plain http beyond loopback", result.StdErr, StringComparison.Ordinal);
    }
}
