using MedHelm.Core.Results;

namespace MedHelm.Core.Tests.Results;

/// <summary>MedHELM's score of a benchmark made of several runs: the unweighted mean of the run means.</summary>
public class SubRunAggregationTests
{
    private static InstanceResult R(string model, string bench, string id, double score, long pt = 10, double ms = 100) =>
        new("run1", model, bench, id, "A", "A", score, pt, 1, TimeSpan.FromMilliseconds(ms));

    // instance id "<sub-run>/<n>" names the sub-run; ids without a slash belong to none
    private static string? SubRun(InstanceResult r) => r.InstanceId.Contains('/', StringComparison.Ordinal) ? r.InstanceId[..r.InstanceId.IndexOf('/', StringComparison.Ordinal)] : null;

    [Fact]
    public void A_benchmark_with_sub_runs_scores_the_mean_of_the_sub_run_means()
    {
        // run a: 3 instances, mean 1/3; run b: 1 instance, mean 1 → (1/3 + 1) / 2 = 2/3, not the pooled 2/4
        InstanceResult[] results =
        [
            R("m1", "clear", "a/1", 1, pt: 100, ms: 500),
            R("m1", "clear", "a/2", 0),
            R("m1", "clear", "a/3", 0),
            R("m1", "clear", "b/1", 1),
        ];

        var row = Assert.Single(Leaderboard.Aggregate(results, SubRun));
        Assert.Equal(("m1", "clear", 4, 130L, 4L), (row.Model, row.Benchmark, row.Instances, row.PromptTokens, row.CompletionTokens));
        Assert.Equal(2.0 / 3.0, row.Score, 12);
        Assert.Equal(0.8, row.Seconds, 9);
        Assert.Equal(0.5, Assert.Single(Leaderboard.Aggregate(results)).Score); // the pooled mean, for contrast

        var means = Leaderboard.SubRunMeans(results, SubRun);
        Assert.Equal([("a", 3), ("b", 1)], means.Select(s => (s.SubRun, s.Instances)));
        Assert.Equal(1.0 / 3.0, means[0].Score, 12);
        Assert.Equal(1.0, means[1].Score);
        Assert.All(means, s => Assert.Equal(("m1", "clear"), (s.Model, s.Benchmark)));
    }

    [Fact]
    public void Single_run_benchmarks_keep_exactly_the_plain_mean_and_have_no_sub_run_rows()
    {
        InstanceResult[] results =
        [
            R("m1", "pubmed_qa", "1", 1),
            R("m1", "pubmed_qa", "2", 0),
            R("m1", "pubmed_qa", "3", 0.1),
            R("m2", "pubmed_qa", "1", 0.7),
            R("m1", "head_qa", "1", 0.3),
        ];

        Assert.Equal(Leaderboard.Aggregate(results), Leaderboard.Aggregate(results, SubRun));
        Assert.Empty(Leaderboard.SubRunMeans(results, SubRun));
    }

    [Fact]
    public void Rows_are_ordered_by_benchmark_then_by_the_averaged_score()
    {
        InstanceResult[] results =
        [
            R("m1", "n2c2_ct_matching", "x/1", 1),
            R("m1", "n2c2_ct_matching", "y/1", 1),
            R("m1", "n2c2_ct_matching", "y/2", 0),
            R("m2", "n2c2_ct_matching", "x/1", 0),
            R("m2", "n2c2_ct_matching", "x/2", 0),
            R("m2", "n2c2_ct_matching", "x/3", 0),
            R("m2", "n2c2_ct_matching", "x/4", 0),
            R("m2", "n2c2_ct_matching", "y/1", 1),
            R("m1", "aci_bench", "1", 0.2),
        ];

        // pooled, m1 (2/3) beats m2 (1/5); by sub-runs m1 0.75 and m2 (0 + 1) / 2 = 0.5
        var rows = Leaderboard.Aggregate(results, SubRun);
        Assert.Equal([("aci_bench", "m1", 0.2), ("n2c2_ct_matching", "m1", 0.75), ("n2c2_ct_matching", "m2", 0.5)],
            rows.Select(r => (r.Benchmark, r.Model, r.Score)));
        Assert.Equal([("m1", "x"), ("m1", "y"), ("m2", "x"), ("m2", "y")],
            Leaderboard.SubRunMeans(results, SubRun).Select(s => (s.Model, s.SubRun)));
    }

    [Fact]
    public void The_order_can_change_when_a_small_sub_run_is_weighed_equally()
    {
        InstanceResult[] results =
        [
            // m1 is better pooled (3/5 vs 2/5); by sub-runs m2 wins: m1 (0.75 + 0) / 2 = 0.375, m2 (0.25 + 1) / 2 = 0.625
            R("m1", "clear", "a/1", 1), R("m1", "clear", "a/2", 1), R("m1", "clear", "a/3", 1), R("m1", "clear", "a/4", 0), R("m1", "clear", "b/1", 0),
            R("m2", "clear", "a/1", 1), R("m2", "clear", "a/2", 0), R("m2", "clear", "a/3", 0), R("m2", "clear", "a/4", 0), R("m2", "clear", "b/1", 1),
        ];

        Assert.Equal(["m1", "m2"], Leaderboard.Aggregate(results).Select(r => r.Model));
        Assert.Equal([("m2", 0.625), ("m1", 0.375)], Leaderboard.Aggregate(results, SubRun).Select(r => (r.Model, r.Score)));
    }

    [Fact]
    public void Instances_without_a_sub_run_beside_named_ones_count_as_one_more_sub_run()
    {
        InstanceResult[] results = [R("m1", "clear", "a/1", 1), R("m1", "clear", "loose", 0), R("m1", "clear", "loose2", 0)];

        Assert.Equal(0.5, Assert.Single(Leaderboard.Aggregate(results, SubRun)).Score);
        Assert.Equal([("", 0.0, 2), ("a", 1.0, 1)], Leaderboard.SubRunMeans(results, SubRun).Select(s => (s.SubRun, s.Score, s.Instances)));
    }

    [Fact]
    public void Empty_input_gives_no_rows()
    {
        Assert.Empty(Leaderboard.Aggregate([], SubRun));
        Assert.Empty(Leaderboard.SubRunMeans([], SubRun));
    }
}
