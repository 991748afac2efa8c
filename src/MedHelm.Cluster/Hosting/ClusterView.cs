using System.Collections.Immutable;
using MedHelm.Application.Options;
using MedHelm.Cluster.Grains;
using MedHelm.Cluster.Work;
using Microsoft.Extensions.Options;

namespace MedHelm.Cluster.Hosting;

/// <summary>What <c>GET /api/v1/cluster</c> shows.</summary>
/// <param name="ClusterId">The cluster's id.</param>
/// <param name="Silos">Every active silo's latest report.</param>
/// <param name="Runs">The runs being sharded, with their leases in flight.</param>
public sealed record ClusterSnapshot(string ClusterId, IReadOnlyList<SiloReport> Silos, IReadOnlyList<RunShardProgress> Runs);

/// <summary>Reads the cluster's state from its grains (any silo can answer: the grains are found wherever they live).</summary>
public sealed class ClusterView(IGrainFactory grains, IOptions<ClusterOptions> options)
{
    /// <summary>The silos and the runs in flight now.</summary>
    public async Task<ClusterSnapshot> GetAsync(CancellationToken cancellationToken = default)
    {
        var directory = grains.GetGrain<IClusterDirectoryGrain>(0);
        var silos = await directory.GetSilosAsync().WaitAsync(cancellationToken);
        var runs = await directory.GetRunsAsync().WaitAsync(cancellationToken);
        var progress = await Task.WhenAll(runs.Select(r => grains.GetGrain<IRunCoordinatorGrain>(r).GetProgressAsync())).WaitAsync(cancellationToken);
        return new ClusterSnapshot(options.Value.ClusterId!, silos, progress.ToImmutableArray());
    }
}
