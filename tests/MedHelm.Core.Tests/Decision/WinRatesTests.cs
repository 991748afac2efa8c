using MedHelm.Core.Decision;

namespace MedHelm.Core.Tests.Decision;

public class WinRatesTests
{
    private static WinRateResult Compute(params double?[][] rows) => WinRates.Compute(rows);

    [Fact]
    public void Win_rate_counts_strictly_worse_others_and_half_the_ties_over_n_minus_1()
    {
        // one benchmark, four models: 0.9 > 0.5 = 0.5 > 0.1
        var r = Compute([0.9], [0.5], [0.5], [0.1]);

        Assert.Equal(1.0, r.MeanWinRates[0]);
        Assert.Equal((1 + 0.5) / 3, r.MeanWinRates[1]!.Value, 12); // beats one, ties one
        Assert.Equal((1 + 0.5) / 3, r.MeanWinRates[2]!.Value, 12);
        Assert.Equal(0.0, r.MeanWinRates[3]);
        Assert.All(r.CountedBenchmarks, c => Assert.Equal(1, c));
    }

    [Fact]
    public void All_tied_gives_everyone_one_half()
    {
        var r = Compute([0.7, 3.0], [0.7, 3.0], [0.7, 3.0]);

        Assert.All(r.MeanWinRates, w => Assert.Equal(0.5, w));
        Assert.All(r.WinRateSds, sd => Assert.Equal(0.0, sd)); // ties are not wins: every pairwise fraction is 0
    }

    [Fact]
    public void Mean_is_over_the_benchmarks_where_the_model_has_a_value_and_n_counts_only_present_models()
    {
        // benchmark 0: all three; benchmark 1: model 2 missing, so n = 2 there
        var r = Compute([0.9, 0.2], [0.5, 0.8], [0.1, null]);

        Assert.Equal((1.0 + 0.0) / 2, r.MeanWinRates[0]); // 2/2 on b0, 0/1 on b1
        Assert.Equal((0.5 + 1.0) / 2, r.MeanWinRates[1]); // 1/2 on b0, 1/1 on b1
        Assert.Equal(0.0, r.MeanWinRates[2]);             // only b0 counts
        Assert.Equal([2, 2, 1], r.CountedBenchmarks);
        Assert.Null(r.PerBenchmark[2][1]);
        Assert.Equal(1.0, r.PerBenchmark[1][1]);
    }

    [Fact]
    public void A_benchmark_with_a_single_value_is_skipped()
    {
        var r = Compute([0.9, 0.3], [0.5, null]);

        Assert.Equal(1.0, r.MeanWinRates[0]); // b1 (only model 0) does not count
        Assert.Equal([1, 1], r.CountedBenchmarks);
        Assert.Null(r.PerBenchmark[0][1]);
    }

    [Fact]
    public void A_single_model_has_no_win_rate_and_no_win_sd()
    {
        var r = Compute([0.9, 0.3]);

        Assert.Null(r.MeanWinRates[0]);
        Assert.Null(r.WinRateSds[0]);
        Assert.Equal(0, r.CountedBenchmarks[0]);
    }

    [Fact]
    public void A_model_whose_only_values_are_on_skipped_benchmarks_has_no_win_rate()
    {
        var r = Compute([0.9, null], [null, 0.4]);

        Assert.Null(r.MeanWinRates[0]);
        Assert.Null(r.MeanWinRates[1]);
        Assert.Null(r.WinRateSds[0]); // they share no benchmark: no pairwise fraction
    }

    [Fact]
    public void Win_sd_is_the_population_sd_of_the_pairwise_win_fractions_over_shared_benchmarks()
    {
        // model 0 vs 1: beats on b0, b1, ties b2 → 2/3; vs 2: beats b0 only, b1 missing for 2, loses b2 → 1/2
        var r = Compute([0.9, 0.8, 0.5], [0.1, 0.2, 0.5], [0.5, null, 0.6]);

        var fractions = new[] { 2.0 / 3, 1.0 / 2 };
        var mean = fractions.Average();
        var expected = Math.Sqrt(fractions.Sum(f => (f - mean) * (f - mean)) / fractions.Length);
        Assert.Equal(expected, r.WinRateSds[0]!.Value, 12);
    }

    [Fact]
    public void Rows_of_different_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Compute([0.1, 0.2], [0.3]));
    }
}
