namespace MedHelm.Inference.Llama.Runtime;

/// <summary>Which matrix-product kernels a CPU runtime folder computes with.</summary>
public enum CpuKernels
{
    /// <summary>llama.cpp's defaults: llamafile's tinyBLAS for products of two or more tokens, ggml's dot product for one; weights may be repacked.</summary>
    Standard,

    /// <summary>Built without llamafile and weight repacking: ggml's own dot product whatever the number of tokens in a batch.</summary>
    BatchInvariant,
}

/// <summary>A llama.cpp runtime folder chosen for a model, and the CPU kernels it computes with.</summary>
/// <param name="Path">The folder (full path).</param>
/// <param name="Backend">The configured Inference:Backend.</param>
/// <param name="Kernels">The CPU kernels of the folder.</param>
public sealed record RuntimeFolder(string Path, string Backend, CpuKernels Kernels)
{
    /// <summary>The folder under the runtime root that scripts/install-runtime.sh --invariant fills.</summary>
    public const string InvariantCpu = "cpu-invariant";

    /// <summary>The folder under the runtime root that scripts/install-runtime.sh --native fills with llama.cpp's standard CPU kernels built for this machine.</summary>
    public const string NativeCpu = "cpu-native";

    /// <summary>Installed completely: the build script writes the stamp last.</summary>
    public static bool IsInstalled(string folder) =>
        File.Exists(System.IO.Path.Combine(folder, ".installed")) && File.Exists(System.IO.Path.Combine(folder, "libggml-cpu.so"));

    /// <summary>A folder built by scripts/build-llama-native.sh --invariant (its build-flags.txt says GGML_LLAMAFILE=OFF).</summary>
    public static bool BuiltWithoutLlamafile(string folder) => BuildFlagsSay(folder, "GGML_LLAMAFILE=OFF");

    /// <summary>A folder whose CPU backend was built without weight repacking (its build-flags.txt says GGML_CPU_REPACK=OFF: scripts/build-cpu-backend.sh --invariant).</summary>
    public static bool BuiltWithoutRepack(string folder) => BuildFlagsSay(folder, "GGML_CPU_REPACK=OFF");

    /// <summary>
    /// A folder whose CPU backend computes flash attention with one kernel for every number of query rows
    /// (scripts/lib/patch-ggml.py, applied by scripts/build-cpu-backend.sh --invariant): batch-invariant, so the
    /// modes that promise repeatable outputs can take it.
    /// </summary>
    public static bool HasInvariantFlashAttention(string folder) => BuildFlagsSay(folder, InvariantFlashAttentionFlag);

    /// <summary>The line of build-flags.txt that says so.</summary>
    public const string InvariantFlashAttentionFlag = "flash attention: the tiled kernel for every number of rows";

    /// <summary>Whether the folder's build-flags.txt (written by the build scripts) holds <paramref name="flag"/>.</summary>
    private static bool BuildFlagsSay(string folder, string flag)
    {
        var flags = System.IO.Path.Combine(folder, "build-flags.txt");
        return File.Exists(flags) && File.ReadAllText(flags).Contains(flag, StringComparison.Ordinal);
    }

    /// <summary>
    /// What a run records about the kernels of a model of this Determinism, e.g. "batch-invariant CPU kernels
    /// (cpu-invariant/libggml-cpu.so)"; for a mode that promises repeatable outputs on the standard kernels it says that
    /// outputs are not guaranteed byte-identical and how to install the invariant library.
    /// </summary>
    /// <param name="invariantKernelsNeeded">Whether the model's Determinism needs the batch-invariant kernels (BatchInvariant, Repeatable).</param>
    /// <param name="library">The CPU backend library actually loaded, when known.</param>
    /// <param name="amx">Whether that library computes with AMX tiles (<see cref="LlamaRuntimeInfo.CpuAmx"/>); said where the mode uses them.</param>
    public string Describe(bool invariantKernelsNeeded, string? library, bool amx = false)
    {
        var where = library is null ? System.IO.Path.GetFileName(Path) + "/" : $"{System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(library))}/{System.IO.Path.GetFileName(library)}";
        // AMX is an extra buffer type: on in Fastest, and in the invariant modes on the invariant build (LlamaModel.Load)
        var tiles = amx && library is not null && (Kernels == CpuKernels.BatchInvariant || !invariantKernelsNeeded) ? " with AMX tiles" : "";
        return Kernels == CpuKernels.BatchInvariant
            ? $"batch-invariant CPU kernels ({where}){tiles}"
            : invariantKernelsNeeded
                ? $"standard CPU kernels ({where}): outputs not guaranteed byte-identical across runs or sequence counts; scripts/install-runtime.sh --native installs the batch-invariant CPU backend"
                : $"standard CPU kernels ({where}){tiles}";
    }
}
