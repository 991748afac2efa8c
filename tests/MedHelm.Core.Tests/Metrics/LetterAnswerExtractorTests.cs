using MedHelm.Core.Metrics;

namespace MedHelm.Core.Tests.Metrics;

public class LetterAnswerExtractorTests
{
    private static readonly char[] Abc = ['A', 'B', 'C'];

    [Theory]
    [InlineData("A", 'A')]
    [InlineData("B", 'B')]
    [InlineData(" C", 'C')]
    [InlineData("A\n", 'A')]
    [InlineData("\t B \r\n", 'B')]
    [InlineData("\u00A0A\u2003", 'A')] // Unicode white space is stripped like Python's str.strip().
    public void Helm_mode_accepts_exactly_one_letter_after_trimming(string output, char expected) =>
        Assert.Equal(expected, LetterAnswerExtractor.Extract(output, Abc, ScoringMode.Helm));

    [Theory]
    [InlineData("A.")] // stanford-crfm/helm #4187: a trailing period scores 0.
    [InlineData("(A)")]
    [InlineData("Answer: A")]
    [InlineData("A) yes")]
    [InlineData("a")]
    [InlineData("D")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("yes")]
    [InlineData("AB")]
    [InlineData("\uFF21")] // full-width A
    public void Helm_mode_rejects_anything_but_a_bare_valid_letter(string output) =>
        Assert.Null(LetterAnswerExtractor.Extract(output, Abc, ScoringMode.Helm));

    [Fact]
    public void Null_output_gives_no_letter()
    {
        Assert.Null(LetterAnswerExtractor.Extract(null, Abc, ScoringMode.Helm));
        Assert.Null(LetterAnswerExtractor.Extract(null, Abc, ScoringMode.Corrected));
    }

    [Theory]
    [InlineData("A", 'A')]
    [InlineData("A.", 'A')]
    [InlineData("(A)", 'A')]
    [InlineData("[B]", 'B')]
    [InlineData("Answer: A", 'A')]
    [InlineData("answer:C", 'C')]
    [InlineData("A) yes", 'A')]
    [InlineData("B. no", 'B')]
    [InlineData("   \n  C", 'C')]
    [InlineData("B. The study found no difference between the groups.", 'B')]
    [InlineData("C\nThe evidence is inconclusive.", 'C')]
    [InlineData("**B**", 'B')]
    [InlineData("The answer is B.", 'B')]
    [InlineData("The correct answer is (C) maybe", 'C')]
    [InlineData("Final answer: A", 'A')]
    [InlineData("Option B", 'B')]
    [InlineData("\"A\"", 'A')]
    [InlineData("c", 'C')]
    [InlineData("b.", 'B')]
    [InlineData("A, yes", 'A')]
    public void Corrected_mode_tolerates_common_formats(string output, char expected) =>
        Assert.Equal(expected, LetterAnswerExtractor.Extract(output, Abc, ScoringMode.Corrected));

    [Theory]
    [InlineData("")]
    [InlineData(" \t\n ")]
    [InlineData("D")] // not an option
    [InlineData("D.")]
    [InlineData("Absolutely")] // letter is part of a word
    [InlineData("B12 deficiency")]
    [InlineData("a study shows")] // lower-case article, not an answer
    [InlineData("yes")]
    [InlineData("Answer:")]
    [InlineData("\uFF21")] // full-width A is not A
    [InlineData("\u00C1")] // Á
    [InlineData("\U0001F642")] // emoji (surrogate pair)
    [InlineData("Я")]
    public void Corrected_mode_rejects_non_answers(string output) =>
        Assert.Null(LetterAnswerExtractor.Extract(output, Abc, ScoringMode.Corrected));

    [Fact]
    public void Huge_outputs_are_handled_in_both_modes()
    {
        var tail = new string('x', 2_000_000);
        Assert.Equal('B', LetterAnswerExtractor.Extract("B. " + tail, Abc, ScoringMode.Corrected));
        Assert.Null(LetterAnswerExtractor.Extract("B. " + tail, Abc, ScoringMode.Helm));
        Assert.Null(LetterAnswerExtractor.Extract(tail, Abc, ScoringMode.Corrected));
        Assert.Equal('A', LetterAnswerExtractor.Extract(new string(' ', 1_000_000) + "A" + new string('\n', 1_000_000), Abc, ScoringMode.Helm));
    }

    [Fact]
    public void Valid_letters_decide_what_counts()
    {
        Assert.Equal('E', LetterAnswerExtractor.Extract("E", ['A', 'B', 'C', 'D', 'E'], ScoringMode.Helm));
        Assert.Null(LetterAnswerExtractor.Extract("E", Abc, ScoringMode.Helm));
    }
}
