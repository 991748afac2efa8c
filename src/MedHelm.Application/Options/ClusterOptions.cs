using System.ComponentModel.DataAnnotations;

namespace MedHelm.Application.Options;

/// <summary>Where a cluster keeps its membership table (docs/scale-out.md, "Cluster (Orleans)").</summary>
public enum ClusterMembership
{
    /// <summary>Redis (Microsoft.Orleans.Clustering.Redis): the membership table lives in one Redis key of the cluster id.</summary>
    Redis,
}

/// <summary>
/// The <c>Cluster</c> section: present, <c>medhelm serve</c> also starts an Orleans silo that joins the other servers of
/// the same cluster id (docs/scale-out.md); absent (the default), nothing of the cluster is loaded or started. Validated
/// when the host starts (<see cref="ClusterOptionsValidator"/>).
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>The section name.</summary>
    public const string SectionName = "Cluster";

    /// <summary>The cluster's name: every server of one appliance uses the same (letters, digits, '.', '-', '_').</summary>
    public string? ClusterId { get; set; }

    /// <summary>Where the membership table lives.</summary>
    public ClusterMembership Membership { get; set; } = ClusterMembership.Redis;

    /// <summary>The membership store's connection (Redis: <c>host:port</c>, StackExchange.Redis options after commas; no password here).</summary>
    public string? MembershipConnection { get; set; }

    /// <summary>A file holding the membership store's password (relative paths under the MedHelm home); none: no password.</summary>
    public string? MembershipPasswordFile { get; set; }

    /// <summary>The port silos talk to each other on.</summary>
    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>The port clients (other hosts' cluster clients) connect to.</summary>
    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The IP address the other silos reach this one at (required: a server has several).</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>A PKCS#12 (.pfx) certificate every silo of the cluster presents and trusts (relative paths under the MedHelm home).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>A file holding the certificate's password (relative paths under the MedHelm home); none: no password.</summary>
    public string? CertificatePasswordFile { get; set; }

    /// <summary>How long a shard lease lasts without renewal, in seconds: a silo that stops renewing loses its shards after this.</summary>
    [Range(5, 3600)]
    public int ShardLeaseSeconds { get; set; } = 60;

    /// <summary>How many shards a silo holds at once (running and queued).</summary>
    [Range(1, 1024)]
    public int MaxShardsPerSilo { get; set; } = 4;

    /// <summary>How many instances of one model × benchmark pair a shard holds at most (the unit a silo leases, and redoes after a failure).</summary>
    [Range(1, 100000)]
    public int ShardSize { get; set; } = 50;

    /// <summary>
    /// The initial time a silo waits for a liveness probe's answer from another silo, in seconds (Orleans'
    /// ClusterMembershipOptions.ProbeTimeout; it adapts between half and four times this to the answers seen).
    /// </summary>
    [Range(1, 60)]
    public int ProbeTimeoutSeconds { get; set; } = 5;

    /// <summary>
    /// Probes a silo may miss before the silo probing it votes it dead (Orleans' NumMissedProbesLimit); Orleans' votes
    /// (two by default) declare it dead and its shards move. Failure detection takes about
    /// <see cref="ProbeTimeoutSeconds"/> × this (15 s by default), longer while probes' answers are slow.
    /// </summary>
    [Range(1, 10)]
    public int MissedProbesLimit { get; set; } = 3;

    /// <summary>True when the section sets anything (a host then starts a silo).</summary>
    public bool Configured => ClusterId is not null || MembershipConnection is not null || AdvertisedAddress is not null || CertificatePath is not null;
}
