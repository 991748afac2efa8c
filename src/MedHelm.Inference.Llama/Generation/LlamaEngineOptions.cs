namespace MedHelm.Inference.Llama.Generation;

/// <summary>Settings of one <see cref="LlamaEngine"/> (one context over one model).</summary>
public sealed record LlamaEngineOptions
{
    public LlamaContextSettings Context { get; init; } = new();

    /// <summary>Reuse the KV of a shared prompt prefix (copy it from another slot instead of recomputing).</summary>
    public bool PrefixReuse { get; init; } = true;

    /// <summary>Shortest shared prefix worth copying from another slot.</summary>
    public int MinPrefixTokens { get; init; } = 32;

    /// <summary>The determinism the context's settings were chosen for (recorded; the engine admits in submission order in every mode).</summary>
    public DeterminismMode Determinism { get; init; } = DeterminismMode.BatchInvariant;

    public ReasoningSettings Reasoning { get; init; } = ReasoningSettings.Disabled;
}
