using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

/// <summary>
/// A hosted model (an OpenAI-compatible endpoint; a local fake here) evaluated in a run beside local ones: only when an
/// administrator enabled endpoints, and only on data the endpoint may receive — checked before any request is sent.
/// </summary>
public sealed class RunHostedModelTests
{
    private static TempHome Home(FakeChatEndpoint endpoint, bool enabled = true) => new(new
    {
        Endpoints = new
        {
            Enabled = enabled,
            Items = new Dictionary<string, object>
            {
                ["cloud"] = new { BaseUrl = endpoint.BaseUrl, Model = "served-model", MaxRetries = 0, TimeoutSeconds = 30, MaxConcurrency = 2 },
            },
        },
    });

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_hosted_model_is_evaluated_stored_under_its_endpoint_identity_and_reused_on_resume()
    {
        using var endpoint = new FakeChatEndpoint(_ => "A");
        using var home = Home(endpoint);

        var result = await CliProcess.RunAsync(["run", "--samples", "--benchmarks", "pubmed_qa", "--models", "cloud", "--max-instances", "3", "--run-id", "hosted"], home.Folder);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(result.StdOut.Split('\n'), l => l.StartsWith("cloud ", StringComparison.Ordinal) && l.Contains(" pubmed_qa ", StringComparison.Ordinal));
        Assert.Equal(3, endpoint.Requests);
        var db = home.PathOf("data", "medhelm.db");
        Assert.Equal(3L, await RunJuryTests.ScalarAsync(db, "SELECT COUNT(*) FROM scores WHERE run_id = 'hosted' AND metric = 'exact_match' AND value IN (0, 1)"));
        Assert.Equal(3L, await RunJuryTests.ScalarAsync(db, "SELECT COUNT(*) FROM requests WHERE model_identity LIKE 'endpoint:%/served-model'"));

        var again = await CliProcess.RunAsync(["run", "--run-id", "hosted", "--resume"], home.Folder);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("nothing new computed", again.StdOut, StringComparison.Ordinal);
        Assert.Equal(3, endpoint.Requests);
    }

    [Fact]
    public async Task A_hosted_model_gets_no_patient_data_unless_allowed_and_nothing_when_endpoints_are_disabled()
    {
        using var endpoint = new FakeChatEndpoint(_ => "A");
        using (var home = Home(endpoint))
        {
            var gated = await CliProcess.RunAsync(["run", "--samples", "--benchmarks", "n2c2_ct_matching", "--models", "cloud", "--max-instances", "2"], home.Folder);
            Assert.Equal(1, gated.ExitCode);
            Assert.Contains("AllowPatientData", gated.StdErr, StringComparison.Ordinal);
        }

        using (var home = Home(endpoint, enabled: false))
        {
            var disabled = await CliProcess.RunAsync(["run", "--samples", "--benchmarks", "pubmed_qa", "--models", "cloud", "--max-instances", "2"], home.Folder);
            Assert.Equal(1, disabled.ExitCode);
            Assert.Contains("hosted endpoints are disabled", disabled.StdErr, StringComparison.Ordinal);
        }

        Assert.Equal(0, endpoint.Requests);
    }
}
