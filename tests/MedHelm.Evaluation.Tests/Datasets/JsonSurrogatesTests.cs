using System.Text;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Datasets.Formats;
using MedHelm.Evaluation.Metrics;

namespace MedHelm.Evaluation.Tests.Datasets;

/// <summary>Lone UTF-16 surrogate escapes pass the JSON grammar but are not text: they are found with their field, pairs are not.</summary>
public sealed class JsonSurrogatesTests
{
    [Theory]
    [InlineData("{\"a\": \"x\\ud800\"}", "a", false)]
    [InlineData("{\"a\": \"\\uDC00x\"}", "a", false)]
    [InlineData("{\"a\": \"\\udc00\\ud800\"}", "a", false)]
    [InlineData("{\"a\": {\"b\": [\"ok\", \"\\ud83d\"]}}", "b", false)]
    [InlineData("{\"\\ud800\": 1}", null, true)]
    [InlineData("[\"\\ud800\"]", null, false)]
    public void A_lone_surrogate_is_found_with_its_member(string json, string? member, bool inName)
    {
        var fault = JsonSurrogates.Find(json);
        Assert.NotNull(fault);
        Assert.Equal((member, inName), (fault.Member, fault.InMemberName));
        Assert.Equal(json.LastIndexOf('"', json.IndexOf("\\u", StringComparison.Ordinal)), (int)fault.ByteOffset); // the string's opening quote
    }

    [Theory]
    [InlineData("{\"a\": \"\\ud83d\\ude00 smile\"}")]
    [InlineData("{\"a\": \"\\\\ud800 is how you write it\"}")]
    [InlineData("{\"a\": \"caf\\u00e9\", \"b\": \"\\u2028\"}")]
    [InlineData("{\"a\": \"\\ud800")]
    public void Pairs_escaped_backslashes_other_escapes_and_invalid_JSON_are_not_reported(string json) =>
        Assert.Null(JsonSurrogates.Find(json));

    [Fact]
    public async Task Metrics_score_names_the_line_and_field_of_a_lone_surrogate()
    {
        Assert.True(MetricRegistry.TryGet("exact_match", out var metric));
        var text = "{\"prediction\": \"A\", \"gold\": \"A\"}\n{\"prediction\": \"B\\ud800\", \"gold\": \"B\"}\n";

        var e = await Assert.ThrowsAsync<PredictionFileFormatException>(() =>
            JsonlPredictionScorer.ScoreAsync(new StringReader(text), "predictions.jsonl", metric, ScoringMode.Corrected));

        Assert.Equal((2, "prediction"), (e.Line, e.Field));
        Assert.StartsWith("predictions.jsonl:2: field 'prediction': ", e.Message, StringComparison.Ordinal);
        Assert.Contains("lone UTF-16 surrogate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_and_text_agree()
    {
        const string Json = "{\"k\": \"\\ud800\"}";
        Assert.Equal(JsonSurrogates.Find(Json), JsonSurrogates.Find(Encoding.UTF8.GetBytes(Json)));
    }
}
