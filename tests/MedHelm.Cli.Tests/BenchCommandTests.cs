using System.Runtime.Versioning;
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
    [SupportedOSPlatform("linux")] // the stand-in is a shell script
    public async Task Bench_runs_the_reference_tool_at_each_parallelism_and_prints_the_ratio()
    {
        using var home = new TempHome();
        var model = home.PathOf("tiny.gguf");
        await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", model, "--layers", "1", "--embd", "64"], home.Folder);

        // A stand-in for llama-batched-bench (not built in CI): it records its arguments and prints a result line in
        // the tool's jsonl format for the parallelism it was asked for, each run 10 s of generation.
        var reference = home.PathOf("fake-batched-bench.sh");
        var calls = home.PathOf("calls.txt");
        File.WriteAllText(reference, $$"""
            #!/bin/sh
            echo "$@" >> '{{calls}}'
            pl=$(echo "$@" | sed 's/.*-npl \([0-9]*\).*/\1/')
            for i in 1 2; do
              echo "{\"pp\": 16, \"tg\": 4, \"pl\": $pl, \"t_pp\": 1.0, \"t_tg\": 10.0, \"speed_tg\": 0}"
            done
            """);
        File.SetUnixFileMode(reference, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await CliProcess.RunAsync(
            ["bench", "--model", model, "--parallel", "1,2", "--prompt-tokens", "16", "--gen-tokens", "4", "--mixed-requests", "0", "--repetitions", "1", "--reference", reference, "--json"], home.Folder);
        Assert.True(result.ExitCode == 0, result.ToString());

        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal(reference, json.RootElement.GetProperty("reference").GetString());
        var rows = json.RootElement.GetProperty("parallel").EnumerateArray().ToArray();
        foreach (var (row, p) in rows.Zip([1, 2]))
        {
            var referenceTg = row.GetProperty("reference").GetProperty("s_tg").GetDouble();
            Assert.Equal(p * 4 / 10.0, referenceTg, 6);
            Assert.Equal(row.GetProperty("s_tg").GetDouble() / referenceTg, row.GetProperty("s_tg_ratio").GetDouble(), 6);
        }

        Assert.Equal(2.0, json.RootElement.GetProperty("reference_generation_gain").GetDouble(), 6);
        var invocations = File.ReadAllLines(calls);
        Assert.Equal(2, invocations.Length);
        Assert.Contains("-npl 1,1 ", invocations[0], StringComparison.Ordinal);
        Assert.Contains("-npl 2,2 ", invocations[1], StringComparison.Ordinal);
        Assert.Contains($"-m {model} ", invocations[0], StringComparison.Ordinal);
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
