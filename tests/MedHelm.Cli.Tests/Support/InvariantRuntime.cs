namespace MedHelm.Cli.Tests.Support;

/// <summary>
/// The CPU library that makes Determinism BatchInvariant byte-identical: ggml's CPU backend built without llamafile's
/// tinyBLAS and weight repacking (scripts/install-runtime.sh --invariant, which scripts/test.sh runs, installs it into
/// runtimes/llama/cpu-invariant; the engine loads it by itself for BatchInvariant models). With the prebuilt libraries
/// llama.cpp switches between tinyBLAS and its own dot product by the number of tokens in a product, and two runs at
/// Sequences 16 differed on 4 of 64 outputs of the 12-layer test model (docs/engine.md).
/// </summary>
internal static class InvariantRuntime
{
    public static string Folder => Path.Combine(CliProcess.RepositoryRoot, "runtimes", "llama", "cpu-invariant");

    /// <summary>Null when the invariant backend is installed, else why a byte-identity test cannot hold.</summary>
    public static string? Missing() =>
        File.Exists(Path.Combine(Folder, ".installed")) && File.Exists(Path.Combine(Folder, "libggml-cpu.so"))
            ? null
            : "needs the batch-invariant CPU backend (scripts/install-runtime.sh --invariant): with the prebuilt libraries two runs at Sequences 16 differed on 4 of 64 outputs";

    /// <summary>The Inference section of these tests: the default CPU backend (one thread, as every CLI test), from the repository's runtimes.</summary>
    public static object Inference => new { RuntimeRoot = Path.Combine(CliProcess.RepositoryRoot, "runtimes", "llama"), Threads = 1 };
}
