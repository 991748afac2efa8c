using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

public sealed class RuntimeCommandTests
{
    [Fact]
    public async Task The_self_test_reports_backend_devices_and_offloaded_layers()
    {
        using var home = new TempHome();
        var model = home.PathOf("tiny.gguf");
        await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", model, "--layers", "1", "--embd", "32"], home.Folder);
        var result = await CliProcess.RunAsync(["runtime", "info", "--model", model], home.Folder);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("backend     cpu", result.StdOut, StringComparison.Ordinal);
        Assert.Matches(@"device +CPU \[Cpu\]", result.StdOut);
        Assert.Matches(@"cpu library /\S+/libggml-cpu[-a-z0-9]*\.so\n", result.StdOut); // the variant ggml chose, or the invariant backend
        Assert.Contains("offloaded   none (no GPU backend loaded) (tiny.gguf, 1 layers)", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("v0.5.0", result.StdOut, StringComparison.Ordinal);
        if (!File.Exists("/dev/nvidiactl"))
        {
            Assert.Contains("driver      no NVIDIA driver (libcuda.so.1 does not load)", result.StdOut, StringComparison.Ordinal);
        }
        else
        {
            Assert.Matches(@"driver +NVIDIA, CUDA \d+\.\d+ \(libcuda\.so\.1\)", result.StdOut);
        }
    }

    [Fact]
    public async Task Cuda_requested_on_a_machine_without_a_cuda_device_fails_at_start_with_one_clear_line()
    {
        // a "cuda" folder holding only the CPU libraries: exactly what a machine without a usable GPU presents
        using var home = new TempHome(new { Inference = new { Backend = "cuda", RuntimeRoot = "rt" } });
        var cuda = Directory.CreateDirectory(home.PathOf("rt", "cuda")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(CliProcess.RepositoryRoot, "runtimes", "llama", "cpu"), "*.so"))
        {
            File.CreateSymbolicLink(Path.Combine(cuda, Path.GetFileName(file)), file);
        }

        var result = await CliProcess.RunAsync(["runtime", "info"], home.Folder);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("CUDA was requested", line, StringComparison.Ordinal);
        Assert.Contains("no CUDA device", line, StringComparison.Ordinal);
    }
}
