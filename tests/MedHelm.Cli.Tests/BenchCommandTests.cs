using System.Text.Json;
using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

public sealed class BenchCommandTests
{
    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task Bench_prints_one_row_per_parallelism_and_the_mixed_workload_as_json()
    {
        using var home = new TempHome();
        var model = home.PathOf("tiny.gguf");
        await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", model, "--layers", "1", "--embd", "64"], home.Folder);

        var result = await CliProcess.RunAsync(
            ["bench", "--model", model, "--parallel", "1,2", "--prompt-tokens", "16", "--gen-tokens", "4", "--mixed-requests", "6", "--repetitions", "1", "--reference", "none", "--json"], home.Folder);
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
    [Trait("Category", TestCategories.Slow)]
    public async Task Bench_runs_llama_batched_bench_built_on_the_engines_own_libraries_and_prints_the_ratio()
    {
        // scripts/test.sh compiles llama.cpp's llama-batched-bench against the installed cpu libraries
        // (scripts/build-batched-bench.sh, which copies it into cpu-native/ when install-runtime.sh --native built that);
        // bench finds it beside the libraries the engine loads for llama.cpp's default kernels.
        var runtimes = Path.Combine(CliProcess.RepositoryRoot, "runtimes", "llama");
        var folder = File.Exists(Path.Combine(runtimes, "cpu-native", ".installed")) ? "cpu-native" : "cpu";
        var tool = Path.Combine(runtimes, folder, "llama-batched-bench");
        Assert.True(File.Exists(tool), $"{tool} is missing: run scripts/build-batched-bench.sh (scripts/test.sh does)");
        using var home = new TempHome();
        var model = home.PathOf("tiny.gguf");
        await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", model, "--layers", "1", "--embd", "64"], home.Folder);

        var result = await CliProcess.RunAsync(
            ["bench", "--model", model, "--parallel", "1,2", "--prompt-tokens", "16", "--gen-tokens", "4", "--mixed-requests", "0", "--repetitions", "1", "--json"], home.Folder);
        Assert.True(result.ExitCode == 0, result.ToString());

        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal(tool, json.RootElement.GetProperty("reference").GetString());
        Assert.True(json.RootElement.GetProperty("reference_same_libraries").GetBoolean());
        var rows = json.RootElement.GetProperty("parallel").EnumerateArray().ToArray();
        Assert.Equal([1, 2], rows.Select(r => r.GetProperty("Parallel").GetInt32()));
        foreach (var row in rows)
        {
            var referenceTg = row.GetProperty("reference").GetProperty("s_tg").GetDouble();
            Assert.True(referenceTg > 0 && row.GetProperty("reference").GetProperty("s_pp").GetDouble() > 0, row.ToString());
            Assert.Equal(row.GetProperty("s_tg").GetDouble() / referenceTg, row.GetProperty("s_tg_ratio").GetDouble(), 9);
        }

        var referenceGain = json.RootElement.GetProperty("reference_generation_gain").GetDouble();
        var rowsTg = rows.Select(r => r.GetProperty("reference").GetProperty("s_tg").GetDouble()).ToArray();
        Assert.Equal(rowsTg[1] / rowsTg[0], referenceGain, 9);
    }

    [Fact]
    public async Task Bench_names_a_missing_reference_tool()
    {
        using var home = new TempHome();
        var model = home.PathOf("tiny.gguf");
        await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", model, "--layers", "1", "--embd", "32"], home.Folder);
        var missing = home.PathOf("nowhere", "llama-batched-bench");
        var result = await CliProcess.RunAsync(["bench", "--model", model, "--reference", missing], home.Folder);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"llama-batched-bench not found at '{missing}'", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
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
