using MedHelm.Application.Options;
using MedHelm.Cluster.Grains;
using MedHelm.Cluster.Hosting;
using MedHelm.Cluster.Work;
using Orleans.TestingHost;

namespace MedHelm.Cluster.Tests;

/// <summary>The coordinator and directory grains in Orleans' in-process test cluster (two silos, in-memory membership).</summary>
public sealed class ClusterGrainTests
{
    private const long GiB = 1024L * 1024 * 1024;
    private static readonly ClusterOptions Options = new() { ClusterId = "test", ShardLeaseSeconds = 600, MaxShardsPerSilo = 4 };

    private static async Task<InProcessTestCluster> DeployAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) => silo.Services.AddMedHelmClusterServices(Options));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static SiloReport Report(InProcessSiloHandle silo, long freeGiB, params string[] loaded) => new(
        silo.SiloAddress.ToParsableString(), silo.Name, [new DeviceStatus("CUDA0", "Gpu", freeGiB * GiB, 80 * GiB)], [.. loaded], 0, 8, 0, DateTimeOffset.UtcNow);

    private static ShardPlan Plan(string runId, int shards) => ShardPlanner.Split(runId, [new ShardWork("llama", "pubmed_qa", shards * 10, 20 * GiB)], 10);

    [Fact]
    [Trait("Category", TestCategories.Slow)] // a two-silo deployment: about a second alone, up to 10 s on a loaded 2-core machine
    public async Task Shards_go_to_the_silo_that_has_the_model_loaded_even_when_another_asks_first()
    {
        await using var cluster = await DeployAsync();
        var (a, b) = (cluster.Silos[0], cluster.Silos[1]);
        var directory = cluster.Client.GetGrain<IClusterDirectoryGrain>(0);
        await directory.ReportAsync(Report(a, 10, "llama"));
        var coordinator = cluster.Client.GetGrain<IRunCoordinatorGrain>("run-placement");
        Assert.True(await coordinator.StartAsync(Plan("run-placement", 3)));
        Assert.False(await coordinator.StartAsync(Plan("run-placement", 3)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => coordinator.StartAsync(Plan("run-placement", 2)));

        Assert.Empty(await coordinator.LeaseAsync(Report(b, 70)));
        var leases = await coordinator.LeaseAsync(Report(a, 10, "llama"));

        Assert.Equal(["llama/pubmed_qa/0-9", "llama/pubmed_qa/10-19", "llama/pubmed_qa/20-29"], leases.Select(l => l.Shard.Id));
        var renewed = await coordinator.RenewAsync(a.SiloAddress.ToParsableString());
        Assert.Equal(leases.Select(l => (l.Shard.Id, l.Token)), renewed.Select(l => (l.Shard.Id, l.Token)));
        Assert.All(renewed, r => Assert.True(r.ExpiresUtc >= leases[0].ExpiresUtc));
        Assert.Empty(await coordinator.RenewAsync(b.SiloAddress.ToParsableString()));
        var snapshot = await new ClusterView(cluster.Client, Microsoft.Extensions.Options.Options.Create(Options)).GetAsync();
        Assert.Equal(
            new[] { a.SiloAddress.ToParsableString(), b.SiloAddress.ToParsableString() }.Order(StringComparer.Ordinal),
            snapshot.Silos.Select(s => s.SiloId).Order(StringComparer.Ordinal));
        Assert.Equal(["llama"], snapshot.Silos.Single(s => s.SiloId == a.SiloAddress.ToParsableString()).LoadedModels.AsEnumerable());
        var run = Assert.Single(snapshot.Runs);
        Assert.Equal((3, 0, 0), (run.Shards, run.Pending, run.Done));
        Assert.All(run.InFlight, l => Assert.Equal(a.SiloAddress.ToParsableString(), l.SiloId));

        foreach (var lease in leases)
        {
            Assert.Equal(CompletionOutcome.Completed, await coordinator.CompleteAsync(lease.Shard.Id, lease.Token));
        }
        Assert.Equal(CompletionOutcome.AlreadyDone, await coordinator.CompleteAsync(leases[0].Shard.Id, leases[0].Token));
        Assert.Empty(await directory.GetRunsAsync()); // a finished run leaves the directory
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_killed_silos_shards_are_leased_to_the_survivor()
    {
        await using var cluster = await DeployAsync();
        var coordinator = cluster.Client.GetGrain<IRunCoordinatorGrain>("run-kill");
        await coordinator.StartAsync(Plan("run-kill", 6));
        var host = await coordinator.GetHostSiloAsync();
        var victim = cluster.Silos.First(s => s.SiloAddress.ToParsableString() != host);
        var survivor = cluster.Silos.First(s => s.SiloAddress.ToParsableString() == host);

        var lost = await coordinator.LeaseAsync(Report(victim, 70));
        Assert.Equal(4, lost.Length);
        Assert.Empty(await coordinator.LeaseAsync(Report(victim, 70))); // its 4 slots (Cluster:MaxShardsPerSilo) are full
        Assert.Empty(await coordinator.LeaseAsync(Report(survivor, 0))); // no memory free for the model: 2 shards wait

        await cluster.KillSiloAsync(victim);

        // the lease (600 s) is far from expiring: the shards come back because the membership declares the victim dead
        var deadline = DateTime.UtcNow + TestTimeouts.Scale(TimeSpan.FromSeconds(60));
        var pending = 2;
        while (pending < 6 && DateTime.UtcNow < deadline)
        {
            try
            {
                pending = (await coordinator.GetProgressAsync()).Pending;
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                // a call routed through the dead silo's gateway or directory partition fails until the membership catches up
            }
            if (pending < 6)
            {
                await Task.Delay(200);
            }
        }
        Assert.Equal(6, pending);
        var moved = await coordinator.LeaseAsync(Report(survivor, 70));

        Assert.Equal(lost.Select(l => l.Shard.Id), moved.Select(l => l.Shard.Id));
        Assert.All(moved, l => Assert.Equal(survivor.SiloAddress.ToParsableString(), l.SiloId));
        Assert.True(moved.Min(l => l.Token) > lost.Max(l => l.Token));
        var progress = await coordinator.GetProgressAsync();
        Assert.Equal((6, 2, 4), (progress.Shards, progress.Pending, progress.InFlight.Length));
    }
}
