using MedHelm.Application.Ports;
using MedHelm.Cluster.Work;
using MedHelm.Core.Ledger;
using MedHelm.Evaluation.Ledger;
using MedHelm.Evaluation.Results;
using MedHelm.Storage;

namespace MedHelm.Cluster.Tests;

/// <summary>A shard whose lease moved is executed by two silos; the ledger key makes its results store once (through the storage ports).</summary>
public sealed class ReexecutedShardTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    /// <summary>What a silo's execution of <paramref name="shard"/> writes: one ledger entry per instance, keyed by what decides the output.</summary>
    private static async Task ExecuteAsync(ILedgerStore store, string runId, Shard shard, string output)
    {
        await using var ledger = store.OpenLedger();
        for (var i = shard.FirstInstance; i < shard.FirstInstance + shard.InstanceCount; i++)
        {
            var instance = $"inst-{i}";
            var parts = new LedgerKeyParts(LedgerKey.LocalModel(new string('c', 64)), new string('d', 64), instance, new string('t', 64), "temperature:0\n");
            await ledger.RecordAsync(new LedgerEntry(
                runId,
                new LedgerRequest(LedgerKey.Compute(parts), shard.Model, parts.ModelIdentity, shard.Benchmark, parts.DatasetSha256, instance,
                    parts.PromptTemplateHash, new string('a', 64), parts.DecodingParameters, 0, 0, "A"),
                new LedgerCompletion(output, null, "EndOfGeneration", 10, 1, null, null, null, null, null, null, 5),
                CompletionOrigin.Computed,
                [new MetricScore("exact_match", output == "A" ? 1 : 0)]));
        }
        await ledger.FlushAsync();
    }

    [Fact]
    public async Task A_frozen_silo_that_finishes_a_shard_after_it_moved_stores_nothing_twice_and_overwrites_nothing()
    {
        using var folder = new TempFolder();
        await using var database = await new SqliteResultsDatabaseFactory().OpenAsync(folder.File("results.db"), create: true);
        await database.SaveRunAsync(new RunRecord("run-1", T0, null, "{}", "test", null, "test", RunStatus.Running));
        var plan = ShardPlanner.Split("run-1", [new ShardWork("m", "pubmed_qa", 8, 1)], 8);
        var shard = Assert.Single(plan.Shards);
        var table = new ShardLeaseTable(plan.Shards);

        var frozen = table.Lease(shard.Id, "silo-a", T0, TimeSpan.FromSeconds(60));
        table.Expire(T0 + TimeSpan.FromSeconds(60)); // silo-a stopped renewing (SIGSTOP)
        var moved = table.Lease(shard.Id, "silo-b", T0 + TimeSpan.FromSeconds(61), TimeSpan.FromSeconds(60));

        await ExecuteAsync(database, "run-1", shard, output: "A"); // silo-b
        Assert.Equal(CompletionOutcome.Completed, table.Complete(shard.Id, moved.Token));
        await ExecuteAsync(database, "run-1", shard, output: "B"); // silo-a wakes up (SIGCONT) and writes the same keys
        Assert.Equal(CompletionOutcome.AlreadyDone, table.Complete(shard.Id, frozen.Token));

        var results = await database.GetRunResultsAsync("run-1", includeOutputs: true);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"inst-{i}"), results.Select(r => r.InstanceId).Order(StringComparer.Ordinal));
        Assert.All(results, r => Assert.Equal(("A", 1.0), (r.Output, r.Score)));
    }
}
