using MedHelm.Core.Catalog;
using MedHelm.Core.Decision;

namespace MedHelm.Core.Tests.Decision;

public class PairedComparisonTests
{
    private static readonly BenchmarkDefinition PubMed = BuiltInBenchmarks.Find("pubmed_qa")!;
    private static readonly BenchmarkDefinition Billing = BuiltInBenchmarks.Find("mimiciv_billing_code")!;
    private static readonly BenchmarkDefinition Aci = BuiltInBenchmarks.Find("aci_bench")!;
    private static readonly BenchmarkDefinition Clear = BuiltInBenchmarks.Find("clear")!;

    private static ScoreEntry Binary(string pattern) =>
        ScoreEntry.FromInstances(pattern.Select((c, i) => new InstanceScore($"i{i:000}", c == '1' ? 1 : 0)));

    [Fact]
    public void Zero_one_scores_get_the_exact_McNemar_test_on_the_discordant_pairs()
    {
        // 21 pairs as in Fagerland et al. (2013): 1 both, b = 1 (first only), c = 7 (second only), 12 neither
        var first = Binary("1" + "1" + "0000000" + "000000000000");
        var second = Binary("1" + "0" + "1111111" + "000000000000");
        var table = ScoreTable.CreateBuilder(JuryScale.ZeroToOne).Add("a", PubMed, first).Add("b", PubMed, second).Build();

        var c = PairedComparison.Compare(table, "a", "b", new DecisionOptions { BootstrapReplicates = 200 }).Benchmarks.Single();

        Assert.Equal(21, c.PairedInstances);
        Assert.Equal((1, 7), (c.McNemar!.OnlyFirstCorrect, c.McNemar.OnlySecondCorrect));
        Assert.Equal(0.0703125, c.McNemar.PValue, 12);
        Assert.Equal((2.0 / 21) - (8.0 / 21), c.Difference, 12);
        Assert.True(c.DifferenceCi!.Value.Lower < c.Difference && c.Difference < c.DifferenceCi.Value.Upper);
        Assert.True(c.DifferenceCi.Value.Upper < 0.05); // b clearly ahead
    }

    [Fact]
    public void Fractional_scores_get_no_McNemar_test_but_a_bootstrap_interval()
    {
        var a = ScoreEntry.FromInstances([new("1", 0.5), new("2", 0.25), new("3", 1), new("4", 0.75)]);
        var b = ScoreEntry.FromInstances([new("1", 0.25), new("2", 0.25), new("3", 0.5), new("4", 0.5)]);
        var table = ScoreTable.CreateBuilder(JuryScale.ZeroToOne).Add("a", Billing, a).Add("b", Billing, b).Build();

        var c = PairedComparison.Compare(table, "a", "b").Benchmarks.Single();

        Assert.Null(c.McNemar);
        Assert.Equal(0.25, c.Difference, 12); // (0.25 + 0 + 0.5 + 0.25) / 4
        Assert.NotNull(c.DifferenceCi);
        Assert.InRange(c.DifferenceCi!.Value.Lower, 0, c.Difference);
    }

    [Fact]
    public void Jury_scores_are_compared_on_the_normalized_scale()
    {
        var a = ScoreEntry.FromInstances([new("1", 5), new("2", 3)]);
        var b = ScoreEntry.FromInstances([new("1", 1), new("2", 3)]);
        var table = ScoreTable.CreateBuilder(JuryScale.OneToFive).Add("a", Aci, a).Add("b", Aci, b).Build();

        var c = PairedComparison.Compare(table, "a", "b", new DecisionOptions { BootstrapReplicates = 0 }).Benchmarks.Single();

        Assert.Equal((0.75, 0.25, 0.5), (c.First, c.Second, c.Difference));
        Assert.Null(c.McNemar);
        Assert.Null(c.DifferenceCi);
    }

    [Fact]
    public void Only_shared_instances_of_shared_sub_runs_are_paired_and_sub_runs_weigh_equally()
    {
        var a = ScoreEntry.FromSubRuns(
        [
            new SubRunScores("x", [new("1", 1), new("2", 1), new("3", 1), new("4", 1)]),
            new SubRunScores("y", [new("5", 0), new("6", 0)]),
            new SubRunScores("z", [new("7", 1)]),
        ]);
        var b = ScoreEntry.FromSubRuns(
        [
            new SubRunScores("x", [new("1", 0), new("2", 0), new("3", 0), new("9", 1)]),
            new SubRunScores("y", [new("5", 0), new("6", 1)]),
        ]);
        var table = ScoreTable.CreateBuilder(JuryScale.ZeroToOne).Add("a", Clear, a).Add("b", Clear, b).Build();

        var c = PairedComparison.Compare(table, "a", "b", new DecisionOptions { BootstrapReplicates = 0 }).Benchmarks.Single();

        Assert.Equal(5, c.PairedInstances);               // x: 1, 2, 3; y: 5, 6
        Assert.Equal((1.0 + 0.0) / 2, c.First, 12);       // mean of sub-run means over the pairs
        Assert.Equal((0.0 + 0.5) / 2, c.Second, 12);
        Assert.Equal((3, 1), (c.McNemar!.OnlyFirstCorrect, c.McNemar.OnlySecondCorrect));
    }

    [Fact]
    public void Minimum_detectable_effect_is_2_80_sd_over_root_n()
    {
        Assert.Equal(2.801585218, PairedComparison.ZAlpha + PairedComparison.ZPower, 9);
        Assert.Equal(2.801585218 * 0.5 / 10, PairedComparison.MinimumDetectableEffect(0.5, 100)!.Value, 9);
        Assert.Null(PairedComparison.MinimumDetectableEffect(0, 100));
        Assert.Null(PairedComparison.MinimumDetectableEffect(0.5, 1));

        // in a comparison: the observed SD of the per-instance differences
        var table = ScoreTable.CreateBuilder(JuryScale.ZeroToOne).Add("a", PubMed, Binary("1100")).Add("b", PubMed, Binary("0000")).Build();
        var c = PairedComparison.Compare(table, "a", "b", new DecisionOptions { BootstrapReplicates = 0 }).Benchmarks.Single();
        var sd = Math.Sqrt(4 * 0.25 / 3); // differences 1, 1, 0, 0: sample SD
        Assert.Equal(2.801585218 * sd / 2, c.MinimumDetectableEffect!.Value, 9);
    }

    [Fact]
    public void Identical_models_have_no_minimum_detectable_effect_and_say_why()
    {
        var table = ScoreTable.CreateBuilder(JuryScale.ZeroToOne).Add("a", PubMed, Binary("1010")).Add("b", PubMed, Binary("1010")).Build();

        var c = PairedComparison.Compare(table, "a", "b").Benchmarks.Single();

        Assert.Null(c.MinimumDetectableEffect);
        Assert.Equal(1.0, c.McNemar!.PValue);
        Assert.Contains("never differ", c.Note, StringComparison.Ordinal);
        Assert.Equal(new ConfidenceInterval(0, 0), c.DifferenceCi);
    }

    [Fact]
    public void Plain_scores_are_compared_without_tests()
    {
        var table = ScoreTable.CreateBuilder(JuryScale.OneToFive).Add("a", PubMed, 0.7).Add("b", PubMed, 0.6).Add("a", Aci, 4.0).Build();

        var result = PairedComparison.Compare(table, "a", "b");

        var c = result.Benchmarks.Single(); // aci_bench: b has no value
        Assert.Equal((0, 0.1), (c.PairedInstances, Math.Round(c.Difference, 12)));
        Assert.Null(c.DifferenceCi);
        Assert.Null(c.McNemar);
        Assert.Contains("plain scores", c.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void The_paired_bootstrap_is_reproducible()
    {
        var table = ScoreTable.CreateBuilder(JuryScale.ZeroToOne).Add("a", PubMed, Binary("1101101101110")).Add("b", PubMed, Binary("0101001100110")).Build();

        var one = PairedComparison.Compare(table, "a", "b", new DecisionOptions { Seed = 9 }).Benchmarks.Single().DifferenceCi;
        var two = PairedComparison.Compare(table, "a", "b", new DecisionOptions { Seed = 9 }).Benchmarks.Single().DifferenceCi;

        Assert.Equal(one, two);
    }

    [Fact]
    public void Unknown_or_identical_models_are_rejected()
    {
        var table = ScoreTable.CreateBuilder(JuryScale.ZeroToOne).Add("a", PubMed, 0.5).Build();

        Assert.Throws<ArgumentException>(() => PairedComparison.Compare(table, "a", "zzz"));
        Assert.Throws<ArgumentException>(() => PairedComparison.Compare(table, "a", "a"));
    }
}
