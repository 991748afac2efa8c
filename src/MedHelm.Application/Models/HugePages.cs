namespace MedHelm.Application.Models;

/// <summary>
/// Transparent huge pages for llama.cpp's host buffers. The KV cache is allocated with malloc and cleared at once;
/// on 4 KiB pages clearing it costs a page fault per page (measured: a 1-instance run of a 12-layer 768 model at the
/// default 8 sequences x 8192 tokens took 8.5-10.4 s, with huge pages 5.0-7.1 s). glibc's malloc asks the kernel for
/// huge pages (madvise) when the process starts with the tunable <c>glibc.malloc.hugetlb=1</c>; the launchers set it
/// (scripts/medhelm, the installed service's medhelm.env) and the engine worker processes get it here.
/// </summary>
public static class HugePages
{
    /// <summary>The variable glibc reads its tunables from at process start.</summary>
    public const string Variable = "GLIBC_TUNABLES";

    /// <summary>The tunable that makes malloc madvise its mmap'ed chunks for transparent huge pages (glibc 2.35 and later).</summary>
    public const string Tunable = "glibc.malloc.hugetlb=1";

    /// <summary>
    /// <paramref name="current"/> (the value of <see cref="Variable"/>, or null) with <see cref="Tunable"/> added,
    /// unless it already sets <c>glibc.malloc.hugetlb</c> (an administrator's explicit choice, e.g. 0, is kept).
    /// </summary>
    public static string Tunables(string? current)
    {
        if (string.IsNullOrEmpty(current))
        {
            return Tunable;
        }

        return current.Split(':').Any(t => t.StartsWith("glibc.malloc.hugetlb=", StringComparison.Ordinal)) ? current : current + ":" + Tunable;
    }

    /// <summary>
    /// The environment to start a child process with: <paramref name="environment"/> plus <see cref="Variable"/> from
    /// <see cref="Tunables"/> over the value the child would otherwise inherit.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ForChild(IReadOnlyDictionary<string, string>? environment)
    {
        var result = environment is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(environment, StringComparer.Ordinal);
        var inherited = result.TryGetValue(Variable, out var given) ? given : Environment.GetEnvironmentVariable(Variable);
        result[Variable] = Tunables(inherited);
        return result;
    }
}
