using System.Collections.Immutable;
using MedHelm.Cluster.Work;

namespace MedHelm.Cluster.Grains;

/// <summary>A run's shard progress as its coordinator sees it.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Shards">Every shard of its plan.</param>
/// <param name="Pending">Shards waiting for a silo.</param>
/// <param name="Done">Shards done.</param>
/// <param name="InFlight">The leases held now.</param>
/// <param name="Waiting">Why the pending shards were not placed in the last placement round (empty when all were).</param>
/// <param name="Failed">Shards that failed <see cref="ShardLeaseTable.MaxFailures"/> times, each as "shard: why; why; why" (the run fails).</param>
[GenerateSerializer, Immutable]
public sealed record RunShardProgress(string RunId, int Shards, int Pending, int Done, ImmutableArray<ShardLease> InFlight, ImmutableArray<string> Waiting, ImmutableArray<string> Failed);

/// <summary>
/// The grain (keyed by run id) that owns a run's shard plan and leases its shards to silos: each silo asks for work
/// with its status report, renews what it holds while it runs it, and completes each shard with its lease's token. A
/// lease not renewed within Cluster:ShardLeaseSeconds, or held by a silo the membership declared dead, returns to the pool.
/// </summary>
public interface IRunCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Takes the run's plan, the shards named in <paramref name="stored"/> done already (their results are stored: a
    /// plan given again after the coordinator's silo died, or a resumed run); the same plan again changes nothing (returns false).
    /// </summary>
    /// <exception cref="InvalidOperationException">The run already has a different plan, or the plan is of another run.</exception>
    Task<bool> StartAsync(ShardPlan plan, string[]? stored = null);

    /// <summary>Places the pending shards (<see cref="PlacementPolicy"/>) and leases those placed on the asking silo.</summary>
    Task<ImmutableArray<ShardLease>> LeaseAsync(SiloReport report);

    /// <summary>Extends the leases <paramref name="siloId"/> still holds and returns them (a shard not among them moved).</summary>
    Task<ImmutableArray<ShardLease>> RenewAsync(string siloId);

    /// <summary>
    /// Returns a shard to the pool (false: that lease is no longer the shard's): its silo failed to execute it for
    /// <paramref name="failure"/> (no patient text), or gave it up (null). A shard's <see cref="ShardLeaseTable.MaxFailures"/>th
    /// failure fails it, and its run with it (<see cref="RunShardProgress.Failed"/>).
    /// </summary>
    Task<bool> ReturnAsync(string shardId, long token, string? failure = null);

    /// <summary>Marks a shard done (its results are stored); a second completion of it is <see cref="CompletionOutcome.AlreadyDone"/>.</summary>
    Task<CompletionOutcome> CompleteAsync(string shardId, long token);

    /// <summary>
    /// Drops the run's plan and leases (the run was cancelled, or stopped on the server it was queued on): the silos
    /// executing its shards learn it at their next renewal and stop them. A later <see cref="StartAsync"/> (the run
    /// resumed) starts over; what was stored is reused from the ledger.
    /// </summary>
    Task StopAsync();

    /// <summary>The run's shard progress.</summary>
    Task<RunShardProgress> GetProgressAsync();

    /// <summary>The silo this coordinator runs on (for tests and the cluster view).</summary>
    Task<string> GetHostSiloAsync();
}

/// <summary>
/// The cluster's directory (one grain, key 0): every silo's latest status report and the runs being sharded now. It
/// lists only silos the membership holds active, so a dead server leaves the view and placement at once.
/// </summary>
public interface IClusterDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>Records a silo's report (replacing its previous one).</summary>
    Task ReportAsync(SiloReport report);

    /// <summary>The latest report of every active silo, by silo id.</summary>
    Task<ImmutableArray<SiloReport>> GetSilosAsync();

    /// <summary>Records that a run is being sharded (or, with <paramref name="active"/> false, that it finished).</summary>
    Task SetRunAsync(string runId, bool active);

    /// <summary>The runs being sharded now.</summary>
    Task<ImmutableArray<string>> GetRunsAsync();
}
