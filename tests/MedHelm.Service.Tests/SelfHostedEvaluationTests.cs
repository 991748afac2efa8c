using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using MedHelm.Application.Access;
using MedHelm.Application.Ports;
using MedHelm.Gguf.TestModels;
using MedHelm.Service.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace MedHelm.Service.Tests;

/// <summary>
/// The acceptance test: an evaluation run that reaches a model through the appliance's own
/// <c>/v1/chat/completions</c> (the hosted OpenAI-compatible client over a real loopback port, configured as an
/// Endpoints entry) gives the same greedy outputs as the same model run in-process.
/// </summary>
public sealed class SelfHostedEvaluationTests
{
    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_run_through_the_appliances_own_v1_endpoint_gives_the_in_process_greedy_outputs()
    {
        using var home = new TempFolder("medhelm-self-");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 2, Embd = 64, Seed = 7 }, home.File("chat.gguf"));
        var port = FreePort();
        var keyVariable = "MEDHELM_TEST_SELF_TOKEN_" + Guid.NewGuid().ToString("N")[..8];
        await using var service = TestService.WithRealModels(home, [
            ("Service:Urls", $"http://127.0.0.1:{port}"),
            ("Models:tiny:File", home.File("chat.gguf")), ("Models:tiny:Sequences", "4"), ("Models:tiny:ContextPerSequence", "2048"),
            ("Endpoints:Enabled", "true"),
            ("Endpoints:Items:self:BaseUrl", $"http://127.0.0.1:{port}/v1"),
            ("Endpoints:Items:self:Model", "tiny"),
            ("Endpoints:Items:self:ApiKeyEnvironmentVariable", keyVariable),
            ("Endpoints:Items:self:MaxRetries", "0"),
        ], kestrel: true);
        var token = await service.Services.GetRequiredService<ApiTokenService>().CreateAsync(AccessRole.Operator, "self", CancellationToken.None);
        Environment.SetEnvironmentVariable(keyVariable, token.Token);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);

            var local = await RunAsync(client, "local", "tiny");
            var hosted = await RunAsync(client, "hosted", "self");

            Assert.Equal(4, local.Count);
            Assert.Equal(local.Keys.Order(), hosted.Keys.Order());
            foreach (var (instance, output) in local)
            {
                Assert.Equal(output, hosted[instance]);
            }

            Assert.Contains(local.Values, o => o.Length > 0);
        }
        finally
        {
            Environment.SetEnvironmentVariable(keyVariable, null);
        }
    }

    /// <summary>Queues a run of <paramref name="model"/> on four medbullets samples, waits for it and returns each instance's output.</summary>
    private static async Task<Dictionary<string, string>> RunAsync(HttpClient client, string runId, string model)
    {
        var created = await client.PostAsJsonAsync(
            "/api/v1/runs", new { models = new[] { model }, benchmarks = new[] { "medbullets" }, maxInstances = 4, samples = true, jury = new[] { "none" }, runId });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var run = await TestService.WaitForAsync(client, runId, "completed", "failed");
        Assert.True(run.GetProperty("status").GetString() == "completed", run.GetRawText());
        Assert.Equal(4, run.GetProperty("computed").GetInt32()); // generated now, not reused from the other run's ledger
        var results = await client.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{runId}/results?outputs=true");
        return results.EnumerateArray().ToDictionary(r => r.GetProperty("instanceId").GetString()!, r => r.GetProperty("output").GetString()!);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
