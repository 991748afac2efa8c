using MedHelm.Core.Catalog;
using MedHelm.Core.Decision;
using MedHelm.Core.Results;

namespace MedHelm.Core.Tests.Results;

/// <summary>
/// Undefined instances (helm mode where HELM's own code raises: <see cref="InstanceResult.Score"/> null) are counted
/// and left out of every mean: the leaderboard's, the sub-run means and the decision table's cells.
/// </summary>
public class UndefinedScoresTests
{
    private static InstanceResult R(string model, string id, double? score) =>
        new("run1", model, "mimiciv_billing_code", id, "A", "A", score, 10, 1, TimeSpan.FromMilliseconds(100));

    [Fact]
    public void The_leaderboard_mean_is_over_the_defined_instances_and_counts_the_undefined()
    {
        var row = Assert.Single(Leaderboard.Aggregate([R("m", "1", 1), R("m", "2", null), R("m", "3", 0.5), R("m", "4", null)]));

        Assert.Equal((0.75, 4, 2, 40L), (row.Score, row.Instances, row.Undefined, row.PromptTokens));
        Assert.Contains("4 (2 undefined)", Leaderboard.FormatTable([row]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_cell_with_no_defined_instance_has_no_score()
    {
        var row = Assert.Single(Leaderboard.Aggregate([R("m", "1", null)]));

        Assert.True(double.IsNaN(row.Score));
        Assert.Equal((1, 1), (row.Instances, row.Undefined));
        var line = Leaderboard.FormatTable([row]).Split('\n')[2];
        Assert.Contains("undefined", line, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Sub_run_means_leave_the_undefined_out_and_an_all_undefined_sub_run_out_of_the_benchmark_mean()
    {
        var results = new[] { R("m", "a1", 1), R("m", "a2", null), R("m", "b1", 0), R("m", "b2", 0.5), R("m", "c1", null) };
        string SubRun(InstanceResult r) => r.InstanceId[..1];

        var means = Leaderboard.SubRunMeans(results, SubRun);
        Assert.Equal([("a", 1.0, 2), ("b", 0.25, 2)], means.Take(2).Select(s => (s.SubRun, s.Score, s.Instances)));
        Assert.True(double.IsNaN(means[2].Score));

        var row = Assert.Single(Leaderboard.Aggregate(results, SubRun));
        Assert.Equal(0.625, row.Score, 12); // (1 + 0.25) / 2: sub-run c has no defined instance
        Assert.Equal(2, row.Undefined);
    }

    [Fact]
    public void The_decision_cell_carries_the_undefined_count_and_a_note_names_it()
    {
        var billing = BuiltInBenchmarks.Find("mimiciv_billing_code")!;
        var entry = ScoreEntry.FromInstances([new InstanceScore("1", 1), new InstanceScore("2", 0)]).WithUndefined(3);
        var table = ScoreTable.CreateBuilder(JuryScale.ZeroToOne).Add("m", billing, entry).Build();

        var decision = DecisionAggregation.Compute(table, new DecisionOptions { BootstrapReplicates = 0 });

        var cell = decision.Rows.Single().Cells.Single();
        Assert.Equal((0.5, 2, 3), (cell.Score, cell.Instances, cell.Undefined));
        Assert.Contains(decision.Notes, n => n.Contains("m × mimiciv_billing_code: 3", StringComparison.Ordinal));
        Assert.Throws<ArgumentOutOfRangeException>(() => entry.WithUndefined(-1));
    }
}
