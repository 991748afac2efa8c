using System.Collections.Concurrent;
using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Application.Runs;
using MedHelm.Cluster.Grains;
using MedHelm.Cluster.Work;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MedHelm.Cluster.Hosting;

/// <summary>
/// Executes shards on this silo (registered only with a Cluster section): every poll it asks the coordinator of each
/// run the directory lists for work (with this silo's report, while it has free slots), executes each leased shard
/// through <see cref="RunOrchestrator.ExecuteShardAsync"/> (the single server's evaluation, restricted to the shard's
/// model, benchmark and instance range; results stored through the ledger), renews its leases every third of
/// Cluster:ShardLeaseSeconds, and completes each shard with its lease's token. A renewal that no longer lists a shard
/// (its lease expired or moved) cancels that shard's work at once; a shard that fails is left to its lease, which
/// expires and returns it to the pool.
/// </summary>
public sealed partial class ShardExecutor(
    IGrainFactory grains, RunOrchestrator orchestrator, ISiloReportSource reports, ShardWorkload workload, IOptions<ClusterOptions> options, TimeProvider time,
    ILogger<ShardExecutor> logger) : BackgroundService
{
    // by lease: a shard whose lease moved may be leased to this silo again while its first execution is still stopping
    private readonly ConcurrentDictionary<(string RunId, string ShardId, long Token), Execution> _executions = new();

    // each run is planned once per silo (its model files hashed once), while the directory lists it
    private readonly ConcurrentDictionary<string, Lazy<Task<PlannedRun>>> _plans = new(StringComparer.Ordinal);

    /// <summary>How often the silo asks for work and checks whether its leases are due for renewal.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var renewEvery = TimeSpan.FromSeconds(options.Value.ShardLeaseSeconds) / 3;
        var renewed = time.GetUtcNow();
        using var timer = new PeriodicTimer(PollInterval, time);
        try
        {
            do
            {
                try
                {
                    if (time.GetUtcNow() - renewed >= renewEvery)
                    {
                        await RenewAsync(stoppingToken).ConfigureAwait(false);
                        renewed = time.GetUtcNow();
                    }
                    await LeaseAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    throw;
                }
#pragma warning disable CA1031 // the executor outlives any one failure (a grain whose silo just died, the database away): the next poll tries again
                catch (Exception e)
#pragma warning restore CA1031
                {
                    LogPollFailed(e.GetType().Name);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the host stops: the shards in flight are cancelled below; their leases expire and other silos redo them
        }
        await Task.WhenAll(_executions.Values.Select(e => e.Task)).ConfigureAwait(false);
    }

    /// <summary>Renews this silo's leases of every run it executes shards of; a shard no longer leased to it stops.</summary>
    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        var siloId = reports.Current().SiloId;
        foreach (var runId in _executions.Keys.Select(k => k.RunId).Distinct(StringComparer.Ordinal).ToArray())
        {
            IReadOnlyList<ShardLease> held;
            try
            {
                held = await grains.GetGrain<IRunCoordinatorGrain>(runId).RenewAsync(siloId).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                held = []; // the coordinator lost the run's plan (its silo died): every lease of it is gone; the run's server gives the plan again
            }
            foreach (var (key, execution) in _executions.Where(e => e.Key.RunId == runId).ToArray())
            {
                if (!held.Any(l => l.Shard.Id == key.ShardId && l.Token == key.Token))
                {
                    LogLeaseLost(runId, key.ShardId);
                    try
                    {
                        await execution.Stop.CancelAsync().ConfigureAwait(false);
                    }
                    catch (ObjectDisposedException)
                    {
                        // it ended meanwhile
                    }
                }
            }
        }
    }

    /// <summary>Asks the coordinator of every run being sharded for work while this silo has free slots, and starts what it leases.</summary>
    private async Task LeaseAsync(CancellationToken stoppingToken)
    {
        if (workload.Running >= options.Value.MaxShardsPerSilo)
        {
            return;
        }
        var runs = await grains.GetGrain<IClusterDirectoryGrain>(0).GetRunsAsync().WaitAsync(stoppingToken).ConfigureAwait(false);
        foreach (var done in _plans.Keys.Where(r => !runs.Any(k => CoordinatorKeys.Parse(k).RunId == r) && !_executions.Keys.Any(k => CoordinatorKeys.Parse(k.RunId).RunId == r)).ToArray())
        {
            _plans.TryRemove(done, out _);
        }
        foreach (var runId in runs)
        {
            var report = reports.Current() with { QueueDepth = workload.Running };
            if (report.FreeSlots == 0)
            {
                return;
            }
            ShardLease[] leases;
            try
            {
                leases = [.. await grains.GetGrain<IRunCoordinatorGrain>(runId).LeaseAsync(report).WaitAsync(stoppingToken).ConfigureAwait(false)];
            }
            catch (InvalidOperationException)
            {
                continue; // listed, but its coordinator has no plan (activated again after its silo died): the run's server gives it again
            }
            foreach (var lease in leases)
            {
                Start(runId, lease, stoppingToken);
            }
        }
    }

    private void Start(string runId, ShardLease lease, CancellationToken stoppingToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var execution = new Execution(lease, stop, ExecuteAsync(runId, lease, stop, ready.Task));
        _executions[(runId, lease.Shard.Id, lease.Token)] = execution;
        workload.Started();
        ready.SetResult();
    }

    private async Task ExecuteAsync(string runId, ShardLease lease, CancellationTokenSource stop, Task ready)
    {
        await ready.ConfigureAwait(false);
        var shard = lease.Shard;
        try
        {
            // the coordinator's key names the run, and whether the shard is of its instances or of its jury phase
            var (run, jury) = CoordinatorKeys.Parse(runId);
            var planned = await PlanAsync(run, stop.Token).ConfigureAwait(false);
            var work = new RunShard(run, shard.Model, shard.Benchmark, shard.FirstInstance, shard.InstanceCount);
            var outcome = jury
                ? await orchestrator.ExecuteJuryShardAsync(planned, work, stop.Token).ConfigureAwait(false)
                : await orchestrator.ExecuteShardAsync(planned, work, workload.TokenCounter(), stop.Token).ConfigureAwait(false);
            await CompleteAsync(runId, lease, outcome).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            LogStopped(runId, shard.Id); // a lost lease or the host stopping: what finished is stored
        }
        catch (ApplicationError e)
        {
            LogFailed(runId, shard.Id, e.GetType().Name, e.Message); // e.g. the run's model or dataset is missing on this server
            await ReturnAsync(runId, lease, e.Message, stop.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // a shard's failure must not end the executor: it is logged (type only) and the shard returns to the pool
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogFailed(runId, shard.Id, Describe(e), "the shard returns to the pool and is executed again");
            await ReturnAsync(runId, lease, $"unexpected {e.GetType().Name} (see that server's log)", stop.Token).ConfigureAwait(false);
        }
        finally
        {
            _executions.TryRemove((runId, shard.Id, lease.Token), out _);
            workload.Ended();
            stop.Dispose();
        }
    }

    /// <summary>
    /// Tells the coordinator the shard is done. Its results are stored whatever happens here: a coordinator that lost
    /// the run's plan (its silo died) or cannot be reached leaves the shard to be leased again, and its next execution
    /// answers every instance from the ledger.
    /// </summary>
    private async Task CompleteAsync(string runId, ShardLease lease, ShardOutcome outcome)
    {
        try
        {
            var completion = await grains.GetGrain<IRunCoordinatorGrain>(runId).CompleteAsync(lease.Shard.Id, lease.Token).ConfigureAwait(false);
            LogCompleted(runId, lease.Shard.Id, outcome.Computed, outcome.Reused, completion);
        }
        catch (Exception e) when (e is InvalidOperationException or OrleansException or TimeoutException)
        {
            LogNotCompleted(runId, lease.Shard.Id, e.GetType().Name);
        }
    }

    /// <summary>
    /// An unexpected failure for the log without its message (which may quote data): its type, a database error's
    /// SQLSTATE, and the project's three innermost types (async state machines name their method) it came through.
    /// </summary>
    internal static string Describe(Exception e)
    {
        var described = e.GetType().Name;
        if (e is System.Data.Common.DbException { SqlState: { Length: > 0 } state })
        {
            described += " SQLSTATE " + state;
        }
        var frames = new System.Diagnostics.StackTrace(e, false).GetFrames()
            .Select(f => f.GetMethod()?.DeclaringType?.FullName)
            .Where(t => t?.StartsWith("MedHelm.", StringComparison.Ordinal) == true)
            .Distinct()
            .Take(3)
            .ToArray();
        return frames.Length == 0 ? described : $"{described} in {string.Join(" < ", frames)}";
    }

    /// <summary>The run's plan on this silo, made by the first of its shards to need it (again after a failure).</summary>
    private async Task<PlannedRun> PlanAsync(string runId, CancellationToken cancellationToken)
    {
        var plan = _plans.GetOrAdd(runId, id => new Lazy<Task<PlannedRun>>(() => orchestrator.PlanStoredRunAsync(id, CancellationToken.None)));
        try
        {
            return await plan.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _plans.TryRemove(KeyValuePair.Create(runId, plan)); // a failed plan is made again by the next shard
            throw;
        }
    }

    /// <summary>
    /// Gives a shard that failed here back to the pool after a pause (a third of the lease time, at most 10 s; the slot
    /// stays taken meanwhile, so a shard that fails on every silo is retried at that pace, not in a tight loop); if the
    /// call fails, the lease expires once this silo stops renewing it. The coordinator counts the failure, named with
    /// this server (<paramref name="failure"/>: an application error's message or an exception's type, no patient text).
    /// </summary>
    private async Task ReturnAsync(string runId, ShardLease lease, string failure, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(options.Value.ShardLeaseSeconds / 3.0, 10)), time, cancellationToken).ConfigureAwait(false);
            await grains.GetGrain<IRunCoordinatorGrain>(runId).ReturnAsync(lease.Shard.Id, lease.Token, $"on {lease.SiloId}: {failure}").WaitAsync(cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // best effort: the lease's expiry returns the shard anyway
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogPollFailed(e.GetType().Name);
        }
    }

    private sealed record Execution(ShardLease Lease, CancellationTokenSource Stop, Task Task);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: shard {Shard} executed ({Computed} computed, {Reused} reused): {Completion}.")]
    private partial void LogCompleted(string runId, string shard, int computed, int reused, CompletionOutcome completion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: shard {Shard} is stored, but its completion did not reach the coordinator ({Error}); it will be leased again and answered from the ledger.")]
    private partial void LogNotCompleted(string runId, string shard, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: the lease of shard {Shard} was lost (it expired or moved to another silo); its work here stops.")]
    private partial void LogLeaseLost(string runId, string shard);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: shard {Shard} stopped; what it finished is stored.")]
    private partial void LogStopped(string runId, string shard);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId}: shard {Shard} failed ({Error}: {Message}).")]
    private partial void LogFailed(string runId, string shard, string error, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The shard executor's call failed ({Error}); the next poll tries again.")]
    private partial void LogPollFailed(string error);
}
