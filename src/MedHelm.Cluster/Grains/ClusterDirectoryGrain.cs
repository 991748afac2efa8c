using System.Collections.Immutable;
using MedHelm.Cluster.Work;
using Orleans.Runtime;

namespace MedHelm.Cluster.Grains;

/// <summary>See <see cref="IClusterDirectoryGrain"/>. Its state is what silos report every few seconds, so it lives in memory.</summary>
[KeepAlive]
internal sealed class ClusterDirectoryGrain(IClusterMembershipService membership) : Grain, IClusterDirectoryGrain
{
    private readonly Dictionary<string, SiloReport> _reports = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _runs = new(StringComparer.Ordinal);

    public Task ReportAsync(SiloReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        _reports[report.SiloId] = report;
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<SiloReport>> GetSilosAsync()
    {
        foreach (var dead in _reports.Keys.Where(id => !SiloLiveness.IsActive(membership, id)).ToArray())
        {
            _reports.Remove(dead);
        }
        return Task.FromResult(_reports.Values.OrderBy(r => r.SiloId, StringComparer.Ordinal).ToImmutableArray());
    }

    public Task SetRunAsync(string runId, bool active)
    {
        if (active)
        {
            _runs.Add(runId);
        }
        else
        {
            _runs.Remove(runId);
        }
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<string>> GetRunsAsync() => Task.FromResult(_runs.ToImmutableArray());
}

/// <summary>What the membership says of a silo id (a parsable silo address).</summary>
internal static class SiloLiveness
{
    /// <summary>The id of the silo <paramref name="address"/> (what reports and leases name).</summary>
    public static string IdOf(SiloAddress address) => address.ToParsableString();

    /// <summary>True when the membership holds the silo active (joining or shutting down silos are not given work).</summary>
    public static bool IsActive(IClusterMembershipService membership, string siloId) =>
        membership.CurrentSnapshot.GetSiloStatus(SiloAddress.FromParsableString(siloId)) == SiloStatus.Active;

    /// <summary>True when the membership declared the silo dead (its leases return to the pool at once).</summary>
    public static bool IsDead(IClusterMembershipService membership, string siloId) =>
        membership.CurrentSnapshot.GetSiloStatus(SiloAddress.FromParsableString(siloId)) == SiloStatus.Dead;
}
