using MedHelm.Cluster.Work;

namespace MedHelm.Cluster.Tests;

public class ShardLeaseTableTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private static ShardLeaseTable Table(int shards = 3) =>
        new(ShardPlanner.Split("run", [new ShardWork("m", "pubmed_qa", shards * 10, 1)], 10).Shards);

    [Fact]
    public void A_renewed_lease_lives_on_and_an_unrenewed_one_returns_to_the_pool_when_it_expires()
    {
        var table = Table();
        var a = table.Lease("m/pubmed_qa/0-9", "silo-a", T0, Minute);
        var b = table.Lease("m/pubmed_qa/10-19", "silo-b", T0, Minute);
        Assert.Equal(["m/pubmed_qa/20-29"], table.Pending.Select(s => s.Id));
        Assert.True(b.Token > a.Token);

        var renewed = Assert.Single(table.Renew("silo-a", T0 + TimeSpan.FromSeconds(50), Minute));
        Assert.Equal(T0 + TimeSpan.FromSeconds(110), renewed.ExpiresUtc);

        // silo-b stopped renewing: at T0 + 60 s its shard is pending again, silo-a's is not
        Assert.Equal(["m/pubmed_qa/10-19"], table.Expire(T0 + Minute).Select(s => s.Id));
        Assert.Equal(["m/pubmed_qa/10-19", "m/pubmed_qa/20-29"], table.Pending.Select(s => s.Id));
        Assert.Equal(["silo-a"], table.Leases.Select(l => l.SiloId));
        Assert.Empty(table.Renew("silo-b", T0 + Minute, Minute)); // it learns it lost the shard
    }

    [Fact]
    public void A_shard_its_silo_failed_returns_to_the_pool_only_under_its_current_lease()
    {
        var table = Table();
        var first = table.Lease("m/pubmed_qa/0-9", "silo-a", T0, Minute);
        table.Expire(T0 + Minute);
        var second = table.Lease("m/pubmed_qa/0-9", "silo-b", T0 + Minute, Minute);

        Assert.False(table.Return(first.Shard.Id, first.Token)); // silo-a's lease is no longer the shard's
        Assert.Equal(["silo-b"], table.Leases.Select(l => l.SiloId));
        Assert.True(table.Return(second.Shard.Id, second.Token));
        Assert.Equal(3, table.Pending.Count);
        Assert.False(table.Return(second.Shard.Id, second.Token)); // once
        Assert.False(table.Return("m/none/0-9", 1));
    }

    [Fact]
    public void A_shard_that_failed_three_times_is_failed_with_each_reason_and_is_not_leased_again()
    {
        var table = Table();
        for (var attempt = 1; attempt <= ShardLeaseTable.MaxFailures; attempt++)
        {
            Assert.Empty(table.Failed);
            var lease = table.Lease("m/pubmed_qa/0-9", attempt % 2 == 0 ? "silo-b" : "silo-a", T0, Minute);
            Assert.True(table.Return(lease.Shard.Id, lease.Token, $"on {lease.SiloId}: model file missing ({attempt})"));
        }

        var (shard, failures) = Assert.Single(table.Failed);
        Assert.Equal("m/pubmed_qa/0-9", shard.Id);
        Assert.Equal(["on silo-a: model file missing (1)", "on silo-b: model file missing (2)", "on silo-a: model file missing (3)"], failures);
        Assert.DoesNotContain(table.Pending, p => p.Id == shard.Id); // not offered to any silo again
        Assert.False(table.Finished);

        // a shard given back without a failure (its silo stopped) does not count toward the limit
        for (var i = 0; i < ShardLeaseTable.MaxFailures + 1; i++)
        {
            var lease = table.Lease("m/pubmed_qa/10-19", "silo-a", T0, Minute);
            Assert.True(table.Return(lease.Shard.Id, lease.Token));
        }

        Assert.Single(table.Failed);
    }

    [Fact]
    public void A_silo_declared_dead_loses_every_lease_at_once()
    {
        var table = Table();
        table.Lease("m/pubmed_qa/0-9", "silo-a", T0, Minute);
        table.Lease("m/pubmed_qa/10-19", "silo-a", T0, Minute);
        table.Lease("m/pubmed_qa/20-29", "silo-b", T0, Minute);

        Assert.Equal(2, table.ReleaseSilo("silo-a").Count);
        Assert.Equal(["m/pubmed_qa/0-9", "m/pubmed_qa/10-19"], table.Pending.Select(s => s.Id));
        Assert.Equal(new Dictionary<string, IReadOnlySet<string>> { ["silo-b"] = new HashSet<string> { "m" } }, table.ModelsInFlight());
    }

    [Fact]
    public void A_shard_executed_twice_completes_once_whichever_lease_finishes_first()
    {
        var table = Table(1);
        var first = table.Lease("m/pubmed_qa/0-9", "silo-a", T0, Minute);
        table.Expire(T0 + Minute); // silo-a froze
        var second = table.Lease("m/pubmed_qa/0-9", "silo-b", T0 + Minute, Minute);

        // silo-a wakes up and finishes first: its results are stored by their ledger keys, so the shard is done
        Assert.Equal(CompletionOutcome.Completed, table.Complete("m/pubmed_qa/0-9", first.Token));
        Assert.Equal(CompletionOutcome.AlreadyDone, table.Complete("m/pubmed_qa/0-9", second.Token));
        Assert.Empty(table.Renew("silo-b", T0 + Minute, Minute));
        Assert.True(table.Finished);
        Assert.Equal(CompletionOutcome.Unknown, table.Complete("m/pubmed_qa/0-9", second.Token + 1));
        Assert.Equal(CompletionOutcome.Unknown, table.Complete("no-such-shard", first.Token));
    }

    [Fact]
    public void Only_a_pending_shard_can_be_leased_and_ids_must_be_unique()
    {
        var table = Table(1);
        table.Lease("m/pubmed_qa/0-9", "silo-a", T0, Minute);

        Assert.Contains("is leased, not pending", Assert.Throws<InvalidOperationException>(() => table.Lease("m/pubmed_qa/0-9", "silo-b", T0, Minute)).Message, StringComparison.Ordinal);
        Assert.Contains("There is no shard x", Assert.Throws<InvalidOperationException>(() => table.Lease("x", "silo-b", T0, Minute)).Message, StringComparison.Ordinal);
        var shard = new Shard("s", "m", "b", 0, 1, 0);
        Assert.Throws<ArgumentException>(() => new ShardLeaseTable([shard, shard]));
    }
}
