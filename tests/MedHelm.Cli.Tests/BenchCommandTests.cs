using System.Text.Json;
using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

public sealed class BenchCommandTests
{
    [Fact]
    public async Task Bench_prints_one_row_per_parallelism_and_the_mixed_workload_as_json()
    {
        using var home = new TempHome();
        var model = home.PathOf("tiny.gguf");
        await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", model, "--layers", "1", "--embd", "64"], home.Folder);

        var result = await CliProcess.RunAsync(
            ["bench", "--model", model, "--parallel", "1,2", "--prompt-tokens", "16", "--gen-tokens", "4", "--mixed-requests", "6", "--repetitions", "1", "--json"], home.Folder);
        Assert.True(result.ExitCode == 0, result.ToString());

        using var json = JsonDocument.Parse(result.StdOut);
        var rows = json.RootElement.GetProperty("parallel").EnumerateArray().ToArray();
        Assert.Equal([1, 2], rows.Select(r => r.GetProperty("Parallel").GetInt32()));
        Assert.All(rows, r => Assert.True(r.GetProperty("s_tg").GetDouble() > 0 && r.GetProperty("s_pp").GetDouble() > 0));
        var mixed = json.RootElement.GetProperty("mixed");
        Assert.Equal(6, mixed.GetProperty("Requests").GetInt32());
        Assert.True(mixed.GetProperty("GeneratedTokens").GetInt64() >= 6 * 4);
        Assert.True(mixed.GetProperty("ReusedPromptTokens").GetInt64() > 0, "the mixed prompts share a prefix");
    }

    [Fact]
    public async Task Bench_rejects_a_bad_parallel_list()
    {
        using var home = new TempHome();
        var model = home.PathOf("tiny.gguf");
        await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", model, "--layers", "1", "--embd", "32"], home.Folder);
        var result = await CliProcess.RunAsync(["bench", "--model", model, "--parallel", "1,x"], home.Folder);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--parallel: 'x'", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }
}
