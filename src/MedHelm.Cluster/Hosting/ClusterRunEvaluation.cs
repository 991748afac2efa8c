using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Cluster.Grains;
using MedHelm.Cluster.Work;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MedHelm.Cluster.Hosting;

/// <summary>
/// A run's evaluation on the cluster (what <see cref="RunOrchestrator"/> calls in place of its local loop when the
/// Cluster section is present): the run's model × benchmark pairs are cut into shards of Cluster:ShardSize instances
/// (<see cref="ShardPlanner"/>), handed to the run's coordinator grain, and executed by the silos'
/// <see cref="ShardExecutor"/>s; this returns when the coordinator has every shard completed. It keeps the run listed in
/// the cluster directory, and gives the plan again to a coordinator that lost it (its silo died), with the shards whose
/// results are stored marked done (so are they when a sharded run resumes).
/// </summary>
public sealed partial class ClusterRunEvaluation(
    IGrainFactory grains, Lazy<IResultsDatabase> database, IOptions<ClusterOptions> options, TimeProvider time, ILogger<ClusterRunEvaluation> logger)
    : IShardedEvaluation
{
    /// <summary>How long a cancelled run waits for its coordinator to drop the plan.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often the coordinator's progress is read.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    public async Task EvaluateAsync(PlannedRun planned, IRunObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planned);
        ArgumentNullException.ThrowIfNull(observer);
        var plan = ShardPlanner.Split(planned.RunId, ShardPlanner.Work(planned), options.Value.ShardSize);
        await ShardAsync(plan, () => StoredAsync(planned, plan, cancellationToken), observer, "instances", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The jury phase: each judge's work cut into ranges of Cluster:ShardSize outputs, under the run's jury coordinator (<see cref="CoordinatorKeys.Jury"/>).</summary>
    public async Task JudgeAsync(PlannedRun planned, IReadOnlyList<JuryWork> work, IRunObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planned);
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(observer);
        var plan = ShardPlanner.Split(CoordinatorKeys.Jury(planned.RunId), work.Select(w => new ShardWork(w.Judge, w.Benchmark, w.Outputs, w.MemoryBytes)), options.Value.ShardSize);
        // a rating already stored is not asked again (the judge skips it), so a plan given again leases every jury shard
        await ShardAsync(plan, () => Task.FromResult<string[]>([]), observer, "outputs rated", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Hands <paramref name="plan"/> to its coordinator (keyed by the plan's run id) and waits until every shard is done.</summary>
    private async Task ShardAsync(ShardPlan plan, Func<Task<string[]>> stored, IRunObserver observer, string unit, CancellationToken cancellationToken)
    {
        if (plan.Shards.IsEmpty)
        {
            return;
        }
        var coordinator = grains.GetGrain<IRunCoordinatorGrain>(plan.RunId);
        await coordinator.StartAsync(plan, await stored().ConfigureAwait(false)).WaitAsync(cancellationToken).ConfigureAwait(false);
        observer.Notice($"run {plan.RunId}: {plan.Shards.Length} shard(s) of at most {options.Value.ShardSize} {unit}, executed by the servers of cluster {options.Value.ClusterId}");
        try
        {
            await WaitAsync(plan, stored, observer, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // cancelled or drained here: the silos stop the run's shards at their next renewal (best effort: a coordinator
            // that cannot be reached now loses the plan with its silo, or is stopped when the run resumes and ends)
            await coordinator.StopAsync().WaitAsync(StopTimeout).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
    }

    private async Task WaitAsync(ShardPlan plan, Func<Task<string[]>> stored, IRunObserver observer, CancellationToken cancellationToken)
    {
        var coordinator = grains.GetGrain<IRunCoordinatorGrain>(plan.RunId);
        var directory = grains.GetGrain<IClusterDirectoryGrain>(0);
        var reported = -1;
        while (true)
        {
            try
            {
                var progress = await coordinator.GetProgressAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                if (progress.Shards == 0)
                {
                    // the coordinator's silo died and it was activated again elsewhere, empty: it gets the plan again
                    LogReplanned(plan.RunId);
                    await coordinator.StartAsync(plan, await stored().ConfigureAwait(false)).WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (!progress.Failed.IsEmpty)
                {
                    // a shard failed on the servers MaxFailures times: the run fails with why, naming the servers
                    await coordinator.StopAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                    throw new ConflictException(
                        $"Run {plan.RunId}: {progress.Failed.Length} shard(s) failed {ShardLeaseTable.MaxFailures} times on the cluster's servers: {string.Join(" | ", progress.Failed)}. "
                        + "Fix the cause (every server needs the run's model files at the same path), then resume the run.");
                }
                if (progress.Done != reported)
                {
                    reported = progress.Done;
                    observer.Notice($"run {plan.RunId}: {progress.Done} of {progress.Shards} shards done, {progress.InFlight.Length} in flight");
                }
                if (progress.Done == progress.Shards)
                {
                    await directory.SetRunAsync(plan.RunId, active: false).WaitAsync(cancellationToken).ConfigureAwait(false); // (a poll may have listed it again)
                    return;
                }
                // the directory lists the run for the silos to lease its shards; a directory activated again after its silo died learns it here
                await directory.SetRunAsync(plan.RunId, active: true).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                LogUnreachable(plan.RunId, e.GetType().Name); // a grain whose silo just died answers again once the membership has caught up
            }
            await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The plan's shards whose results the shared store holds already (<see cref="ShardPlanner.Stored"/>).</summary>
    private async Task<string[]> StoredAsync(PlannedRun planned, ShardPlan plan, CancellationToken cancellationToken)
    {
        var rows = await database.Value.GetRunResultsAsync(planned.RunId, includeOutputs: false, cancellationToken).ConfigureAwait(false);
        return [.. ShardPlanner.Stored(planned, plan, rows.Select(r => (r.Model, r.Benchmark, r.InstanceId)))];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: its coordinator had lost the shard plan (its silo died); the plan is given again, and shards already stored are reused from the ledger.")]
    private partial void LogReplanned(string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: the coordinator did not answer ({Error}); retrying.")]
    private partial void LogUnreachable(string runId, string error);
}
