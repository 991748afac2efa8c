namespace MedHelm.Core.Decision;

/// <summary>McNemar's exact test on the discordant pairs of two models' 0/1 scores.</summary>
/// <param name="OnlyFirstCorrect">Pairs where the first model scored 1 and the second 0 (b).</param>
/// <param name="OnlySecondCorrect">Pairs where the first model scored 0 and the second 1 (c).</param>
/// <param name="PValue">Two-sided exact p-value.</param>
public sealed record McNemarResult(int OnlyFirstCorrect, int OnlySecondCorrect, double PValue);

/// <summary>
/// McNemar's exact (conditional binomial) test: under the null hypothesis each of the n = b + c discordant pairs is
/// equally likely to favour either model, so b ~ Binomial(n, ½); the two-sided p-value is
/// min(1, 2 × P(X ≤ min(b, c))) (the doubled one-sided tail, as R's <c>binom.test</c> gives for p = ½ and
/// Fagerland, Lydersen and Laake 2013 call the "exact conditional" test). No discordant pairs: p = 1.
/// </summary>
public static class McNemar
{
    /// <summary>Tests <paramref name="onlyFirstCorrect"/> (b) against <paramref name="onlySecondCorrect"/> (c).</summary>
    public static McNemarResult ExactTest(int onlyFirstCorrect, int onlySecondCorrect)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(onlyFirstCorrect);
        ArgumentOutOfRangeException.ThrowIfNegative(onlySecondCorrect);
        var n = onlyFirstCorrect + onlySecondCorrect;
        var k = Math.Min(onlyFirstCorrect, onlySecondCorrect);
        // k ≥ (n − 1) / 2 puts at least half the symmetric distribution in the tail: p is exactly 1
        var p = 2 * k >= n - 1 ? 1.0 : Math.Min(1.0, 2 * BinomialLowerTailHalf(n, k));
        return new McNemarResult(onlyFirstCorrect, onlySecondCorrect, p);
    }

    /// <summary>P(X ≤ k) for X ~ Binomial(n, ½), summed in log space so large n does not underflow.</summary>
    internal static double BinomialLowerTailHalf(int n, int k)
    {
        var logTerm = -n * Math.Log(2); // log P(X = 0)
        var logSum = logTerm;
        for (var i = 1; i <= k; i++)
        {
            logTerm += Math.Log((double)(n - i + 1) / i);
            var (hi, lo) = logSum > logTerm ? (logSum, logTerm) : (logTerm, logSum);
            logSum = hi + Math.Log(1 + Math.Exp(lo - hi));
        }

        return Math.Exp(logSum);
    }
}
