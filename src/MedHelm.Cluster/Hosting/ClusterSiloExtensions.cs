using System.Net;
using System.Security.Cryptography.X509Certificates;
using MedHelm.Application.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Connections.Security;
using StackExchange.Redis;

namespace MedHelm.Cluster.Hosting;

/// <summary>
/// Co-hosts an Orleans silo in a MedHelm host (one generic host: the silo, its client and the web service share one
/// container): the cluster id, Redis membership, the silo and gateway ports at the advertised address, and TLS with the
/// cluster's certificate on every silo and gateway connection, both ways.
/// </summary>
public static class ClusterSiloExtensions
{
    /// <summary>Orleans' service id: every MedHelm cluster runs the same service.</summary>
    public const string ServiceId = "medhelm";

    /// <summary>
    /// Adds the silo when <paramref name="options"/> is configured; returns false (and adds nothing) when it is not.
    /// The options must have been validated (<see cref="ClusterOptionsValidator"/>): the certificate is opened here.
    /// </summary>
    /// <param name="builder">The host.</param>
    /// <param name="options">The bound <c>Cluster</c> section.</param>
    /// <param name="resolvePath">Resolves a configured path (relative paths under the MedHelm home).</param>
    public static bool AddMedHelmClusterSilo(this IHostApplicationBuilder builder, ClusterOptions options, Func<string, string> resolvePath)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resolvePath);
        if (!options.Configured)
        {
            return false;
        }
        var certificate = ClusterOptionsValidator.LoadCertificate(
            resolvePath(options.CertificatePath!), options.CertificatePasswordFile is null ? null : resolvePath(options.CertificatePasswordFile));
        var redisPassword = ClusterOptionsValidator.ReadSecret(options.MembershipPasswordFile is null ? null : resolvePath(options.MembershipPasswordFile));
        builder.UseOrleans(silo =>
        {
            silo.Configure<Orleans.Configuration.ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId!;
                o.ServiceId = ServiceId;
            });
            silo.Configure<Orleans.Configuration.ClusterMembershipOptions>(o =>
            {
                // how fast a dead or frozen server is declared dead (its shards then move): about ProbeTimeout × NumMissedProbesLimit
                o.ProbeTimeout = TimeSpan.FromSeconds(options.ProbeTimeoutSeconds);
                o.MinProbeTimeout = o.ProbeTimeout / 2;
                o.MaxProbeTimeout = o.ProbeTimeout * 4;
                o.NumMissedProbesLimit = options.MissedProbesLimit;
            });
            silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedAddress!), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
            silo.UseRedisClustering(redis =>
            {
                redis.ConfigurationOptions = ConfigurationOptions.Parse(options.MembershipConnection!);
                redis.ConfigurationOptions.Password = redisPassword;
                redis.ConfigurationOptions.AbortOnConnectFail = false; // a Redis restart is retried, not fatal
            });
            silo.UseTls(certificate, tls => RequireClusterCertificate(tls, certificate));
        });
        builder.Services.AddMedHelmClusterServices(options);
        builder.Services.TryAddSingleton<ClusterView>();
        builder.Services.TryAddSingleton<ShardWorkload>();
        builder.Services.TryAddSingleton<ISiloReportSource, LocalSiloReportSource>();
        builder.Services.AddHostedService<SiloReporter>();
        return true;
    }

    /// <summary>
    /// TLS on both ends: a peer (silo or client) must present a certificate, and only the cluster's own certificate is
    /// accepted (pinned by thumbprint: the servers share one, often self-signed, so the chain is not what decides).
    /// </summary>
    public static void RequireClusterCertificate(TlsOptions tls, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(certificate);
        var thumbprint = certificate.GetCertHashString();
        tls.LocalCertificate = certificate;
        tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.RemoteCertificateValidation = (remote, _, _) =>
            remote is not null && string.Equals(remote.GetCertHashString(), thumbprint, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Shard execution on this silo (<see cref="ShardExecutor"/>) and runs started here evaluated on the cluster
    /// (<see cref="ClusterRunEvaluation"/>, which the run orchestrator uses in place of its local loop). A server's host
    /// adds it beside <see cref="AddMedHelmClusterSilo"/> (it needs the application's composition: the run orchestrator).
    /// </summary>
    public static IServiceCollection AddMedHelmShardExecution(this IServiceCollection services)
    {
        services.TryAddSingleton<ShardWorkload>();
        services.TryAddSingleton<ISiloReportSource, LocalSiloReportSource>();
        services.TryAddSingleton<Application.Runs.IShardedEvaluation, ClusterRunEvaluation>();
        services.AddHostedService<ShardExecutor>();
        return services;
    }

    /// <summary>What the grains need beside Orleans' own services: the clock and the Cluster options (also used by the test clusters).</summary>
    public static IServiceCollection AddMedHelmClusterServices(this IServiceCollection services, ClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IOptions<ClusterOptions>>(Microsoft.Extensions.Options.Options.Create(options));
        return services;
    }
}
