using System.Collections.Immutable;
using MedHelm.Cluster.Work;

namespace MedHelm.Cluster.Tests;

public class PlacementPolicyTests
{
    private const long GiB = 1024L * 1024 * 1024;

    internal static SiloReport Silo(string id, long freeGiB, int maxShards = 4, int queueDepth = 0, params string[] loaded) => new(
        id, "host-" + id, [new DeviceStatus("CUDA0", "Gpu", freeGiB * GiB, 80 * GiB)], [.. loaded], queueDepth, maxShards, 0, DateTimeOffset.UnixEpoch);

    private static Shard[] Shards(string model, int count, long gib) =>
        ShardPlanner.Split("run", [new ShardWork(model, "pubmed_qa", count * 10, gib * GiB)], 10).Shards.ToArray();

    [Fact]
    public void A_silo_that_has_the_model_loaded_gets_its_shards_even_when_another_has_more_free_memory()
    {
        var placement = PlacementPolicy.Place(Shards("llama", 2, 40), [Silo("a", 70), Silo("b", 10, loaded: "llama")]);

        Assert.All(placement.Assignments, a => Assert.Equal(("b", false), (a.SiloId, a.LoadsModel)));
        Assert.Empty(placement.Unplaced);
    }

    [Fact]
    public void Without_a_loaded_copy_the_silo_with_the_most_free_memory_that_fits_loads_it()
    {
        var placement = PlacementPolicy.Place(Shards("llama", 1, 40), [Silo("a", 30), Silo("b", 50), Silo("c", 45)]);

        var assignment = Assert.Single(placement.Assignments);
        Assert.Equal(("b", true), (assignment.SiloId, assignment.LoadsModel));
    }

    [Fact]
    public void A_models_shards_gather_on_one_silo_until_its_slots_are_full_before_another_loads_it()
    {
        var placement = PlacementPolicy.Place(Shards("llama", 6, 20), [Silo("a", 70, maxShards: 4), Silo("b", 70, maxShards: 4), Silo("c", 70, maxShards: 4)]);

        Assert.Equal(["a", "a", "a", "a", "b", "b"], placement.Assignments.Select(a => a.SiloId));
        Assert.Equal([true, false, false, false, true, false], placement.Assignments.Select(a => a.LoadsModel));
    }

    [Fact]
    public void Queue_depth_is_respected_and_what_does_not_fit_waits_with_the_reason()
    {
        var busy = PlacementPolicy.Place(Shards("llama", 3, 20), [Silo("a", 70, maxShards: 2, queueDepth: 1, loaded: "llama")]);
        Assert.Equal(["a"], busy.Assignments.Select(a => a.SiloId));
        Assert.Equal(2, busy.Unplaced.Count);
        Assert.All(busy.Unplaced, u => Assert.Contains("is busy (no free slot)", u.Reason, StringComparison.Ordinal));

        var tooBig = PlacementPolicy.Place(Shards("r1-70b", 1, 75), [Silo("a", 70), Silo("b", 20)]);
        Assert.Empty(tooBig.Assignments);
        Assert.Equal("no silo has 76800 MiB of accelerator memory free for r1-70b", Assert.Single(tooBig.Unplaced).Reason);

        Assert.Equal("no silo is live", Assert.Single(PlacementPolicy.Place(Shards("m", 1, 1), []).Unplaced).Reason);
    }

    [Fact]
    public void Models_loaded_in_this_round_use_up_the_free_memory_they_were_placed_on()
    {
        Shard[] pending = [.. Shards("big", 1, 50), .. Shards("other", 1, 40)];

        var placement = PlacementPolicy.Place(pending, [Silo("a", 60), Silo("b", 45)]);

        // big takes 50 of a's 60 GiB, so other (40) goes to b, not onto a as well
        Assert.Equal([("big", "a"), ("other", "b")], placement.Assignments.Select(a => (a.Shard.Model, a.SiloId)));
    }

    [Fact]
    public void A_model_a_silo_is_running_shards_of_counts_as_loaded_there_before_its_report_says_so()
    {
        var inFlight = new Dictionary<string, IReadOnlySet<string>> { ["b"] = new HashSet<string> { "llama" } };

        var placement = PlacementPolicy.Place(Shards("llama", 2, 40), [Silo("a", 70), Silo("b", 5, queueDepth: 1)], inFlight);

        Assert.All(placement.Assignments, a => Assert.Equal(("b", false), (a.SiloId, a.LoadsModel)));
    }

    [Fact]
    public void A_hosted_endpoints_shards_need_no_memory_and_the_same_inputs_give_the_same_placement()
    {
        var pending = Shards("gpt-endpoint", 5, 0);
        ImmutableArray<SiloReport> silos = [Silo("b", 0, maxShards: 2), Silo("a", 0, maxShards: 2), Silo("c", 0, maxShards: 2)];

        var first = PlacementPolicy.Place(pending, silos);
        var second = PlacementPolicy.Place(pending, silos.Reverse().ToArray());

        Assert.Equal(["a", "a", "b", "b", "c"], first.Assignments.Select(a => a.SiloId));
        Assert.Equal(first.Assignments, second.Assignments);
    }
}
