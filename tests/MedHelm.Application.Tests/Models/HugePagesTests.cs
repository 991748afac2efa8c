using System.Diagnostics;
using MedHelm.Application.Models;

namespace MedHelm.Application.Tests.Models;

public sealed class HugePagesTests
{
    [Theory]
    [InlineData(null, "glibc.malloc.hugetlb=1")]
    [InlineData("", "glibc.malloc.hugetlb=1")]
    [InlineData("glibc.malloc.arena_max=2", "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1")]
    [InlineData("glibc.malloc.hugetlb=0", "glibc.malloc.hugetlb=0")] // an administrator's explicit choice is kept
    [InlineData("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2", "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2")]
    public void The_tunable_is_added_unless_the_environment_already_chooses(string? current, string expected) =>
        Assert.Equal(expected, HugePages.Tunables(current));

    [Fact]
    public void A_child_gets_the_tunable_beside_its_own_variables()
    {
        var environment = HugePages.ForChild(new Dictionary<string, string> { ["MEDHELM_X"] = "1", [HugePages.Variable] = "glibc.malloc.arena_max=2" });
        Assert.Equal("1", environment["MEDHELM_X"]);
        Assert.Equal("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1", environment[HugePages.Variable]);
        Assert.Contains("glibc.malloc.hugetlb=", HugePages.ForChild(null)[HugePages.Variable], StringComparison.Ordinal);
    }

    /// <summary>
    /// The tunable does what the launchers rely on, on this kernel and glibc: a child that mallocs and clears 64 MiB
    /// (as llama.cpp clears its KV cache) holds it on transparent huge pages with the tunable, and not without it.
    /// Needs THP in "madvise" or "always" mode (the kernel default); "never" is stated as the reason it cannot hold.
    /// </summary>
    [Fact]
    public void A_process_started_with_the_tunable_gets_its_cleared_malloc_memory_on_huge_pages()
    {
        var mode = File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled");
        Assert.False(mode.Contains("[never]", StringComparison.Ordinal), $"transparent huge pages are disabled on this machine ({mode.Trim()}): nothing to test");

        var with = AnonHugePagesKiB(HugePages.ForChild(null)[HugePages.Variable]);
        Assert.True(with >= 32 * 1024, $"with {HugePages.Tunable}: {with} KiB of the 64 MiB on huge pages");
        if (mode.Contains("[madvise]", StringComparison.Ordinal))
        {
            Assert.Equal(0, AnonHugePagesKiB("glibc.malloc.hugetlb=0")); // the difference is the tunable's
        }
    }

    /// <summary>Starts python3 to malloc and clear 64 MiB through libc, and returns its AnonHugePages.</summary>
    private static long AnonHugePagesKiB(string tunables)
    {
        const string script = """
            import ctypes
            libc = ctypes.CDLL("libc.so.6")
            libc.malloc.restype = ctypes.c_void_p
            n = 64 << 20
            p = libc.malloc(ctypes.c_size_t(n))
            ctypes.memset(p, 0, n)
            for line in open("/proc/self/smaps_rollup"):
                if line.startswith("AnonHugePages:"):
                    print(line.split()[1])
            """;
        var start = new ProcessStartInfo("python3", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment[HugePages.Variable] = tunables;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
        return long.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
