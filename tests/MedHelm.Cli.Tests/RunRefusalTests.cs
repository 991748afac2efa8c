using System.Text.Json;
using System.Text.RegularExpressions;
using MedHelm.Cli.Tests.Support;
using MedHelm.Gguf.TestModels;

namespace MedHelm.Cli.Tests;

/// <summary>
/// An instance the model refuses up front (its prompt does not fit the context) does not stop the run: it is reported
/// and audited, the other instances are scored, and once the cause is fixed a resume computes only the refused ones.
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed partial class RunRefusalTests
{
    [Fact]
    public async Task Prompts_too_long_for_the_context_are_refused_one_by_one_and_a_resume_after_the_fix_computes_them()
    {
        using var home = new TempHome(new { Models = new Dictionary<string, object> { ["small"] = new { File = "m.gguf", Sequences = 2, ContextPerSequence = 2048 } } });
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64 }, home.PathOf("m.gguf"));

        // MedCalc-Bench notes run to ~4,300 prompt tokens; PubMedQA's fit in 2,048
        var first = await CliProcess.RunAsync(["run", "--samples", "--benchmarks", "medcalc_bench,pubmed_qa", "--models", "small", "--max-instances", "6", "--run-id", "ctx"], home.Folder);

        Assert.True(first.ExitCode == 0, first.ToString());
        var refused = RefusedLine().Match(first.StdOut);
        Assert.True(refused.Success, first.StdOut);
        var count = int.Parse(refused.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(count, 1, 5); // some notes fit, the long ones do not
        Assert.Contains("more than the 2048 tokens of context per sequence", first.StdOut, StringComparison.Ordinal);
        Assert.Contains("medhelm run --run-id ctx --resume", first.StdOut, StringComparison.Ordinal);
        Assert.Contains($"run ctx completed: {12 - count} computed", first.StdOut, StringComparison.Ordinal);
        var db = home.PathOf("data", "medhelm.db");
        Assert.Equal(12L - count, await RunJuryTests.ScalarAsync(db, "SELECT COUNT(*) FROM run_completions WHERE run_id = 'ctx'"));
        Assert.Equal(1L, await RunJuryTests.ScalarAsync(db, "SELECT COUNT(*) FROM audit WHERE run_id = 'ctx' AND event = 'instances_refused'"));

        // the fix: more context for the model (not part of the ledger key), then resume
        var settings = JsonDocument.Parse(await File.ReadAllTextAsync(home.PathOf("appsettings.json"))).RootElement.ToString()
            .Replace("\"ContextPerSequence\":2048", "\"ContextPerSequence\":8192", StringComparison.Ordinal);
        await File.WriteAllTextAsync(home.PathOf("appsettings.json"), settings);
        var resumed = await CliProcess.RunAsync(["run", "--run-id", "ctx", "--resume"], home.Folder);

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.DoesNotContain("refused", resumed.StdOut, StringComparison.Ordinal);
        Assert.Contains($"{count} computed, {12 - count} reused", resumed.StdOut, StringComparison.Ordinal);
        Assert.Equal(12L, await RunJuryTests.ScalarAsync(db, "SELECT COUNT(*) FROM run_completions WHERE run_id = 'ctx'"));
    }

    [GeneratedRegex(@"refused  small × medcalc_bench: (\d+) instance\(s\) not evaluated")]
    private static partial Regex RefusedLine();
}
