using System.ComponentModel.DataAnnotations;

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

    public string BackendFolder(string home) =>
        Path.GetFullPath(Path.Combine(Path.IsPathRooted(RuntimeRoot) ? RuntimeRoot : Path.Combine(home, RuntimeRoot), Backend));

    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;
}
