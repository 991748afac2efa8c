namespace MedHelm.Core.Statistics;

/// <summary>Cohen's kappa with quadratic weights, for two raters on one integer scale.</summary>
public static class WeightedKappa
{
    /// <summary>
    /// Quadratic-weighted kappa of paired integer ratings on the scale <paramref name="min"/>..<paramref name="max"/>
    /// (as sklearn's cohen_kappa_score(weights="quadratic", labels=[min..max])): 1 − Σ w·O / Σ w·E with
    /// w = (i − j)² / (K − 1)², O the observed and E the chance (product of marginals) proportions.
    /// NaN when there are no pairs or when chance disagreement is zero (both raters always give one value).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A rating outside the scale.</exception>
    public static double Quadratic(IReadOnlyList<int> a, IReadOnlyList<int> b, int min = 1, int max = 5)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count)
        {
            throw new ArgumentException($"Kappa needs paired ratings ({a.Count} vs {b.Count}).", nameof(b));
        }

        if (max <= min)
        {
            throw new ArgumentException($"The scale {min}..{max} needs at least two values.", nameof(max));
        }

        if (a.Count == 0)
        {
            return double.NaN;
        }

        var size = max - min + 1;
        var observed = new double[size, size];
        var rowTotals = new double[size];
        var colTotals = new double[size];
        for (var i = 0; i < a.Count; i++)
        {
            var r = Index(a[i], min, max, nameof(a));
            var c = Index(b[i], min, max, nameof(b));
            observed[r, c] += 1;
            rowTotals[r] += 1;
            colTotals[c] += 1;
        }

        double n = a.Count;
        double weightedObserved = 0, weightedExpected = 0;
        var scale = (double)(size - 1) * (size - 1);
        for (var r = 0; r < size; r++)
        {
            for (var c = 0; c < size; c++)
            {
                var w = (r - c) * (r - c) / scale;
                weightedObserved += w * observed[r, c] / n;
                weightedExpected += w * rowTotals[r] * colTotals[c] / (n * n);
            }
        }

        return weightedExpected == 0 ? double.NaN : 1 - weightedObserved / weightedExpected;
    }

    private static int Index(int value, int min, int max, string name) =>
        value < min || value > max
            ? throw new ArgumentOutOfRangeException(name, value, $"Ratings must be on the scale {min}..{max}.")
            : value - min;
}
