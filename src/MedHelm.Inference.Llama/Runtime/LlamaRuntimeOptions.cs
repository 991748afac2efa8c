using System.ComponentModel.DataAnnotations;
using MedHelm.Inference.Llama.Generation;

namespace MedHelm.Inference.Llama.Runtime;

/// <summary>The <c>Inference</c> section of appsettings.json.</summary>
public sealed class LlamaRuntimeOptions
{
    public const string SectionName = "Inference";

    /// <summary>
    /// Which backend folder under <see cref="RuntimeRoot"/> to load: <c>cpu</c> and <c>cuda</c> (prebuilt, from
    /// scripts/install-runtime.sh), <c>cuda12</c> (built for CUDA 12 by gpu-kernels/cuda12/build.sh) or <c>native</c> (built
    /// from the pinned source by scripts/build-llama-native.sh).
    /// </summary>
    [Required]
    [RegularExpression("^(cpu|cuda|cuda12|native)$", ErrorMessage = "Inference:Backend must be 'cpu', 'cuda', 'cuda12' or 'native'.")]
    public string Backend { get; set; } = "cpu";

    /// <summary>Folder holding one sub-folder per backend (relative paths are relative to the MedHelm home).</summary>
    [Required]
    public string RuntimeRoot { get; set; } = "runtimes/llama";

    /// <summary>CPU threads for decoding; 0 = one per core.</summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    /// <summary>Forward llama.cpp's own informational log lines (they never contain prompt text) at Debug level.</summary>
    public bool VerboseNativeLog { get; set; }

    /// <summary>The folder <see cref="Backend"/> names, whatever the Determinism mode.</summary>
    public string BackendFolder(string home) => Path.Combine(Root(home), Backend);

    /// <summary>
    /// The runtime folder that serves a model of <paramref name="mode"/> on the CPU backend: for the modes that promise
    /// repeatable outputs (<see cref="DeterminismProfile.NeedsInvariantKernels"/>), <c>cpu-invariant</c> (the CPU
    /// backend built for this machine with tinyBLAS at every size and no repacking, scripts/install-runtime.sh
    /// --invariant or --native) when it is installed; for <see cref="DeterminismMode.Fastest"/>, <c>cpu-native</c>
    /// (llama.cpp's standard kernels built for this machine, scripts/install-runtime.sh --native) when it is installed;
    /// otherwise the <see cref="Backend"/> folder (the prebuilt libraries).
    /// </summary>
    public RuntimeFolder FolderFor(string home, DeterminismMode mode)
    {
        var standard = BackendFolder(home);
        var invariant = Path.Combine(Root(home), RuntimeFolder.InvariantCpu);
        var native = Path.Combine(Root(home), RuntimeFolder.NativeCpu);
        return Backend switch
        {
            "cpu" when DeterminismProfile.NeedsInvariantKernels(mode) && RuntimeFolder.IsInstalled(invariant) =>
                new RuntimeFolder(invariant, Backend, CpuKernels.BatchInvariant),
            "cpu" when !DeterminismProfile.NeedsInvariantKernels(mode) && RuntimeFolder.IsInstalled(native) =>
                new RuntimeFolder(native, Backend, CpuKernels.Standard),
            "cpu" => new RuntimeFolder(standard, Backend, CpuKernels.Standard),
            "native" => new RuntimeFolder(standard, Backend, RuntimeFolder.BuiltWithoutLlamafile(standard) ? CpuKernels.BatchInvariant : CpuKernels.Standard),
            _ => new RuntimeFolder(standard, Backend, CpuKernels.Standard),
        };
    }

    private string Root(string home) => Path.GetFullPath(Path.IsPathRooted(RuntimeRoot) ? RuntimeRoot : Path.Combine(home, RuntimeRoot));

    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;
}
