using MedHelm.Core.Results;

namespace MedHelm.Core.Tests.Results;

public class LeaderboardTests
{
    private static InstanceResult R(string model, string bench, string id, double score, long? pt, long? ct, double ms) =>
        new("run1", model, bench, id, "A", "A", score, pt, ct, TimeSpan.FromMilliseconds(ms));

    [Fact]
    public void Aggregates_by_model_and_benchmark()
    {
        var rows = Leaderboard.Aggregate(
        [
            R("m1", "pubmed_qa", "1", 1, 100, 1, 500),
            R("m1", "pubmed_qa", "2", 0, 200, 1, 250),
            R("m1", "pubmed_qa", "3", 1, null, null, 250),
            R("m1", "pubmed_qa", "4", 1, 50, 1, 1000),
            R("m2", "pubmed_qa", "1", 1, 10, 1, 100),
            R("m2", "head_qa", "1", 0, 10, 1, 100),
        ]);

        Assert.Equal(3, rows.Count);
        Assert.Equal(new LeaderboardRow("m2", "head_qa", 0, 1, 10, 1, 0.1), rows[0]);
        Assert.Equal("m2", rows[1].Model); // 1.0 beats 0.75
        var m1 = rows[2];
        Assert.Equal(("m1", "pubmed_qa", 0.75, 4, 350L, 3L), (m1.Model, m1.Benchmark, m1.Score, m1.Instances, m1.PromptTokens, m1.CompletionTokens));
        Assert.Equal(2.0, m1.Seconds, 9);
    }

    [Fact]
    public void Empty_input_gives_no_rows() => Assert.Empty(Leaderboard.Aggregate([]));

    [Fact]
    public void Table_is_fixed_width()
    {
        var text = Leaderboard.FormatTable(
        [
            new LeaderboardRow("qwen2.5-7b", "pubmed_qa", 0.7512, 500, 123456, 500, 61.26),
            new LeaderboardRow("m", "pubmed_qa", 0.5, 5, 1, 5, 0.04),
        ]);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("Model       Benchmark  Score  Instances", lines[0], StringComparison.Ordinal);
        Assert.Contains("0.751", lines[2], StringComparison.Ordinal);
        Assert.Contains("61.3", lines[2], StringComparison.Ordinal);
        Assert.Equal(lines[0].Length, lines[2].Length);
        Assert.Equal(lines[2].Length, lines[3].Length);
    }
}
