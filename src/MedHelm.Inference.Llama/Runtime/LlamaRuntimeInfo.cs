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
}

public sealed record LlamaDeviceInfo(string Name, string Description, string Type, ulong FreeBytes, ulong TotalBytes);
