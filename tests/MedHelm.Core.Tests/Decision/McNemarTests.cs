using MedHelm.Core.Decision;

namespace MedHelm.Core.Tests.Decision;

public class McNemarTests
{
    /// <summary>
    /// Fagerland, Lydersen and Laake (2013), "The McNemar test for binary matched-pairs data: mid-p and asymptotic are
    /// better than exact conditional", BMC Medical Research Methodology 13:91, Table 1 / worked example: airway
    /// hyper-responsiveness before and after stem cell transplantation in 21 children (Bentur et al. 2009), discordant
    /// pairs b = 1 and c = 7; the exact conditional McNemar test gives p = 0.070 (= 2 × 9/256 = 0.0703125).
    /// </summary>
    [Fact]
    public void Matches_the_published_exact_conditional_p_value_of_Fagerland_et_al_2013()
    {
        var result = McNemar.ExactTest(1, 7);

        Assert.Equal(0.070, Math.Round(result.PValue, 3));
        Assert.Equal(2 * 9.0 / 256, result.PValue, 12);
        Assert.Equal((1, 7), (result.OnlyFirstCorrect, result.OnlySecondCorrect));
    }

    /// <summary>
    /// Binomial sign test, the same conditional test: with 0 of 5 discordant pairs favouring one side the two-sided p
    /// is 2 × (1/2)^5 = 0.0625 — the textbook reason 5 pairs can never reach 0.05 (e.g. Conover, Practical
    /// Nonparametric Statistics, 3rd ed., sign test; R: binom.test(0, 5)$p.value = 0.0625).
    /// </summary>
    [Fact]
    public void Five_discordant_pairs_all_one_way_give_p_0_0625()
    {
        Assert.Equal(0.0625, McNemar.ExactTest(0, 5).PValue, 12);
        Assert.Equal(0.0625, McNemar.ExactTest(5, 0).PValue, 12);
    }

    [Fact]
    public void Balanced_or_no_discordant_pairs_give_p_1()
    {
        Assert.Equal(1.0, McNemar.ExactTest(0, 0).PValue);
        Assert.Equal(1.0, McNemar.ExactTest(4, 4).PValue);
        Assert.Equal(1.0, McNemar.ExactTest(4, 5).PValue); // 2 × P(X ≤ 4 | n = 9) = 2 × 0.5 = 1
    }

    [Fact]
    public void Is_symmetric_and_exact_for_a_small_case()
    {
        // n = 12, k = 2: P(X ≤ 2) = (1 + 12 + 66) / 4096
        Assert.Equal(2 * 79.0 / 4096, McNemar.ExactTest(2, 10).PValue, 12);
        Assert.Equal(McNemar.ExactTest(2, 10).PValue, McNemar.ExactTest(10, 2).PValue, 15);
    }

    [Fact]
    public void Large_counts_do_not_underflow()
    {
        // n = 2,000 (2^-2000 underflows a double); reference from exact integer arithmetic in Python:
        // 2 * sum(math.comb(2000, i) for i in range(901)) / 2**2000 = 8.457089535503927e-06
        var lopsided = McNemar.ExactTest(900, 1100).PValue;
        Assert.InRange(lopsided / 8.457089535503927e-06, 1 - 1e-9, 1 + 1e-9);
        Assert.Equal(1.0, McNemar.ExactTest(1000, 1000).PValue);
    }

    [Fact]
    public void Negative_counts_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => McNemar.ExactTest(-1, 3));
    }
}
