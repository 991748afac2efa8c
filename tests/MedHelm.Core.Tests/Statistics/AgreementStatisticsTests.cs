using MedHelm.Core.Statistics;

namespace MedHelm.Core.Tests.Statistics;

public sealed class AgreementStatisticsTests
{
    [Fact]
    public void Spearman_gives_ties_their_average_rank()
    {
        Assert.Equal([1, 2.5, 2.5, 4], RankCorrelation.AverageRanks([10, 20, 20, 30]));

        // ranks x = 1, 2.5, 2.5, 4; y = 1, 3, 2, 4 → 4.5 / sqrt(4.5 · 5)
        var rho = RankCorrelation.Spearman([1, 2, 2, 3], [1, 3, 2, 4]);

        Assert.Equal(4.5 / Math.Sqrt(22.5), rho, 12);
    }

    [Fact]
    public void Spearman_is_one_for_any_increasing_relation_and_minus_one_for_a_decreasing_one()
    {
        Assert.Equal(1.0, RankCorrelation.Spearman([1, 2, 3, 4], [1, 8, 27, 64]), 12);
        Assert.Equal(-1.0, RankCorrelation.Spearman([1, 2, 3, 4], [9, 7, 2, 0]), 12);
    }

    [Fact]
    public void Spearman_is_undefined_for_a_constant_side_or_a_single_pair()
    {
        Assert.True(double.IsNaN(RankCorrelation.Spearman([1, 2, 3], [4, 4, 4])));
        Assert.True(double.IsNaN(RankCorrelation.Spearman([1], [2])));
        Assert.Throws<ArgumentException>(() => RankCorrelation.Spearman([1, 2], [1]));
    }

    [Fact]
    public void Quadratic_kappa_matches_a_hand_computed_value()
    {
        // Σ(a−b)² / n = 4/7; chance = var(a) + var(b) + (mean a − mean b)² = 2 · 76/49 → κ = 1 − (4/7) / (152/49)
        int[] a = [1, 2, 3, 4, 5, 3, 2];
        int[] b = [1, 3, 3, 5, 4, 2, 2];

        Assert.Equal(1 - (4.0 / 7) / (152.0 / 49), WeightedKappa.Quadratic(a, b), 12);
        Assert.Equal(0.8158, WeightedKappa.Quadratic(a, b), 4);
    }

    [Fact]
    public void Quadratic_kappa_is_one_on_agreement_zero_at_chance_and_checks_the_scale()
    {
        Assert.Equal(1.0, WeightedKappa.Quadratic([1, 3, 5, 2], [1, 3, 5, 2]), 12);
        Assert.Equal(0.0, WeightedKappa.Quadratic([1, 1, 2, 2], [1, 2, 1, 2], 1, 2), 12);
        Assert.True(double.IsNaN(WeightedKappa.Quadratic([3, 3], [3, 3])));
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightedKappa.Quadratic([0], [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightedKappa.Quadratic([1], [6]));
    }

    [Fact]
    public void Z_scores_use_the_sample_deviation_and_a_constant_series_gives_zeros()
    {
        var z = Standardization.ZScores([1, 2, 3]);

        Assert.Equal([-1.0, 0.0, 1.0], z);
        Assert.Equal([0.0, 0.0], Standardization.ZScores([4, 4]));
        Assert.Empty(Standardization.ZScores([]));
    }

    [Theory]
    [InlineData(2.5, 2)]
    [InlineData(3.5, 4)]
    [InlineData(3.4, 3)]
    [InlineData(11.0 / 3, 4)]
    [InlineData(0.2, 1)]
    [InlineData(7.0, 5)]
    public void Composites_are_binned_like_pandas_round(double composite, int expected) =>
        Assert.Equal(expected, Standardization.ToScale(composite));

    [Fact]
    public void Unit_scores_map_onto_the_five_point_scale()
    {
        Assert.Equal(1.0, Standardization.UnitToFivePoint(0));
        Assert.Equal(3.0, Standardization.UnitToFivePoint(0.5));
        Assert.Equal(5.0, Standardization.UnitToFivePoint(1));
    }
}
