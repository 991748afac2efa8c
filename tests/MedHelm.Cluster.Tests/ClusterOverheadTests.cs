using System.Diagnostics;
using System.Globalization;
using MedHelm.Application.Runs;
using MedHelm.Cluster.Grains;
using MedHelm.Cluster.Hosting;
using MedHelm.Cluster.Tests.Support;
using MedHelm.Cluster.Work;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace MedHelm.Cluster.Tests;

/// <summary>
/// What the cluster itself costs, measured for real (a benchmark that prints its figures; scripts/cluster-simulation.sh
/// shows them): Orleans grain calls to a real coordinator (lease, renew, complete) per instance, and a sharded run's
/// instances stored in PostgreSQL. The only assertions are that the work completed exactly once.
/// </summary>
public sealed class ClusterOverheadTests(ITestOutputHelper output)
{
    private const long GiB = 1024L * 1024 * 1024;

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task Coordinator_grain_calls_and_result_writes_per_instance_are_measured()
    {
        // 1. dispatch: 4 silos' worth of lease / renew / complete calls through the client to a coordinator on a real
        //    two-silo in-process cluster, for 400 shards of 25 instances (the shard executors are not running here)
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) => silo.Services.AddMedHelmClusterServices(new() { ClusterId = "overhead", ShardLeaseSeconds = 600, MaxShardsPerSilo = 4 }));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        const int Shards = 400, ShardSize = 25;
        var coordinator = cluster.Client.GetGrain<IRunCoordinatorGrain>("overhead");
        await coordinator.StartAsync(ShardPlanner.Split("overhead", [new ShardWork("m", "b", Shards * ShardSize, 5 * GiB)], ShardSize));
        var silos = Enumerable.Range(0, 4).Select(i => $"10.0.0.{i}:11111@1").ToArray();
        var (calls, completed) = (0, 0);
        var watch = Stopwatch.StartNew();
        while (completed < Shards)
        {
            foreach (var silo in silos)
            {
                var report = new SiloReport(silo, silo, [new DeviceStatus("CUDA0", "Gpu", 70 * GiB, 80 * GiB)], ["m"], 0, 4, 0, DateTimeOffset.UtcNow);
                var leases = await coordinator.LeaseAsync(report);
                await coordinator.RenewAsync(silo);
                calls += 2;
                foreach (var lease in leases)
                {
                    Assert.Equal(CompletionOutcome.Completed, await coordinator.CompleteAsync(lease.Shard.Id, lease.Token));
                    calls++;
                    completed++;
                }
            }
        }

        watch.Stop();
        var progress = await coordinator.GetProgressAsync();
        Assert.Equal((Shards, Shards), (progress.Shards, progress.Done));
        var perInstance = watch.Elapsed.TotalMilliseconds * 1000 / (Shards * ShardSize);
        output.WriteLine("MEASURED cluster overhead (real Orleans grain calls, in-process two-silo cluster; real PostgreSQL)");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"dispatch: {Shards} shards x {ShardSize} instances, {calls} grain calls (lease + renew per silo round, complete per shard) in {watch.Elapsed.TotalMilliseconds:F0} ms: {watch.Elapsed.TotalMilliseconds * 1000 / calls:F0} us per call, {perInstance:F1} us per instance"));

        // 2. result writes: a run of instant scripted models over PostgreSQL, alone and sharded over two silos, per instance
        await using var harness = await ShardedRunHarness.StartAsync(_ => new MedHelm.Testing.ScriptedChatClient((_, _) => Task.FromResult(MedHelm.Testing.ScriptedChatClient.Response("A", 10, 1))));
        var request = new RunRequest(["pubmed_qa", "head_qa"], null, [harness.ModelPath], ["none"], 10, "overhead-run", Samples: true);
        var alone = Stopwatch.StartNew();
        var (outcome, stored) = await harness.RunAloneAsync(request, new MedHelm.Testing.ScriptedChatClient((_, _) => Task.FromResult(MedHelm.Testing.ScriptedChatClient.Response("A", 10, 1))));
        alone.Stop();
        var sharded = Stopwatch.StartNew();
        await harness.Submitter().ExecuteAsync(request, NullRunObserver.Instance, CancellationToken.None);
        sharded.Stop();
        Assert.Equal(stored.Count, (await harness.ClusterResultsAsync("overhead-run")).Count);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"a run of {stored.Count} instances (instant scripted model, PostgreSQL): single server {alone.Elapsed.TotalMilliseconds / stored.Count:F1} ms per instance (planning, prompts, scoring, result writes); sharded over two silos {sharded.Elapsed.TotalMilliseconds / stored.Count:F1} ms per instance (the silos poll for work every second and the run's server polls progress: latency, not coordinator time)"));
        Assert.Equal(stored.Count, outcome.Computed);
    }
}
