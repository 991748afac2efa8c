using MedHelm.Core.Statistics;

namespace MedHelm.Core.Tests.Statistics;

public sealed class IntraclassCorrelationTests
{
    // Shrout & Fleiss (1979), Table 2 (p. 423): six targets rated by four judges.
    private static readonly double[,] s_shroutFleiss =
    {
        { 9, 2, 5, 8 },
        { 6, 1, 3, 2 },
        { 8, 4, 6, 8 },
        { 7, 1, 2, 6 },
        { 10, 5, 6, 9 },
        { 6, 2, 4, 7 },
    };

    [Theory]
    [InlineData(IccForm.Icc1Single, 0.17)]
    [InlineData(IccForm.Icc2Single, 0.29)]
    [InlineData(IccForm.Icc3Single, 0.71)]
    [InlineData(IccForm.Icc1Average, 0.44)]
    [InlineData(IccForm.Icc2Average, 0.62)]
    [InlineData(IccForm.Icc3Average, 0.91)]
    public void The_published_Shrout_Fleiss_example_is_reproduced_to_two_decimals(IccForm form, double published)
    {
        var icc = IntraclassCorrelation.Compute(s_shroutFleiss, form);

        Assert.Equal(published, Math.Round(icc, 2));
    }

    [Fact]
    public void The_analysis_of_variance_matches_the_published_mean_squares()
    {
        var anova = IntraclassCorrelation.Anova(s_shroutFleiss);

        Assert.Equal(6, anova.Targets);
        Assert.Equal(4, anova.Raters);
        Assert.Equal(11.24, Math.Round(anova.BetweenTargets, 2));
        Assert.Equal(6.26, Math.Round(anova.WithinTargets, 2));
        Assert.Equal(32.49, Math.Round(anova.BetweenRaters, 2));
        Assert.Equal(1.02, Math.Round(anova.Residual, 2));
    }

    [Fact]
    public void Four_decimal_values_match_psych_and_pingouin()
    {
        var all = IntraclassCorrelation.ComputeAll(s_shroutFleiss);

        Assert.Equal(0.1657, all[IccForm.Icc1Single], 4);
        Assert.Equal(0.2898, all[IccForm.Icc2Single], 4);
        Assert.Equal(0.7148, all[IccForm.Icc3Single], 4);
        Assert.Equal(0.4428, all[IccForm.Icc1Average], 4);
        Assert.Equal(0.6201, all[IccForm.Icc2Average], 4);
        Assert.Equal(0.9093, all[IccForm.Icc3Average], 4);
    }

    [Fact]
    public void Perfect_agreement_gives_one_and_a_constant_matrix_is_undefined()
    {
        var same = IntraclassCorrelation.FromColumns([1.0, 2, 3, 4], [1.0, 2, 3, 4]);
        foreach (var form in IntraclassCorrelation.Forms)
        {
            Assert.Equal(1.0, IntraclassCorrelation.Compute(same, form), 10);
        }

        var constant = IntraclassCorrelation.FromColumns([3.0, 3, 3], [3.0, 3, 3]);
        Assert.True(double.IsNaN(IntraclassCorrelation.Compute(constant, IccForm.Icc3Average)));
    }

    [Fact]
    public void Consistency_forms_ignore_a_rater_offset_but_agreement_forms_do_not()
    {
        var shifted = IntraclassCorrelation.FromColumns([1.0, 2, 3, 4, 5], [3.0, 4, 5, 6, 7]);

        Assert.Equal(1.0, IntraclassCorrelation.Compute(shifted, IccForm.Icc3Single), 10);
        Assert.True(IntraclassCorrelation.Compute(shifted, IccForm.Icc2Single) < 1.0);
        Assert.True(IntraclassCorrelation.Compute(shifted, IccForm.Icc1Single) < 1.0);
    }

    [Fact]
    public void Too_small_or_incomplete_matrices_are_refused()
    {
        Assert.Throws<ArgumentException>(() => IntraclassCorrelation.Anova(new double[1, 3]));
        Assert.Throws<ArgumentException>(() => IntraclassCorrelation.Anova(new double[3, 1]));
        var missing = IntraclassCorrelation.FromColumns([1.0, double.NaN], [1.0, 2]);
        Assert.Throws<ArgumentException>(() => IntraclassCorrelation.Anova(missing));
        Assert.Throws<ArgumentException>(() => IntraclassCorrelation.FromColumns([1.0, 2], [1.0]));
    }

    [Fact]
    public void Labels_use_Shrout_Fleiss_notation() =>
        Assert.Equal(["ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)"], IntraclassCorrelation.Forms.Select(IntraclassCorrelation.Label));
}
