using System.Collections.Immutable;
using MedHelm.Application.Options;
using MedHelm.Cluster.Work;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace MedHelm.Cluster.Grains;

/// <summary>
/// See <see cref="IRunCoordinatorGrain"/>. The plan and its leases live in this activation's memory (kept alive while
/// the run is sharded); docs/scale-out.md says what happens when the silo holding it dies.
/// </summary>
[KeepAlive]
internal sealed partial class RunCoordinatorGrain(
    IClusterMembershipService membership, ILocalSiloDetails localSilo, IOptions<ClusterOptions> options, TimeProvider time, ILogger<RunCoordinatorGrain> logger)
    : Grain, IRunCoordinatorGrain
{
    private ShardPlan? _plan;
    private ShardLeaseTable? _table;
    private ImmutableArray<string> _waiting = [];

    private TimeSpan LeaseDuration => TimeSpan.FromSeconds(options.Value.ShardLeaseSeconds);

    private int MaxShards => options.Value.MaxShardsPerSilo;

    public async Task<bool> StartAsync(ShardPlan plan, string[]? stored = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var runId = this.GetPrimaryKeyString();
        if (plan.RunId != runId)
        {
            throw new InvalidOperationException($"The plan is of run {plan.RunId}, not of {runId}.");
        }
        if (_plan is not null)
        {
            return _plan.Shards.SequenceEqual(plan.Shards)
                ? false
                : throw new InvalidOperationException($"The run {runId} is already sharded with a different plan ({_plan.Shards.Length} shards).");
        }
        _table = new ShardLeaseTable(plan.Shards);
        _table.MarkDone(stored ?? []);
        _plan = plan;
        await GrainFactory.GetGrain<IClusterDirectoryGrain>(0).SetRunAsync(runId, active: true);
        LogStarted(runId, plan.Shards.Length, plan.Instances, _table.DoneCount);
        if (_table.Finished)
        {
            await GrainFactory.GetGrain<IClusterDirectoryGrain>(0).SetRunAsync(runId, active: false);
        }
        return true;
    }

    public async Task<ImmutableArray<ShardLease>> LeaseAsync(SiloReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var table = Table();
        ReturnLostLeases(table);
        var directory = GrainFactory.GetGrain<IClusterDirectoryGrain>(0);
        await directory.ReportAsync(report);
        var silos = await directory.GetSilosAsync();
        // the asking silo's own report counts even before the membership lists it (it reported it just now)
        if (!silos.Any(s => s.SiloId == report.SiloId))
        {
            silos = silos.Add(report);
        }
        // a silo holds at least the shards this run leased it, whatever its last report said; and no more than the cluster's limit
        var held = table.Leases.GroupBy(l => l.SiloId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        silos = silos
            .Select(s => s with { MaxShards = Math.Min(s.MaxShards, MaxShards), QueueDepth = Math.Max(s.QueueDepth, held.GetValueOrDefault(s.SiloId)) })
            .ToImmutableArray();
        var placement = PlacementPolicy.Place(table.Pending, silos, table.ModelsInFlight());
        _waiting = placement.Unplaced.Select(u => u.Reason).Distinct(StringComparer.Ordinal).ToImmutableArray();
        var now = time.GetUtcNow();
        var leases = placement.Assignments
            .Where(a => a.SiloId == report.SiloId)
            .Select(a => table.Lease(a.Shard.Id, a.SiloId, now, LeaseDuration))
            .ToImmutableArray();
        if (leases.Length > 0)
        {
            LogLeased(this.GetPrimaryKeyString(), leases.Length, report.SiloId);
        }
        return leases;
    }

    public Task<ImmutableArray<ShardLease>> RenewAsync(string siloId)
    {
        var table = Table();
        ReturnLostLeases(table);
        return Task.FromResult(table.Renew(siloId, time.GetUtcNow(), LeaseDuration).ToImmutableArray());
    }

    public async Task StopAsync()
    {
        if (_table is null)
        {
            return;
        }
        LogStopped(this.GetPrimaryKeyString(), _table.Count - _table.DoneCount);
        (_plan, _table, _waiting) = (null, null, []);
        await GrainFactory.GetGrain<IClusterDirectoryGrain>(0).SetRunAsync(this.GetPrimaryKeyString(), active: false);
    }

    public Task<bool> ReturnAsync(string shardId, long token, string? failure = null)
    {
        var table = Table();
        var returned = table.Return(shardId, token, failure);
        if (returned && failure is not null)
        {
            if (table.Failed.Any(f => f.Shard.Id == shardId))
            {
                LogShardFailed(this.GetPrimaryKeyString(), shardId, ShardLeaseTable.MaxFailures);
            }
            else
            {
                LogReturned(this.GetPrimaryKeyString(), shardId);
            }
        }
        return Task.FromResult(returned);
    }

    public async Task<CompletionOutcome> CompleteAsync(string shardId, long token)
    {
        var table = Table();
        var outcome = table.Complete(shardId, token);
        if (outcome == CompletionOutcome.Completed && table.Finished)
        {
            await GrainFactory.GetGrain<IClusterDirectoryGrain>(0).SetRunAsync(this.GetPrimaryKeyString(), active: false);
            LogFinished(this.GetPrimaryKeyString(), table.Count);
        }
        return outcome;
    }

    public Task<RunShardProgress> GetProgressAsync()
    {
        var runId = this.GetPrimaryKeyString();
        if (_table is null)
        {
            return Task.FromResult(new RunShardProgress(runId, 0, 0, 0, [], [], []));
        }
        ReturnLostLeases(_table);
        return Task.FromResult(new RunShardProgress(
            runId, _table.Count, _table.Pending.Count, _table.DoneCount, [.. _table.Leases], _waiting,
            [.. _table.Failed.Select(f => $"{f.Shard.Id}: {string.Join("; ", f.Failures)}")]));
    }

    public Task<string> GetHostSiloAsync() => Task.FromResult(SiloLiveness.IdOf(localSilo.SiloAddress));

    private ShardLeaseTable Table() =>
        _table ?? throw new InvalidOperationException($"The run {this.GetPrimaryKeyString()} has no shard plan here (StartAsync first).");

    /// <summary>Expired leases, and those of silos the membership declared dead, return to the pool.</summary>
    private void ReturnLostLeases(ShardLeaseTable table)
    {
        var expired = table.Expire(time.GetUtcNow());
        foreach (var shard in expired)
        {
            LogExpired(this.GetPrimaryKeyString(), shard.Id);
        }
        foreach (var silo in table.Leases.Select(l => l.SiloId).Distinct(StringComparer.Ordinal).Where(s => SiloLiveness.IsDead(membership, s)).ToArray())
        {
            var released = table.ReleaseSilo(silo);
            LogSiloDead(this.GetPrimaryKeyString(), silo, released.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: sharded into {Shards} shards ({Instances} instances), {Stored} of them stored already.")]
    private partial void LogStarted(string runId, int shards, long instances, int stored);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Run {RunId}: {Count} shards leased to {Silo}.")]
    private partial void LogLeased(string runId, int count, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: the lease of shard {Shard} expired; it returns to the pool.")]
    private partial void LogExpired(string runId, string shard);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: silo {Silo} is dead; its {Count} shards return to the pool.")]
    private partial void LogSiloDead(string runId, string silo, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: stopped on its server; {Shards} shards not done are dropped (the silos stop them at their next renewal).")]
    private partial void LogStopped(string runId, int shards);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: shard {Shard} failed on its silo; it returns to the pool.")]
    private partial void LogReturned(string runId, string shard);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId}: shard {Shard} failed {Failures} times; the run fails.")]
    private partial void LogShardFailed(string runId, string shard, int failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: all {Shards} shards are done.")]
    private partial void LogFinished(string runId, int shards);
}
