using System.Collections.Concurrent;
using MedHelm.Application.Errors;
using MedHelm.Application.Runs;
using MedHelm.Cluster.Grains;
using MedHelm.Cluster.Work;
using MedHelm.Cluster.Tests.Support;
using MedHelm.Evaluation.Results;
using Microsoft.Extensions.AI;

namespace MedHelm.Cluster.Tests;

/// <summary>
/// Silos execute a run's shards: a run submitted to a server with a Cluster section is cut into shards that the
/// silos of Orleans' in-process test cluster lease and execute through the run orchestrator, storing their results in
/// one real (throwaway) PostgreSQL database; the stored results equal those of the same run on a single server.
/// </summary>
public sealed class ShardExecutionTests
{
    // 2 benchmarks × 6 instances, in shards of 2: 6 shards over 2 silos that hold at most 2 each
    private static RunRequest Request(string model, string runId) => new(["pubmed_qa", "head_qa"], null, [model], ["none"], 6, runId, Samples: true);

    /// <summary>The engine's stand-in: a deterministic answer of the prompt (greedy decoding), so any silo gives the same output.</summary>
    private static string Answer(string prompt) => (prompt.Length % 3) switch { 0 => "A", 1 => "B", _ => "C" };

    private static ScriptedChatClient Client(Func<CancellationToken, Task> before) =>
        new(async (prompt, token) =>
        {
            await before(token);
            return ScriptedChatClient.Response(Answer(prompt), 10, 1);
        });

    private static readonly TimeSpan Wait = TestTimeouts.Scale(TimeSpan.FromSeconds(120));

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A model call that signals <paramref name="holding"/>, then hangs until its shard is stopped, then signals <paramref name="stopped"/>.</summary>
    private static async Task HangUntilStoppedAsync(TaskCompletionSource holding, TaskCompletionSource stopped, CancellationToken token)
    {
        holding.TrySetResult();
        try
        {
            await Task.Delay(Timeout.Infinite, token);
        }
        finally
        {
            stopped.TrySetResult();
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)] // a two-silo deployment and PostgreSQL
    public async Task A_run_sharded_over_two_silos_stores_every_instance_once_and_equals_the_single_server_run()
    {
        // each silo's answers wait until both silos are executing a shard, so both must have leased one
        var started = new ConcurrentDictionary<string, TaskCompletionSource>(StringComparer.Ordinal);
        var calls = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await using var harness = await ShardedRunHarness.StartAsync(silo => Client(async token =>
        {
            calls.AddOrUpdate(silo, 1, (_, n) => n + 1);
            started.GetOrAdd(silo, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            while (started.Count < 2)
            {
                await Task.Delay(20, token);
            }
        }));

        var outcome = await harness.Submitter().ExecuteAsync(Request(harness.ModelPath, "sharded"), NullRunObserver.Instance, CancellationToken.None).WaitAsync(Wait);

        var (alone, expected) = await harness.RunAloneAsync(Request(harness.ModelPath, "sharded"), Client(_ => Task.CompletedTask));
        var stored = await harness.ClusterResultsAsync("sharded");
        Assert.Equal(12, expected.Count);
        Assert.Equal(12, alone.Computed);
        Assert.Equal(12, stored.Select(r => (r.Benchmark, r.InstanceId)).Distinct().Count()); // every instance once
        Assert.Equal(ShardedRunHarness.Fingerprint(expected), ShardedRunHarness.Fingerprint(stored));
        Assert.Equal(2, calls.Count); // both silos answered
        Assert.Equal(12, calls.Values.Sum()); // and no instance was computed twice
        Assert.All(harness.Loaders.Values, l => Assert.Equal(0, l.Open)); // every model lease was given back
        var progress = await harness.Cluster.Client.GetGrain<IRunCoordinatorGrain>("sharded").GetProgressAsync();
        Assert.Equal((6, 6, 0), (progress.Shards, progress.Done, progress.Pending));
        Assert.Equal(RunStatus.Completed, await harness.RunStatusAsync("sharded"));
        Assert.Equal("sharded", outcome.RunId);
        Assert.Equal((12, 0), (outcome.Computed, outcome.Reused)); // what the silos computed, counted on the run's server
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_silo_removed_mid_run_loses_its_shards_to_the_survivor_and_the_run_completes_with_nothing_lost_or_twice()
    {
        // the victim's calls hang until it is killed; the survivor answers once the victim holds shards
        var victimHolds = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string? victimName = null;
        var survivorCalls = 0;
        await using var harness = await ShardedRunHarness.StartAsync(silo => Client(async token =>
        {
            if (silo == Volatile.Read(ref victimName))
            {
                victimHolds.TrySetResult();
                await Task.Delay(Timeout.Infinite, token);
            }
            Interlocked.Increment(ref survivorCalls);
            await victimHolds.Task.WaitAsync(token);
        }));
        var victim = harness.Cluster.Silos[1];
        Volatile.Write(ref victimName, victim.Name);

        var run = harness.Submitter().ExecuteAsync(Request(harness.ModelPath, "survived"), NullRunObserver.Instance, CancellationToken.None);
        await victimHolds.Task.WaitAsync(Wait);
        await harness.Cluster.KillSiloAsync(victim);
        await run.WaitAsync(Wait);

        var (_, expected) = await harness.RunAloneAsync(Request(harness.ModelPath, "survived"), Client(_ => Task.CompletedTask));
        var stored = await harness.ClusterResultsAsync("survived");
        Assert.Equal(12, stored.Count); // 0 lost, 0 twice
        Assert.Equal(ShardedRunHarness.Fingerprint(expected), ShardedRunHarness.Fingerprint(stored));
        Assert.Equal(12, Volatile.Read(ref survivorCalls)); // the survivor computed every instance, the victim's shards included
        Assert.Equal(RunStatus.Completed, await harness.RunStatusAsync("survived"));
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_shard_that_fails_on_every_silo_fails_the_run_after_three_attempts_naming_why_and_where()
    {
        // neither silo has the run's model (as a server without the model file would): every execution fails there
        await using var harness = await ShardedRunHarness.StartAsync(_ => null, leaseSeconds: 3);

        var run = harness.Submitter().ExecuteAsync(Request(harness.ModelPath, "doomed"), NullRunObserver.Instance, CancellationToken.None);
        var error = await Assert.ThrowsAsync<ConflictException>(() => run.WaitAsync(Wait));

        Assert.Contains($"failed {ShardLeaseTable.MaxFailures} times on the cluster's servers", error.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected InvalidOperationException", error.Message, StringComparison.Ordinal);
        Assert.Contains(harness.Cluster.Silos, s => error.Message.Contains("on " + SiloLiveness.IdOf(s.SiloAddress) + ":", StringComparison.Ordinal)); // where
        Assert.Equal(RunStatus.Failed, await harness.RunStatusAsync("doomed"));
        Assert.Equal(0, (await harness.Cluster.Client.GetGrain<IRunCoordinatorGrain>("doomed").GetProgressAsync()).Shards); // the plan is dropped
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_cancelled_run_drops_its_shards_and_the_silos_stop_them_at_their_next_renewal()
    {
        // every call hangs until its shard is stopped; the silos renew every 2 s (a third of 6 s leases)
        var (holding, stopped) = (NewSignal(), NewSignal());
        await using var harness = await ShardedRunHarness.StartAsync(_ => Client(token => HangUntilStoppedAsync(holding, stopped, token)), leaseSeconds: 6);
        using var cancel = new CancellationTokenSource();

        var run = harness.Submitter().ExecuteAsync(Request(harness.ModelPath, "cancelled"), NullRunObserver.Instance, cancel.Token);
        await holding.Task.WaitAsync(Wait);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Wait));

        await stopped.Task.WaitAsync(Wait); // the silo's renewal no longer lists the shard: its model call is cancelled
        var progress = await harness.Cluster.Client.GetGrain<IRunCoordinatorGrain>("cancelled").GetProgressAsync();
        Assert.Equal(0, progress.Shards); // the plan is dropped: no silo leases its shards any more
        Assert.Empty(await harness.Cluster.Client.GetGrain<IClusterDirectoryGrain>(0).GetRunsAsync());
        Assert.Equal(RunStatus.Cancelled, await harness.RunStatusAsync("cancelled"));
        Assert.Empty(await harness.ClusterResultsAsync("cancelled"));
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task The_jury_phase_is_sharded_on_the_judge_model_over_the_silos_and_scores_as_on_a_single_server()
    {
        var judged = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await using var harness = await ShardedRunHarness.StartAsync(
            _ => Client(_ => Task.CompletedTask), judgeFor: silo => Judge(() => judged.AddOrUpdate(silo, 1, (_, n) => n + 1)));
        var request = new RunRequest(["medication_qa"], null, [harness.ModelPath], [harness.JudgePath], 6, "juried", Samples: true);

        var outcome = await harness.Submitter().ExecuteAsync(request, NullRunObserver.Instance, CancellationToken.None).WaitAsync(Wait);

        Assert.Equal([ShardedRunHarness.JudgeName], outcome.Judges);
        var jury = await harness.Cluster.Client.GetGrain<IRunCoordinatorGrain>(CoordinatorKeys.Jury("juried")).GetProgressAsync();
        Assert.Equal((3, 3), (jury.Shards, jury.Done)); // 6 outputs in ranges of 2
        Assert.Equal(6, judged.Values.Sum()); // every output rated once, in all
        // which silos lease the 3 jury shards depends on timing (an instant fake judge: one silo may take them all, 1 in 4
        // runs here); each silo that rated leased the judge's model itself to do it
        Assert.InRange(judged.Count, 1, 2);
        Assert.All(judged.Keys, silo => Assert.Contains(harness.Loaders[silo].Leases, x => x.Name == ShardedRunHarness.JudgeName));
        var ratings = await harness.ClusterRatingsAsync("juried");
        Assert.Equal(18, ratings.Count); // 6 outputs × 3 criteria
        Assert.Equal(18, ratings.Select(r => (r.RequestId, r.Judge, r.Criterion)).Distinct().Count());

        var (_, expected) = await harness.RunAloneAsync(request, Client(_ => Task.CompletedTask), Judge(() => { }));
        Assert.Equal(ShardedRunHarness.Fingerprint(expected), ShardedRunHarness.Fingerprint(await harness.ClusterResultsAsync("juried"))); // the jury scores too
        Assert.Equal(RunStatus.Completed, await harness.RunStatusAsync("juried"));
    }

    /// <summary>A judge whose verdict depends only on what it is shown (so any silo rates an output alike).</summary>
    private static ScriptedChatClient Judge(Action rated) =>
        new((prompt, _) =>
        {
            rated();
            var score = 1 + (prompt.Length % 5);
            return Task.FromResult(ScriptedChatClient.Response(
                $"{{\"accuracy\": {{\"score\": {score}, \"explanation\": \"a\"}}, \"completeness\": {{\"score\": 3, \"explanation\": \"b\"}}, \"clarity\": {{\"score\": 4, \"explanation\": \"c\"}}}}",
                20, 10));
        });

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_resumed_sharded_run_leases_only_the_shards_whose_results_are_not_stored()
    {
        // the first 6 model calls answer; later ones hang until the run is cancelled (or, once released, answer)
        var calls = 0;
        var released = false;
        await using var harness = await ShardedRunHarness.StartAsync(_ => Client(async token =>
        {
            if (Interlocked.Increment(ref calls) > 6 && !Volatile.Read(ref released))
            {
                await Task.Delay(Timeout.Infinite, token);
            }
        }), leaseSeconds: 6);
        var coordinator = harness.Cluster.Client.GetGrain<IRunCoordinatorGrain>("resumed");
        using var cancel = new CancellationTokenSource();
        var run = harness.Submitter().ExecuteAsync(Request(harness.ModelPath, "resumed"), NullRunObserver.Instance, cancel.Token);
        var done = 0;
        while (done == 0 || Volatile.Read(ref calls) <= 6)
        {
            await Task.Delay(50).WaitAsync(Wait);
            done = Math.Max(done, (await coordinator.GetProgressAsync()).Done);
        }

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Wait));
        Volatile.Write(ref released, true);
        var leasesBefore = harness.Loaders.Values.Sum(l => l.Leases.Count);

        await harness.Submitter().ExecuteAsync(new RunRequest([], null, [], [], RunId: "resumed", Resume: true), NullRunObserver.Instance, CancellationToken.None).WaitAsync(Wait);

        var leasesOnResume = harness.Loaders.Values.Sum(l => l.Leases.Count) - leasesBefore;
        Assert.InRange(leasesOnResume, 1, 6 - done); // the stored shards (at least the `done` ones) were not leased again
        var (_, expected) = await harness.RunAloneAsync(Request(harness.ModelPath, "resumed"), Client(_ => Task.CompletedTask));
        var stored = await harness.ClusterResultsAsync("resumed");
        Assert.Equal(12, stored.Count);
        Assert.Equal(ShardedRunHarness.Fingerprint(expected), ShardedRunHarness.Fingerprint(stored));
        Assert.Equal(RunStatus.Completed, await harness.RunStatusAsync("resumed"));
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_shard_whose_lease_moved_stops_on_its_silo_at_the_next_renewal_and_is_stored_once()
    {
        // the run's first model call hangs until its shard is stopped; every other call answers
        var first = 0;
        var (holding, stopped) = (NewSignal(), NewSignal());
        await using var harness = await ShardedRunHarness.StartAsync(
            _ => Client(token => Interlocked.Exchange(ref first, 1) == 0 ? HangUntilStoppedAsync(holding, stopped, token) : Task.CompletedTask), leaseSeconds: 6);
        var coordinator = harness.Cluster.Client.GetGrain<IRunCoordinatorGrain>("moved");

        var run = harness.Submitter().ExecuteAsync(Request(harness.ModelPath, "moved"), NullRunObserver.Instance, CancellationToken.None);
        await holding.Task.WaitAsync(Wait);
        // the hanging shard's lease moves (as after an expiry): every lease in flight goes back to the pool
        foreach (var lease in (await coordinator.GetProgressAsync()).InFlight)
        {
            await coordinator.ReturnAsync(lease.Shard.Id, lease.Token);
        }
        await stopped.Task.WaitAsync(Wait); // its silo's renewal no longer lists that lease: the call is cancelled
        await run.WaitAsync(Wait);

        var (_, expected) = await harness.RunAloneAsync(Request(harness.ModelPath, "moved"), Client(_ => Task.CompletedTask));
        var stored = await harness.ClusterResultsAsync("moved");
        Assert.Equal(ShardedRunHarness.Fingerprint(expected), ShardedRunHarness.Fingerprint(stored));
        Assert.Equal(12, stored.Count);
        Assert.Equal(RunStatus.Completed, await harness.RunStatusAsync("moved"));
    }
}
