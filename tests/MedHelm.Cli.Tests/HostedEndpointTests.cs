using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

public sealed class HostedEndpointTests
{
    [Fact]
    public async Task Generate_refuses_a_hosted_endpoint_while_endpoints_are_disabled()
    {
        using var home = new TempHome(new { Endpoints = new { Enabled = false, Items = new { cloud = new { BaseUrl = "http://127.0.0.1:9/v1", Model = "m" } } } });
        var result = await CliProcess.RunAsync(["generate", "--model", "cloud", "--prompt", "hi"], home.Folder);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("hosted endpoints are disabled", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_reaches_an_enabled_endpoint_and_reports_its_failure_in_one_line()
    {
        using var home = new TempHome(new
        {
            Endpoints = new { Enabled = true, Items = new { local = new { BaseUrl = "http://127.0.0.1:9/v1", Model = "m", AllowPatientData = true, MaxRetries = 1, TimeoutSeconds = 5 } } },
        });
        var result = await CliProcess.RunAsync(["generate", "--model", "local", "--prompt", "hi"], home.Folder);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("failed after 2 attempt(s)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_endpoint_without_a_url_fails_at_start_naming_the_field()
    {
        using var home = new TempHome(new { Endpoints = new { Enabled = true, Items = new { bad = new { Model = "m" } } } });
        var result = await CliProcess.RunAsync(["runtime", "info"], home.Folder);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("Endpoints:Items:bad:BaseUrl", result.StdErr, StringComparison.Ordinal);
    }
}
