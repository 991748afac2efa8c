namespace MedHelm.Inference.Llama.Runtime;

/// <summary>What the resolver loaded: stored with every run and printed by the start-up self-test.</summary>
public sealed record LlamaRuntimeInfo(
    string Folder,
    string Backend,
    string LlamaCppVersion,
    IReadOnlyList<string> Libraries,
    IReadOnlyList<string> Backends,
    IReadOnlyList<LlamaDeviceInfo> Devices,
    bool SupportsGpuOffload,
    string SystemInfo)
{
    /// <summary>The ggml CPU backend library loaded (e.g. runtimes/llama/cpu/libggml-cpu-zen4.so), or null where unknown.</summary>
    public string? CpuLibrary { get; init; }

    /// <summary>
    /// The loaded CPU backend was built without weight repacking (its build-flags.txt says GGML_CPU_REPACK=OFF: the
    /// batch-invariant builds): its only extra buffer type is AMX's, where compiled in (<see cref="CpuAmx"/>).
    /// </summary>
    public bool RepackCompiledOut { get; init; }

    /// <summary>The loaded CPU backend's flash attention is batch-invariant (<see cref="RuntimeFolder.HasInvariantFlashAttention"/>).</summary>
    public bool InvariantFlashAttention { get; init; }

    /// <summary>The CPU backend computes quantized products with AMX tiles where a model's weights take its extra buffer type (llama.cpp's system info says AMX_INT8 = 1).</summary>
    public bool CpuAmx => SystemInfo.Contains("AMX_INT8 = 1", StringComparison.Ordinal);
}

public sealed record LlamaDeviceInfo(string Name, string Description, string Type, ulong FreeBytes, ulong TotalBytes);
