namespace MedHelm.Cli.Tests.Support;

/// <summary>
/// The CPU library that makes Determinism BatchInvariant byte-identical: llama.cpp built without llamafile's tinyBLAS
/// (scripts/build-llama-native.sh --invariant writes <c>build-flags.txt</c> beside it). With the prebuilt libraries
/// llama.cpp switches between tinyBLAS and its own dot product by the number of tokens in a product, and two runs at
/// Sequences 16 differed on 4 of 64 outputs of the 12-layer test model (docs/engine.md).
/// </summary>
internal static class InvariantRuntime
{
    public static string Folder => Path.Combine(CliProcess.RepositoryRoot, "runtimes", "llama", "native");

    /// <summary>Null when the invariant build is installed, else why a byte-identity test cannot hold.</summary>
    public static string? Missing()
    {
        var flags = Path.Combine(Folder, "build-flags.txt");
        return File.Exists(flags) && File.ReadAllText(flags).Contains("GGML_LLAMAFILE=OFF", StringComparison.Ordinal)
            ? null
            : "needs the CPU library built without llamafile (scripts/build-llama-native.sh --invariant): with the prebuilt libraries two runs at Sequences 16 differed on 4 of 64 outputs";
    }

    /// <summary>The Inference section that loads the invariant build (one thread, as every CLI test).</summary>
    public static object Inference => new { Backend = "native", RuntimeRoot = Path.Combine(CliProcess.RepositoryRoot, "runtimes", "llama"), Threads = 1 };
}
