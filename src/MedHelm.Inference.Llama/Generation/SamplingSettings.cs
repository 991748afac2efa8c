namespace MedHelm.Inference.Llama.Generation;

/// <summary>Token selection for one sequence. Temperature 0 (the default) is greedy and deterministic.</summary>
public sealed record SamplingSettings
{
    public float Temperature { get; init; }

    public int TopK { get; init; }

    public float TopP { get; init; } = 1f;

    public uint Seed { get; init; } = 42;

    /// <summary>Optional GBNF grammar the output must follow (root rule "root").</summary>
    public string? Grammar { get; init; }

    public static SamplingSettings Greedy { get; } = new();
}
