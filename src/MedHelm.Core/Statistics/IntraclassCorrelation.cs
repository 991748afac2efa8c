namespace MedHelm.Core.Statistics;

/// <summary>The six intraclass correlations of Shrout &amp; Fleiss (1979), named ICC(model, raters).</summary>
public enum IccForm
{
    /// <summary>ICC(1,1): one-way random effects; each target rated by different raters; one rating.</summary>
    Icc1Single,

    /// <summary>ICC(2,1): two-way random effects, absolute agreement; raters a random sample; one rating.</summary>
    Icc2Single,

    /// <summary>ICC(3,1): two-way mixed effects, consistency; the raters are the only raters of interest; one rating.</summary>
    Icc3Single,

    /// <summary>ICC(1,k): as ICC(1,1), for the mean of the k ratings.</summary>
    Icc1Average,

    /// <summary>ICC(2,k): as ICC(2,1), for the mean of the k ratings.</summary>
    Icc2Average,

    /// <summary>ICC(3,k): as ICC(3,1), for the mean of the k ratings (equals Cronbach's alpha). MedHELM's figure.</summary>
    Icc3Average,
}

/// <summary>The mean squares of the targets × raters analysis of variance behind every ICC form.</summary>
/// <param name="Targets">n, rows.</param>
/// <param name="Raters">k, columns.</param>
/// <param name="BetweenTargets">BMS: between-targets mean square, df n − 1.</param>
/// <param name="WithinTargets">WMS: within-target mean square (one-way model), df n(k − 1).</param>
/// <param name="BetweenRaters">JMS: between-raters (judges) mean square, df k − 1.</param>
/// <param name="Residual">EMS: residual mean square (two-way model), df (n − 1)(k − 1).</param>
public sealed record IccAnova(int Targets, int Raters, double BetweenTargets, double WithinTargets, double BetweenRaters, double Residual);

/// <summary>
/// Intraclass correlation coefficients after Shrout &amp; Fleiss (1979), "Intraclass correlations: uses in assessing
/// rater reliability", Psychological Bulletin 86(2):420-428, from a complete targets × raters matrix. The results
/// equal those of R's psych::ICC and Python's pingouin.intraclass_corr (ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k).
/// </summary>
public static class IntraclassCorrelation
{
    /// <summary>All forms in declaration order.</summary>
    public static IReadOnlyList<IccForm> Forms { get; } = Enum.GetValues<IccForm>();

    /// <summary>The analysis of variance of <paramref name="ratings"/> (rows = targets, columns = raters).</summary>
    /// <exception cref="ArgumentException">Fewer than 2 targets or 2 raters, or a value that is not finite.</exception>
    public static IccAnova Anova(double[,] ratings)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        var n = ratings.GetLength(0);
        var k = ratings.GetLength(1);
        if (n < 2 || k < 2)
        {
            throw new ArgumentException($"An ICC needs at least 2 targets and 2 raters (got {n} × {k}).", nameof(ratings));
        }

        var grand = 0.0;
        foreach (var x in ratings)
        {
            if (!double.IsFinite(x))
            {
                throw new ArgumentException("Every rating must be a finite number (the matrix must be complete).", nameof(ratings));
            }

            grand += x;
        }

        grand /= n * k;
        var rowMeans = new double[n];
        var colMeans = new double[k];
        var total = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < k; j++)
            {
                var x = ratings[i, j];
                rowMeans[i] += x / k;
                colMeans[j] += x / n;
                total += (x - grand) * (x - grand);
            }
        }

        var rows = k * rowMeans.Sum(m => (m - grand) * (m - grand));
        var cols = n * colMeans.Sum(m => (m - grand) * (m - grand));
        var residual = Math.Max(0, total - rows - cols);
        var within = Math.Max(0, total - rows);
        return new IccAnova(
            n,
            k,
            BetweenTargets: rows / (n - 1),
            WithinTargets: within / (n * (k - 1)),
            BetweenRaters: cols / (k - 1),
            Residual: residual / ((n - 1) * (k - 1)));
    }

    /// <summary>One ICC form of <paramref name="ratings"/>; NaN when it is undefined (no variance at all).</summary>
    public static double Compute(double[,] ratings, IccForm form) => Compute(Anova(ratings), form);

    /// <summary>One ICC form from an analysis of variance; NaN when the denominator is zero.</summary>
    public static double Compute(IccAnova anova, IccForm form)
    {
        ArgumentNullException.ThrowIfNull(anova);
        double n = anova.Targets;
        double k = anova.Raters;
        var (bms, wms, jms, ems) = (anova.BetweenTargets, anova.WithinTargets, anova.BetweenRaters, anova.Residual);
        var (numerator, denominator) = form switch
        {
            IccForm.Icc1Single => (bms - wms, bms + (k - 1) * wms),
            IccForm.Icc2Single => (bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n),
            IccForm.Icc3Single => (bms - ems, bms + (k - 1) * ems),
            IccForm.Icc1Average => (bms - wms, bms),
            IccForm.Icc2Average => (bms - ems, bms + (jms - ems) / n),
            IccForm.Icc3Average => (bms - ems, bms),
            _ => throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown ICC form."),
        };
        return denominator == 0 ? double.NaN : numerator / denominator;
    }

    /// <summary>All six forms.</summary>
    public static IReadOnlyDictionary<IccForm, double> ComputeAll(double[,] ratings)
    {
        var anova = Anova(ratings);
        return Forms.ToDictionary(f => f, f => Compute(anova, f));
    }

    /// <summary>Shrout &amp; Fleiss notation, e.g. "ICC(3,k)".</summary>
    public static string Label(IccForm form) => form switch
    {
        IccForm.Icc1Single => "ICC(1,1)",
        IccForm.Icc2Single => "ICC(2,1)",
        IccForm.Icc3Single => "ICC(3,1)",
        IccForm.Icc1Average => "ICC(1,k)",
        IccForm.Icc2Average => "ICC(2,k)",
        IccForm.Icc3Average => "ICC(3,k)",
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown ICC form."),
    };

    /// <summary>Builds a targets × raters matrix from columns of equal length (one array per rater).</summary>
    public static double[,] FromColumns(params IReadOnlyList<double>[] raters)
    {
        ArgumentNullException.ThrowIfNull(raters);
        if (raters.Length == 0)
        {
            return new double[0, 0];
        }

        var n = raters[0].Count;
        if (raters.Any(r => r.Count != n))
        {
            throw new ArgumentException("Every rater must rate the same targets (columns of equal length).", nameof(raters));
        }

        var matrix = new double[n, raters.Length];
        for (var j = 0; j < raters.Length; j++)
        {
            for (var i = 0; i < n; i++)
            {
                matrix[i, j] = raters[j][i];
            }
        }

        return matrix;
    }
}
