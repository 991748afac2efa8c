using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Cluster.Hosting;
using MedHelm.Service.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;

namespace MedHelm.Service.Tests;

/// <summary><c>GET /api/v1/cluster</c> and the silo <c>serve</c> starts only with a Cluster section.</summary>
public sealed class ClusterApiTests
{
    [Fact]
    public async Task Without_a_Cluster_section_no_silo_is_started_and_the_server_says_it_runs_alone()
    {
        await using var service = new TestService();

        Assert.Null(service.Services.GetService<IGrainFactory>());
        Assert.Null(service.Services.GetService<ClusterView>());
        Assert.DoesNotContain(service.Services.GetServices<IHostedService>(), h =>
            h.GetType().Assembly == typeof(ClusterView).Assembly || h.GetType().Assembly.GetName().Name!.StartsWith("Orleans", StringComparison.Ordinal));
        var body = await (await service.ClientAsync(AccessRole.Viewer)).GetFromJsonAsync<JsonElement>("/api/v1/cluster");
        Assert.False(body.GetProperty("enabled").GetBoolean());
        Assert.Equal(0, body.GetProperty("silos").GetArrayLength());
        Assert.Equal(0, body.GetProperty("runs").GetArrayLength());
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task With_a_Cluster_section_serve_runs_a_silo_that_reports_itself_and_executes_a_queued_run_as_shards()
    {
        using var redis = await RedisServer.StartAsync();
        var postgres = await PostgresTestServer.Shared; // a cluster shares one PostgreSQL database
        var storage = new { Provider = "postgres", ConnectionString = postgres.ConnectionString(await postgres.CreateDatabaseAsync("cluster")) };
        var clusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
        await using var service = await LiveService.StartAsync(home =>
        {
            using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                using var certificate = new CertificateRequest("CN=medhelm-cluster", key, HashAlgorithmName.SHA256)
                    .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
                File.WriteAllBytes(home.File("cluster.pfx"), certificate.Export(X509ContentType.Pkcs12, "pfx password"));
            }
            home.Write("cluster.pass", "pfx password\n");
            return new
            {
                ClusterId = clusterId,
                MembershipConnection = redis.Connection,
                SiloPort = RedisServer.FreePort(),
                GatewayPort = RedisServer.FreePort(),
                AdvertisedAddress = "127.0.0.1",
                CertificatePath = "cluster.pfx",
                CertificatePasswordFile = "cluster.pass",
                ShardSize = 2,
            };
        }, storage);
        using var client = new HttpClient { BaseAddress = service.Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await service.TokenAsync(AccessRole.Viewer));

        // the silo reports itself to the cluster directory every few seconds, the first time as it starts
        var deadline = DateTime.UtcNow + TestTimeouts.Scale(TimeSpan.FromSeconds(60));
        JsonElement body;
        do
        {
            body = await client.GetFromJsonAsync<JsonElement>("/api/v1/cluster");
            if (body.GetProperty("silos").GetArrayLength() > 0)
            {
                break;
            }
            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);

        Assert.True(body.GetProperty("enabled").GetBoolean());
        Assert.Equal(clusterId, body.GetProperty("clusterId").GetString());
        var silo = Assert.Single(body.GetProperty("silos").EnumerateArray());
        Assert.StartsWith("127.0.0.1:", silo.GetProperty("siloId").GetString(), StringComparison.Ordinal);
        Assert.Equal(Environment.MachineName, silo.GetProperty("host").GetString());
        Assert.Equal(4, silo.GetProperty("maxShards").GetInt32());
        Assert.Equal(0, body.GetProperty("runs").GetArrayLength());

        // a queued run is cut into shards that the silo (this server's) executes on the generated model
        using var operatorClient = new HttpClient { BaseAddress = service.Address };
        operatorClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await service.TokenAsync(AccessRole.Operator));
        var model = TestService.WriteModel(service.Home, "tiny");
        var created = await operatorClient.PostAsJsonAsync(
            "/api/v1/runs", new { models = new[] { model }, benchmarks = new[] { "medbullets" }, maxInstances = 3, samples = true, jury = new[] { "none" }, runId = "sharded" });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, created.StatusCode);
        var run = await TestService.WaitForAsync(client, "sharded", "completed", "failed");
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(3, run.GetProperty("results").GetInt32());
        var shards = await service.Services.GetRequiredService<IGrainFactory>().GetGrain<Cluster.Grains.IRunCoordinatorGrain>("sharded").GetProgressAsync();
        Assert.Equal((2, 2), (shards.Shards, shards.Done)); // instances 0-1 and 2

        // the silo's next reports count the tokens its shards processed in the last minute; the dashboard shows them
        var reported = 0.0;
        deadline = DateTime.UtcNow + TestTimeouts.Scale(TimeSpan.FromSeconds(30));
        while (reported <= 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            reported = (await client.GetFromJsonAsync<JsonElement>("/api/v1/cluster")).GetProperty("silos")[0].GetProperty("tokensPerSecond").GetDouble();
        }

        Assert.True(reported > 0, "the silo never reported the tokens of the shards it executed");
        var page = await client.GetStringAsync("/dashboard/cluster");
        Assert.Contains($"<b id=\"cluster-id\">{clusterId}</b>: 1 active server(s)", page, StringComparison.Ordinal);
        Assert.Contains($"<tr data-silo=\"{silo.GetProperty("siloId").GetString()}\">", page, StringComparison.Ordinal);
    }
}
