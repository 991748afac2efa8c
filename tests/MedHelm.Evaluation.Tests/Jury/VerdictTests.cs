using System.Text.Json;
using MedHelm.Evaluation.Jury;

namespace MedHelm.Evaluation.Tests.Jury;

public sealed class VerdictTests
{
    private static readonly string[] s_criteria = ["accuracy", "completeness", "clarity"];

    private const string Valid =
        "{\"accuracy\": {\"score\": 4, \"explanation\": \"Correct dose.\"}, \"completeness\": {\"score\": 3, \"explanation\": \"Misses follow-up.\"}, " +
        "\"clarity\": {\"score\": 5, \"explanation\": \"Clear.\"}}";

    [Fact]
    public void A_valid_verdict_parses_with_scores_and_explanations()
    {
        var result = VerdictParser.Parse(Valid, s_criteria);

        Assert.True(result.Success);
        Assert.Equal(4, result.Verdict!.Ratings["accuracy"].Score);
        Assert.Equal("Misses follow-up.", result.Verdict.Ratings["completeness"].Explanation);
        Assert.Equal(4.0, result.Verdict.MeanScore);
    }

    [Theory]
    [InlineData("```json\n{0}\n```")]
    [InlineData("Here is my evaluation:\n{0}\nThanks.")]
    [InlineData("{0} {{\"another\": 1}}")]
    public void Fences_preambles_and_trailing_text_are_tolerated(string wrapper)
    {
        var result = VerdictParser.Parse(string.Format(System.Globalization.CultureInfo.InvariantCulture, wrapper, Valid), s_criteria);

        Assert.True(result.Success, result.Failure);
    }

    [Fact]
    public void Braces_and_escaped_quotes_inside_strings_do_not_confuse_the_object_boundary()
    {
        var text = "{\"accuracy\": {\"score\": 2, \"explanation\": \"says \\\"take {2} pills}\\\"\"}, \"completeness\": {\"score\": \"3\", \"explanation\": \"\"}, " +
                   "\"Clarity\": {\"score\": 5.0}}";

        var result = VerdictParser.Parse(text, s_criteria);

        Assert.True(result.Success, result.Failure);
        Assert.Equal("says \"take {2} pills}\"", result.Verdict!.Ratings["accuracy"].Explanation);
        Assert.Equal(3, result.Verdict.Ratings["completeness"].Score);
        Assert.Equal(5, result.Verdict.Ratings["clarity"].Score);
        Assert.Equal(string.Empty, result.Verdict.Ratings["clarity"].Explanation);
    }

    [Theory]
    [InlineData("", "empty answer")]
    [InlineData("I cannot rate this.", "no JSON object")]
    [InlineData("{\"accuracy\": {\"score\": 4, \"explanation\": \"cut off", "unterminated")]
    [InlineData("{\"accuracy\": {score: 4}}", "invalid JSON")]
    [InlineData("{\"accuracy\": {\"score\": 4}, \"clarity\": {\"score\": 4}}", "criterion 'completeness' is missing")]
    [InlineData("{\"accuracy\": {\"score\": 6}, \"completeness\": {\"score\": 4}, \"clarity\": {\"score\": 4}}", "criterion 'accuracy' has a score that is not an integer")]
    [InlineData("{\"accuracy\": {\"score\": 3.5}, \"completeness\": {\"score\": 4}, \"clarity\": {\"score\": 4}}", "not an integer")]
    [InlineData("{\"accuracy\": 4, \"completeness\": {\"score\": 4}, \"clarity\": {\"score\": 4}}", "'accuracy' is not an object")]
    [InlineData("{\"accuracy\": {\"explanation\": \"x\"}, \"completeness\": {\"score\": 4}, \"clarity\": {\"score\": 4}}", "'accuracy' has no score")]
    public void Unusable_answers_give_a_reason_that_does_not_quote_the_answer(string answer, string reason)
    {
        var result = VerdictParser.Parse(answer, s_criteria);

        Assert.False(result.Success);
        Assert.Contains(reason, result.Failure, StringComparison.Ordinal);
        Assert.DoesNotContain("cut off", result.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void The_json_schema_requires_every_criterion_with_an_integer_score_from_1_to_5()
    {
        var schema = new VerdictSchema(s_criteria, 120).JsonSchema;

        Assert.Equal(s_criteria, schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.False(schema.GetProperty("additionalProperties").GetBoolean());
        var score = schema.GetProperty("properties").GetProperty("clarity").GetProperty("properties").GetProperty("score");
        Assert.Equal("integer", score.GetProperty("type").GetString());
        Assert.Equal(1, score.GetProperty("minimum").GetInt32());
        Assert.Equal(5, score.GetProperty("maximum").GetInt32());
        Assert.Equal(120, schema.GetProperty("properties").GetProperty("clarity").GetProperty("properties").GetProperty("explanation").GetProperty("maxLength").GetInt32());
    }

    [Fact]
    public void The_grammar_names_every_criterion_in_order_and_bounds_the_explanation()
    {
        var schema = new VerdictSchema(["accuracy", "structure", "clarity"], 50);

        Assert.StartsWith("root ::= \"{\" \"\\\"accuracy\\\": \" rating \", \" \"\\\"structure\\\": \" rating \", \" \"\\\"clarity\\\": \" rating \"}\"", schema.Grammar, StringComparison.Ordinal);
        Assert.Contains("[1-5]", schema.Grammar, StringComparison.Ordinal);
        Assert.Contains("char{1,50}", schema.Grammar, StringComparison.Ordinal);
        Assert.Contains("[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]", schema.Grammar, StringComparison.Ordinal);
    }

    [Fact]
    public void The_longest_answer_the_grammar_admits_is_MaxOutputChars_and_parses()
    {
        var schema = new VerdictSchema(s_criteria, 30);
        var explanation = new string('x', 30);
        var longest = "{" + string.Join(", ", s_criteria.Select(c => $"\"{c}\": {{\"score\": 5, \"explanation\": \"{explanation}\"}}")) + "}";

        Assert.Equal(schema.MaxOutputChars, longest.Length);
        Assert.True(schema.MaxOutputTokens > schema.MaxOutputChars);
        Assert.True(VerdictParser.Parse(longest, s_criteria).Success);
        Assert.True(VerdictParser.Parse(schema.Example(), s_criteria).Success);
        using var _ = JsonDocument.Parse(longest);
    }

    [Fact]
    public void The_explanation_charset_needs_no_escaping()
    {
        Assert.True(VerdictSchema.IsExplanationChar('a'));
        Assert.True(VerdictSchema.IsExplanationChar('\''));
        Assert.False(VerdictSchema.IsExplanationChar('"'));
        Assert.False(VerdictSchema.IsExplanationChar('\\'));
        Assert.False(VerdictSchema.IsExplanationChar('\n'));
        Assert.False(VerdictSchema.IsExplanationChar('é'));
    }

    [Fact]
    public void Criterion_names_must_be_safe_json_keys()
    {
        Assert.Throws<ArgumentException>(() => new VerdictSchema([]));
        Assert.Throws<ArgumentException>(() => new VerdictSchema(["Accuracy"]));
        Assert.Throws<ArgumentException>(() => new VerdictSchema(["acc\"uracy"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VerdictSchema(s_criteria, 0));
    }
}
