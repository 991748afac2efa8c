using MedHelm.Core.Catalog;
using MedHelm.Core.Decision;

namespace MedHelm.Core.Tests.Decision;

public class DecisionBootstrapTests
{
    private static readonly BenchmarkDefinition PubMed = BuiltInBenchmarks.Find("pubmed_qa")!;
    private static readonly BenchmarkDefinition HeadQa = BuiltInBenchmarks.Find("head_qa")!;
    private static readonly BenchmarkDefinition Aci = BuiltInBenchmarks.Find("aci_bench")!;

    /// <summary>Three models on two closed benchmarks and one jury benchmark, 60 shared instances each, from a fixed generator.</summary>
    private static ScoreTable Table(int instances = 60)
    {
        var random = new Random(7); // test data only
        var builder = ScoreTable.CreateBuilder(JuryScale.ZeroToOne);
        string[] models = ["strong", "middle", "weak"];
        double[] skill = [0.8, 0.6, 0.4];
        for (var m = 0; m < models.Length; m++)
        {
            foreach (var benchmark in new[] { PubMed, HeadQa, Aci })
            {
                var values = Enumerable.Range(0, instances)
                    .Select(i => new InstanceScore($"i{i}", benchmark.IsOpen ? Math.Round(random.NextDouble() * skill[m] * 4) / 4 : random.NextDouble() < skill[m] ? 1 : 0))
                    .ToArray();
                builder.Add(models[m], benchmark, ScoreEntry.FromInstances(values));
            }
        }

        return builder.Build();
    }

    [Fact]
    public void The_same_seed_gives_the_same_intervals_and_another_seed_other_ones()
    {
        var table = Table();

        var first = DecisionAggregation.Compute(table, new DecisionOptions { BootstrapReplicates = 200, Seed = 42 });
        var again = DecisionAggregation.Compute(table, new DecisionOptions { BootstrapReplicates = 200, Seed = 42 });
        var other = DecisionAggregation.Compute(table, new DecisionOptions { BootstrapReplicates = 200, Seed = 43 });

        Assert.Equal(first.Rows.Select(r => (r.MeanWinRateCi, r.MacroAverageCi)), again.Rows.Select(r => (r.MeanWinRateCi, r.MacroAverageCi)));
        Assert.Equal(first.Rows.SelectMany(r => r.Cells.Select(c => c.NormalizedCi)), again.Rows.SelectMany(r => r.Cells.Select(c => c.NormalizedCi)));
        Assert.NotEqual(first.Rows.Select(r => r.MacroAverageCi), other.Rows.Select(r => r.MacroAverageCi));
    }

    [Fact]
    public void Intervals_surround_the_estimates_and_are_in_range()
    {
        var result = DecisionAggregation.Compute(Table(), new DecisionOptions { BootstrapReplicates = 500 });

        foreach (var row in result.Rows)
        {
            Assert.InRange(row.MacroAverage, row.MacroAverageCi!.Value.Lower, row.MacroAverageCi.Value.Upper);
            Assert.InRange(row.MeanWinRate!.Value, row.MeanWinRateCi!.Value.Lower - 1e-12, row.MeanWinRateCi.Value.Upper + 1e-12);
            Assert.True(row.MacroAverageCi.Value.Upper > row.MacroAverageCi.Value.Lower);
            foreach (var cell in row.Cells)
            {
                Assert.InRange(cell.NormalizedCi!.Value.Lower, 0, cell.Normalized);
                Assert.InRange(cell.NormalizedCi.Value.Upper, cell.Normalized, 1);
            }
        }
    }

    [Fact]
    public void A_0_1_benchmark_interval_is_close_to_the_binomial_one()
    {
        // 400 instances at p = 0.5: the 95 % interval is about ±1.96 × sqrt(0.25 / 400) = ±0.049
        var values = Enumerable.Range(0, 400).Select(i => new InstanceScore($"{i}", i % 2)).ToArray();
        var table = ScoreTable.CreateBuilder(JuryScale.ZeroToOne).Add("m", PubMed, ScoreEntry.FromInstances(values)).Build();

        var ci = DecisionAggregation.Compute(table, new DecisionOptions { BootstrapReplicates = 2000 }).Rows.Single().Cells.Single().NormalizedCi!.Value;

        Assert.InRange(ci.Lower, 0.44, 0.46);
        Assert.InRange(ci.Upper, 0.54, 0.56);
    }

    [Fact]
    public void Constant_values_give_a_zero_width_interval()
    {
        var values = Enumerable.Range(0, 20).Select(i => new InstanceScore($"{i}", 1)).ToArray();
        var table = ScoreTable.CreateBuilder(JuryScale.ZeroToOne).Add("m", PubMed, ScoreEntry.FromInstances(values)).Build();

        var ci = DecisionAggregation.Compute(table, new DecisionOptions { BootstrapReplicates = 100 }).Rows.Single().Cells.Single().NormalizedCi;

        Assert.Equal(new ConfidenceInterval(1, 1), ci);
    }

    [Fact]
    public void A_model_that_wins_every_instance_keeps_a_win_rate_interval_of_1()
    {
        var builder = ScoreTable.CreateBuilder(JuryScale.ZeroToOne);
        builder.Add("always", PubMed, ScoreEntry.FromInstances(Enumerable.Range(0, 30).Select(i => new InstanceScore($"{i}", 1))));
        builder.Add("never", PubMed, ScoreEntry.FromInstances(Enumerable.Range(0, 30).Select(i => new InstanceScore($"{i}", 0))));

        var result = DecisionAggregation.Compute(builder.Build(), new DecisionOptions { BootstrapReplicates = 100 });

        Assert.Equal(new ConfidenceInterval(1, 1), result.Row("always")!.MeanWinRateCi);
        Assert.Equal(new ConfidenceInterval(0, 0), result.Row("never")!.MeanWinRateCi);
    }

    [Fact]
    public void Plain_scores_have_no_intervals_and_the_report_says_so()
    {
        var table = ScoreTable.CreateBuilder(JuryScale.OneToFive).Add("a", PubMed, 0.6).Add("b", PubMed, 0.5).Build();

        var result = DecisionAggregation.Compute(table);

        Assert.All(result.Rows, r => Assert.Null(r.MacroAverageCi));
        Assert.All(result.Rows, r => Assert.Null(r.MeanWinRateCi));
        Assert.Contains(result.Notes, n => n.Contains("no confidence intervals", StringComparison.Ordinal));
    }

    [Fact]
    public void Models_scored_on_different_instances_are_resampled_on_their_own_and_noted()
    {
        var builder = ScoreTable.CreateBuilder(JuryScale.ZeroToOne);
        builder.Add("a", PubMed, ScoreEntry.FromInstances(Enumerable.Range(0, 10).Select(i => new InstanceScore($"{i}", i % 2))));
        builder.Add("b", PubMed, ScoreEntry.FromInstances(Enumerable.Range(5, 10).Select(i => new InstanceScore($"{i}", i % 3 == 0 ? 1 : 0))));

        var result = DecisionAggregation.Compute(builder.Build(), new DecisionOptions { BootstrapReplicates = 50 });

        Assert.Contains(result.Notes, n => n.StartsWith("pubmed_qa: the models were not scored on the same instances", StringComparison.Ordinal));
        Assert.All(result.Rows, r => Assert.NotNull(r.MacroAverageCi));
    }

    [Fact]
    public void One_benchmarks_intervals_do_not_depend_on_the_other_benchmarks_in_the_table()
    {
        var full = DecisionAggregation.Compute(Table(), new DecisionOptions { BootstrapReplicates = 100 });
        var builder = ScoreTable.CreateBuilder(JuryScale.ZeroToOne);
        var source = Table();
        foreach (var model in source.Models)
        {
            builder.Add(model, PubMed, source.Get(model, "pubmed_qa")!);
        }

        var alone = DecisionAggregation.Compute(builder.Build(), new DecisionOptions { BootstrapReplicates = 100 });

        Assert.Equal(full.Row("strong")!.Cell("pubmed_qa")!.NormalizedCi, alone.Row("strong")!.Cell("pubmed_qa")!.NormalizedCi);
    }

    [Fact]
    public void Nine_models_by_37_benchmarks_by_100_instances_and_1000_replicates_complete()
    {
        var builder = ScoreTable.CreateBuilder(JuryScale.ZeroToOne);
        for (var m = 0; m < 9; m++)
        {
            foreach (var benchmark in BuiltInBenchmarks.All)
            {
                builder.Add($"m{m}", benchmark, ScoreEntry.FromInstances(Enumerable.Range(0, 100).Select(i => new InstanceScore($"{i}", (i * (m + 3)) % 7 < 4 ? 1 : 0))));
            }
        }

        var result = DecisionAggregation.Compute(builder.Build(), DecisionOptions.Default);

        Assert.Equal(9, result.Rows.Count);
        Assert.All(result.Rows, r => Assert.NotNull(r.MeanWinRateCi));
        Assert.Equal(37, result.Benchmarks.Count);
    }

    [Fact]
    public void Percentiles_interpolate_linearly_between_order_statistics()
    {
        double[] sorted = [1, 2, 3, 4];

        Assert.Equal(1.75, Percentile.OfSorted(sorted, 0.25), 12); // numpy.percentile([1,2,3,4], 25)
        Assert.Equal(2.5, Percentile.OfSorted(sorted, 0.5), 12);
        Assert.Equal(4, Percentile.OfSorted(sorted, 1));
        Assert.Equal(1, Percentile.OfSorted(sorted, 0));
    }

    [Fact]
    public void The_generators_match_their_reference_vectors()
    {
        // xoshiro256** from state {1, 2, 3, 4}: the reference vector of Blackman and Vigna's C code as the rand_xoshiro
        // crate tests it (11520, 0, 1509978240, 1215971899390074240)
        var xoshiro = new DecisionRandom(1, 2, 3, 4);
        Assert.Equal([11520UL, 0UL, 1509978240UL, 1215971899390074240UL], Enumerable.Range(0, 4).Select(_ => xoshiro.NextUInt64()));

        // SplitMix64 from seed 1234567 (Vigna's splitmix64.c; the Rosetta Code task's vector)
        var x = 1234567UL;
        Assert.Equal([6457827717110365317UL, 3203168211198807973UL, 9817491932198370423UL], Enumerable.Range(0, 3).Select(_ => DecisionRandom.SplitMix64(ref x)));
    }

    [Fact]
    public void The_generator_is_deterministic_and_draws_every_value_of_a_bound()
    {
        var a = new DecisionRandom(5);
        var b = new DecisionRandom(5);
        var counts = new int[7];
        for (var i = 0; i < 7000; i++)
        {
            var x = a.NextInt(7);
            Assert.Equal(x, b.NextInt(7));
            counts[x]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 850, 1150));
        Assert.NotEqual(DecisionRandom.ForStream(5, "pubmed_qa").NextUInt64(), DecisionRandom.ForStream(5, "head_qa").NextUInt64());
        Assert.InRange(new DecisionRandom(1).NextDouble(), 0, 1);
    }
}
