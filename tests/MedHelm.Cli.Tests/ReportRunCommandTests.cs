using System.Text.Json.Nodes;
using MedHelm.Cli.Tests.Support;
using MedHelm.Gguf.TestModels;

namespace MedHelm.Cli.Tests;

/// <summary><c>report --run</c>: the decision report of a stored run (a real llama.cpp run of a generated model) as HTML and JSON, and its errors.</summary>
[Trait("Category", TestCategories.Slow)]
public sealed class ReportRunCommandTests
{
    [Fact]
    public async Task A_run_is_reported_as_html_with_its_floors_and_as_json_with_measured_time()
    {
        using var home = new TempHome();
        var model = home.PathOf("tiny.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64 }, model);
        var run = await CliProcess.RunAsync(["run", "--benchmarks", "pubmed_qa,medec", "--models", model, "--jury", "none", "--max-instances", "2", "--samples", "--run-id", "r1"], home.Folder);
        Assert.True(run.ExitCode == 0, run.ToString());

        var page = home.PathOf("report.html");
        var html = await CliProcess.RunAsync(["report", "--run", "r1", "--format", "html", "--baselines", "--replicates", "50", "--out", page], home.Folder);
        Assert.True(html.ExitCode == 0, html.ToString());
        Assert.Equal($"wrote {page}", html.StdOut.Trim());
        var text = await File.ReadAllTextAsync(page);
        Assert.Contains("http-equiv=\"Content-Security-Policy\"", text, StringComparison.Ordinal);
        Assert.Contains("always flag an error", text, StringComparison.Ordinal);
        Assert.Contains("id=\"cost-chart\"", text, StringComparison.Ordinal);

        var json = await CliProcess.RunAsync(["report", "--run", "r1", "--format", "json", "--replicates", "0"], home.Folder);
        Assert.True(json.ExitCode == 0, json.ToString());
        var usage = JsonNode.Parse(json.StdOut)!["usage"]!.AsArray();
        Assert.Equal(2, usage.Count);
        Assert.All(usage, u => Assert.True(u!["wall_seconds"]!.GetValue<double>() > 0));
        Assert.Null(JsonNode.Parse(json.StdOut)!["warning"]);
    }

    [Fact]
    public async Task An_unknown_run_and_runs_with_scores_exit_1_with_one_line()
    {
        using var home = new TempHome();
        var scores = home.PathOf("s.csv");
        await File.WriteAllTextAsync(scores, "model,benchmark,score\na,pubmed_qa,0.5\nb,pubmed_qa,0.6\n");
        var unknown = await CliProcess.RunAsync(["report", "--run", "nope"], home.Folder);
        Assert.Equal(1, unknown.ExitCode);
        var both = await CliProcess.RunAsync(["report", "--run", "nope", "--scores", scores], home.Folder);
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("one of the two", both.StdErr, StringComparison.Ordinal);
        var text = await CliProcess.RunAsync(["report", "--scores", scores, "--include-text"], home.Folder);
        Assert.Equal(1, text.ExitCode);
        Assert.Contains("need runs (--run)", text.StdErr, StringComparison.Ordinal);
    }
}
