using MedHelm.Evaluation.Jury;

namespace MedHelm.Evaluation.Tests.Jury;

/// <summary>Stored jury rows back to per-instance results: verdicts, retries, failures and empty outputs.</summary>
public sealed class StoredJuryTests
{
    private static StoredJuryRating Row(long id, string judge, string criterion, double? rating, string json) =>
        new(id, "m", "aci_bench", $"i{id}", judge, criterion, rating, json);

    [Fact]
    public void Verdicts_retries_and_failures_are_rebuilt_and_scores_say_how_many_judges_they_rest_on()
    {
        JuryCandidate[] candidates =
        [
            new(1, "k1", "m", "aci_bench", "i1", "a note", "gold"),
            new(2, "k2", "m", "aci_bench", "i2", "  ", "gold"),
            new(3, "k3", "m", "aci_bench", "i3", "another note", "gold"),
        ];
        StoredJuryRating[] rows =
        [
            Row(1, "a", "accuracy", 5, """{"explanation":"ok","attempts":1}"""),
            Row(1, "a", "completeness", 3, """{"explanation":"ok","attempts":1}"""),
            Row(1, "b", "accuracy", 1, """{"explanation":"meh","attempts":2}"""),
            Row(1, "b", "completeness", 3, """{"explanation":"meh","attempts":2}"""),
            Row(1, "c", StoredJuryRating.FailureCriterion, null, """{"failure":"invalid JSON","attempts":2,"answer":"{"}"""),
            Row(3, "a", StoredJuryRating.FailureCriterion, null, """{"failure":"the judge call failed","attempts":1}"""),
            Row(3, "x", "accuracy", 5, """{"explanation":"not on this jury","attempts":1}"""),
        ];

        var results = StoredJury.ToResults(candidates, rows, ["a", "b", "c"]);

        Assert.Equal(3, results.Count);
        var first = results[0];
        Assert.Equal(JuryScoreBasis.Verdicts, first.Basis);
        Assert.Equal(["a", "b", "c"], first.Judges.Select(j => j.Judge));
        Assert.Equal(2, first.JudgesCounted);
        Assert.Equal(1, first.JudgesFailed);
        Assert.Equal(3.0, first.Score, 10); // (5 + 3 + 1 + 3) / 4
        Assert.Equal(0.5, first.NormalizedScore, 10);
        Assert.Equal("meh", first.Of("b")!.Verdict!.Ratings["accuracy"].Explanation);
        Assert.Equal(1, first.Of("b")!.FailedAttempts); // verdict after one retry
        Assert.Equal(2, first.Of("c")!.FailedAttempts);
        Assert.Equal("invalid JSON", first.Of("c")!.Failure);

        Assert.Equal(JuryScoreBasis.EmptyResponse, results[1].Basis);
        Assert.Equal(0, results[1].NormalizedScore);
        Assert.Equal(JuryScoreBasis.NoVerdict, results[2].Basis); // judge x is not on this jury
        Assert.Equal(0, results[2].NormalizedScore);

        var report = JuryReport.Build("aci_bench", ["accuracy", "completeness"], ["a", "b", "c"], results);
        Assert.Equal(1, report.InstancesByJudgesCounted[2]);
        Assert.Equal(2, report.JudgeFailures);
        Assert.Contains("judges behind each score: 2 judge(s) for 1 instance(s)", report.Format(), StringComparison.Ordinal);
    }
}
