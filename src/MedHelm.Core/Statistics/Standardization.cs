namespace MedHelm.Core.Statistics;

/// <summary>z-scores and the binning of continuous composites onto an integer rating scale.</summary>
public static class Standardization
{
    /// <summary>
    /// (x − mean) / sd with the sample standard deviation (ddof 1, as pandas' std). A constant series (sd 0) or a
    /// single value carries no information about rank or spread and comes back as zeros rather than NaN.
    /// </summary>
    public static double[] ZScores(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return [];
        }

        var mean = values.Average();
        var sd = SampleStandardDeviation(values);
        return values.Select(v => sd > 0 ? (v - mean) / sd : 0.0).ToArray();
    }

    /// <summary>Sample standard deviation (ddof 1); 0 for fewer than 2 values.</summary>
    public static double SampleStandardDeviation(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count < 2)
        {
            return 0;
        }

        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    /// <summary>
    /// Bins a continuous score onto the integer scale <paramref name="min"/>..<paramref name="max"/> the way
    /// MedHELM's 4_calculate_icc.py does before its weighted kappa (pandas <c>round().astype(int)</c>): round to the
    /// nearest integer, halves to even (2.5 → 2, 3.5 → 4), then clamp to the scale.
    /// </summary>
    public static int ToScale(double value, int min = 1, int max = 5)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Only finite scores can be binned.");
        }

        return (int)Math.Clamp(Math.Round(value, MidpointRounding.ToEven), min, max);
    }

    /// <summary>A 0-1 score (ROUGE-L, BERTScore, a normalized jury score) on the 1-5 scale: 1 + 4·s.</summary>
    public static double UnitToFivePoint(double unitScore) => 1 + 4 * unitScore;
}
