using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MedHelm.Application.Options;
using MedHelm.Cluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;
using MembershipOptions = Orleans.Configuration.ClusterMembershipOptions;

namespace MedHelm.Cluster.Tests;

/// <summary>
/// Real silos as <c>medhelm serve</c> composes them (Redis membership on a throwaway redis-server, TLS with the cluster's
/// certificate), two in this process: one with the cluster's certificate joins, one with another certificate is refused.
/// </summary>
public sealed class ClusterTlsTests
{
    private static string WriteCertificate(TempFolder folder, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=medhelm-cluster", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllBytes(folder.File(name), certificate.Export(X509ContentType.Pkcs12));
        return folder.File(name);
    }

    private static IHost Silo(RedisServer redis, string clusterId, string certificate)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var options = new ClusterOptions
        {
            ClusterId = clusterId,
            MembershipConnection = redis.Connection,
            SiloPort = RedisServer.FreePort(),
            GatewayPort = RedisServer.FreePort(),
            AdvertisedAddress = "127.0.0.1",
            CertificatePath = certificate,
        };
        Assert.True(builder.AddMedHelmClusterSilo(options, p => p));
        // a silo that cannot reach the others gives up joining after this (default: 5 minutes)
        builder.Services.Configure<MembershipOptions>(o => o.MaxJoinAttemptTime = TimeSpan.FromSeconds(10));
        return builder.Build();
    }

    private static int Active(IHost silo) =>
        silo.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_silo_with_the_clusters_certificate_joins_and_one_with_another_certificate_is_refused()
    {
        using var redis = await RedisServer.StartAsync();
        using var folder = new TempFolder();
        var cluster = WriteCertificate(folder, "cluster.pfx");
        var other = WriteCertificate(folder, "other.pfx");
        var clusterId = "tls-" + Guid.NewGuid().ToString("N")[..8];
        var limit = TestTimeouts.Scale(TimeSpan.FromSeconds(120));

        using var first = Silo(redis, clusterId, cluster);
        await first.StartAsync().WaitAsync(limit);
        using var second = Silo(redis, clusterId, cluster);
        await second.StartAsync().WaitAsync(limit);
        var deadline = DateTime.UtcNow + limit;
        while (Active(first) < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.Equal(2, Active(first));

        using var intruder = Silo(redis, clusterId, other);
        var joining = intruder.StartAsync();
        Assert.Same(joining, await Task.WhenAny(joining, Task.Delay(limit))); // it gave up (not still trying)
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => joining);
        Assert.IsNotType<TimeoutException>(refused);
        Assert.Equal(2, Active(first));
        Assert.Equal(2, Active(second));

        await second.StopAsync().WaitAsync(limit);
        await first.StopAsync().WaitAsync(limit);
    }
}
