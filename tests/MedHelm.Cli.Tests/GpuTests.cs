using System.Diagnostics;
using System.Text.Json;
using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

/// <summary>
/// GPU-only tests: the CUDA path end to end through the CLI. They run where an NVIDIA GPU and the CUDA runtime
/// (<c>scripts/install-runtime.sh --cuda</c>) are present and are skipped elsewhere, with the reason, as on the
/// development and CI machines, which have no GPU.
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class GpuTests
{
    /// <summary>Why the GPU tests cannot run on this machine, or null when they can.</summary>
    internal static string? MissingGpu()
    {
        if (!File.Exists("/dev/nvidiactl"))
        {
            return "no NVIDIA GPU on this machine (/dev/nvidiactl is absent)";
        }

        return File.Exists(Path.Combine(CliProcess.RepositoryRoot, "runtimes", "llama", "cuda", ".installed"))
            ? null
            : "the CUDA runtime is not installed (scripts/install-runtime.sh --cuda)";
    }

    private static TempHome CudaHome() => new(new
    {
        Inference = new { Backend = "cuda", RuntimeRoot = Path.Combine(CliProcess.RepositoryRoot, "runtimes", "llama"), Threads = 2 },
    });

    [SkippableFact]
    public async Task The_cuda_self_test_finds_a_device_and_offloads_every_layer()
    {
        Skip.If(MissingGpu() is not null, MissingGpu());
        using var home = CudaHome();
        var model = home.PathOf("tiny.gguf");
        await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", model, "--layers", "2", "--embd", "64"], home.Folder);

        var result = await CliProcess.RunAsync(["runtime", "info", "--model", model], home.Folder);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("backend     cuda", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("gpu offload available", result.StdOut, StringComparison.Ordinal);
        Assert.Matches(@"device +CUDA\d", result.StdOut);
        // GpuLayers -1 (the default) = every block plus the output layer
        Assert.Contains("offloaded   3/3 (tiny.gguf, 2 layers)", result.StdOut, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Bench_on_cuda_measures_the_engine_beside_llama_batched_bench_on_the_same_libraries()
    {
        Skip.If(MissingGpu() is not null, MissingGpu());
        using (var build = Process.Start(new ProcessStartInfo("bash", [Path.Combine(CliProcess.RepositoryRoot, "scripts", "build-batched-bench.sh"), "cuda"]))!)
        {
            await build.WaitForExitAsync();
            Assert.Equal(0, build.ExitCode);
        }

        using var home = CudaHome();
        var model = home.PathOf("tiny.gguf");
        await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", model, "--layers", "2", "--embd", "64"], home.Folder);

        var result = await CliProcess.RunAsync(
            ["bench", "--model", model, "--parallel", "1,16", "--prompt-tokens", "32", "--gen-tokens", "8", "--mixed-requests", "16", "--repetitions", "1", "--json"], home.Folder);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal("cuda", json.RootElement.GetProperty("backend").GetString());
        Assert.True(json.RootElement.GetProperty("reference_same_libraries").GetBoolean());
        var rows = json.RootElement.GetProperty("parallel").EnumerateArray().ToArray();
        Assert.Equal([1, 16], rows.Select(r => r.GetProperty("Parallel").GetInt32()));
        Assert.All(rows, r => Assert.True(r.GetProperty("s_tg").GetDouble() > 0 && r.GetProperty("reference").GetProperty("s_tg").GetDouble() > 0, r.ToString()));
        Assert.Equal(16, json.RootElement.GetProperty("mixed").GetProperty("Requests").GetInt32());
    }
}
