using System.Text.Json.Nodes;
using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

/// <summary><c>report --scores</c>: Table 1 of an external score table on standard output or in a file, and every problem of a bad table with its line.</summary>
public sealed class ReportCommandTests
{
    private static readonly string Fixture = Path.Combine(
        CliProcess.RepositoryRoot, "tests", "MedHelm.Application.Tests", "Reports", "Decision", "Fixtures", "scores_9x35.csv");

    [Fact]
    public async Task A_score_table_is_reported_as_a_table_or_written_as_json()
    {
        using var home = new TempHome();

        var table = await CliProcess.RunAsync(["report", "--scores", Fixture], home.Folder);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains(table.StdOut.Split('\n'), l => l.StartsWith("model-a ", StringComparison.Ordinal) && l.Contains(" 0.837 ", StringComparison.Ordinal));

        var target = home.PathOf("report.json");
        var json = await CliProcess.RunAsync(["report", "--scores", Fixture, "--format", "json", "--out", target], home.Folder);
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal($"wrote {target}", json.StdOut.Trim());
        Assert.Equal(9, JsonNode.Parse(await File.ReadAllTextAsync(target))!["rows"]!.AsArray().Count);
        Assert.False(File.Exists(target + ".tmp"));
    }

    [Fact]
    public async Task A_bad_table_lists_every_problem_with_its_line_and_exits_1()
    {
        using var home = new TempHome();
        var scores = home.PathOf("bad.csv");
        await File.WriteAllTextAsync(scores, "model,benchmark,score\na,pubmed_qa,0.5\na,pubmed_qa,0.6\nb,nope,0.5\nc,pubmed_qa,high\n");

        var result = await CliProcess.RunAsync(["report", "--scores", scores], home.Folder);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.StdOut);
        Assert.Equal(4, result.ErrorLines.Count);
        Assert.Contains("(line 3): 'a' × pubmed_qa is already on line 2", result.ErrorLines[0], StringComparison.Ordinal);
        Assert.Contains("(line 4): field 'benchmark': unknown benchmark 'nope'", result.ErrorLines[1], StringComparison.Ordinal);
        Assert.Contains("(line 5): field 'score': 'high' is not a number", result.ErrorLines[2], StringComparison.Ordinal);
        Assert.Equal($"error: {scores}: 3 problem(s); no report.", result.ErrorLines[3]);
    }

    [Fact]
    public async Task Without_scores_the_command_says_what_to_give()
    {
        using var home = new TempHome();

        var result = await CliProcess.RunAsync(["report"], home.Folder);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--scores FILE.csv", result.StdErr, StringComparison.Ordinal);
    }
}
