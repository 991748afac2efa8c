using MedHelm.Cluster.Work;

namespace MedHelm.Cluster.Tests;

public class ShardPlannerTests
{
    [Fact]
    public void Each_pair_is_cut_into_consecutive_ranges_of_the_shard_size()
    {
        var plan = ShardPlanner.Split("run-1", [new ShardWork("m1", "pubmed_qa", 250, 4_000), new ShardWork("m2", "medcalc_bench", 100, 0)], 100);

        Assert.Equal(
            ["m1/pubmed_qa/0-99", "m1/pubmed_qa/100-199", "m1/pubmed_qa/200-249", "m2/medcalc_bench/0-99"],
            plan.Shards.Select(s => s.Id));
        Assert.Equal([(0, 100), (100, 100), (200, 50), (0, 100)], plan.Shards.Select(s => (s.FirstInstance, s.InstanceCount)));
        Assert.Equal([4_000L, 4_000, 4_000, 0], plan.Shards.Select(s => s.RequiredMemoryBytes));
        Assert.Equal(350, plan.Instances);
        Assert.Equal("run-1", plan.RunId);
    }

    [Fact]
    public void A_pair_without_instances_gives_no_shard_and_a_pair_given_twice_is_refused()
    {
        Assert.Empty(ShardPlanner.Split("run-1", [new ShardWork("m1", "pubmed_qa", 0, 1)], 10).Shards);

        var e = Assert.Throws<ArgumentException>(() => ShardPlanner.Split("run-1", [new ShardWork("m1", "b", 5, 1), new ShardWork("m1", "b", 7, 1)], 10));
        Assert.Contains("m1 × b is given twice", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardPlanner.Split("run-1", [new ShardWork("m1", "b", 5, 1)], 0));
    }
}
