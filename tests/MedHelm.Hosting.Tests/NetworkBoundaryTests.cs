using System.Net;
using System.Text.Json;
using MedHelm.Application.Models;
using MedHelm.Application.Ports;
using MedHelm.Hosting.Logging;
using MedHelm.Inference.OpenAI;
using Microsoft.Extensions.DependencyInjection;

namespace MedHelm.Hosting.Tests;

/// <summary>The process's one outbound transport: loopback and enabled endpoints only; a refusal is audited.</summary>
public sealed class NetworkBoundaryTests
{
    private static ServiceProvider Compose(TempFolder home, bool enabled)
    {
        home.Write("appsettings.json", JsonSerializer.Serialize(new
        {
            Endpoints = new { Enabled = enabled, Items = new { cloud = new { BaseUrl = "https://llm.hospital.local/v1", Model = "m" } } },
        }));
        var configuration = MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(home.Path);
        return new ServiceCollection()
            .AddMedHelm(configuration, new MedHelmHostSettings(home.Path))
            .AddMedHelmLogging(configuration, verbose: false)
            .BuildServiceProvider();
    }

    [Fact]
    public async Task A_connection_to_a_host_that_is_not_listed_is_refused_before_its_socket_opens_and_audited_without_its_payload()
    {
        using var home = new TempFolder();
        await using var provider = Compose(home, enabled: true);
        var boundary = provider.GetRequiredService<EgressBoundary>();
        Assert.Same(boundary, provider.GetRequiredService<ModelResolver>().Pipeline.Boundary); // hosted clients send through it
        using var http = new HttpClient(boundary.Handler, disposeHandler: false);

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync("http://203.0.113.5:81/v1/chat/completions", new StringContent("PATIENT-NOTE-TEXT")));

        var refused = EgressRefusedException.In(e);
        Assert.NotNull(refused);
        Assert.Equal(new EgressAttempt("203.0.113.5", 81), refused.Attempt);
        var audit = Assert.Single(await provider.GetRequiredService<IAuditLog>().GetAuditAsync(null), a => a.Event == NetworkBoundary.RefusedEvent);
        using var detail = JsonDocument.Parse(audit.DetailJson);
        Assert.Equal("203.0.113.5", detail.RootElement.GetProperty("host").GetString());
        Assert.Equal(81, detail.RootElement.GetProperty("port").GetInt32());
        Assert.DoesNotContain("PATIENT", audit.DetailJson, StringComparison.Ordinal);
        Assert.True(boundary.Permits("llm.hospital.local"));
        Assert.True(boundary.Permits("localhost"));
    }

    [Fact]
    public async Task Loopback_is_reachable_and_a_configured_endpoint_is_not_while_endpoints_are_disabled()
    {
        using var home = new TempFolder();
        await using var provider = Compose(home, enabled: false);
        var boundary = provider.GetRequiredService<EgressBoundary>();
        Assert.False(boundary.Permits("llm.hospital.local"));

        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var http = new HttpClient(boundary.Handler, disposeHandler: false) { Timeout = TestTimeouts.Scale(TimeSpan.FromSeconds(5)) };
        var send = http.GetAsync($"http://127.0.0.1:{port}/");
        using (var accepted = await listener.AcceptTcpClientAsync()) // the socket opened: loopback passes the boundary
        {
            Assert.True(accepted.Connected);
        }

        await Assert.ThrowsAnyAsync<Exception>(() => send); // closed without an answer
        Assert.DoesNotContain(await provider.GetRequiredService<IAuditLog>().GetAuditAsync(null), a => a.Event == NetworkBoundary.RefusedEvent);
    }
}
