using MedHelm.Core.Metrics;

namespace MedHelm.Core.Tests.Metrics;

public class ExactMatchTests
{
    private static readonly char[] Abc = ['A', 'B', 'C'];

    [Theory]
    [InlineData("A", "A", ScoringMode.Helm, 1)]
    [InlineData(" A\n", "A", ScoringMode.Helm, 1)]
    [InlineData("A.", "A", ScoringMode.Helm, 0)]
    [InlineData("B", "A", ScoringMode.Helm, 0)]
    [InlineData("", "A", ScoringMode.Helm, 0)]
    [InlineData("a", "A", ScoringMode.Helm, 0)]
    [InlineData("A.", "A", ScoringMode.Corrected, 1)]
    [InlineData("Answer: (C)", "C", ScoringMode.Corrected, 1)]
    [InlineData("B. no", "A", ScoringMode.Corrected, 0)]
    [InlineData("", "A", ScoringMode.Corrected, 0)]
    [InlineData("D", "A", ScoringMode.Corrected, 0)]
    public void Scores_zero_or_one(string prediction, string gold, ScoringMode mode, double expected) =>
        Assert.Equal(expected, ExactMatch.Score(prediction, gold, mode, Abc));

    [Fact]
    public void Null_prediction_scores_zero()
    {
        Assert.Equal(0, ExactMatch.Score(null, "A", ScoringMode.Helm));
        Assert.Equal(0, ExactMatch.Score(null, "A", ScoringMode.Corrected));
    }

    [Fact]
    public void Without_valid_letters_any_capital_letter_may_match()
    {
        Assert.Equal(1, ExactMatch.Score("E)", "E", ScoringMode.Corrected));
        Assert.Equal(0, ExactMatch.Score("E)", "E", ScoringMode.Corrected, Abc));
    }

    [Fact]
    public void Corrected_mode_needs_a_single_letter_gold() =>
        Assert.Equal(0, ExactMatch.Score("yes", "yes", ScoringMode.Corrected));
}
