namespace MedHelm.Inference.Llama.Generation;

/// <summary>One sequence to generate: an already tokenized prompt and its limits.</summary>
public sealed record GenerationRequest(IReadOnlyList<int> PromptTokens, int MaxTokens)
{
    public SamplingSettings Sampling { get; init; } = SamplingSettings.Greedy;

    /// <summary>Generation stops before the first occurrence of any of these; the stop text is not returned.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>Receives text as it becomes final (never a half UTF-8 character, never part of a stop sequence).</summary>
    public Action<string>? OnText { get; init; }
}

public enum GenerationFinishReason
{
    /// <summary>The model produced an end-of-generation token.</summary>
    EndOfGeneration,

    /// <summary>The output reached MaxTokens.</summary>
    MaxTokens,

    /// <summary>A stop sequence appeared.</summary>
    StopSequence,
}

/// <summary>The output of one sequence and its costs.</summary>
public sealed record GenerationResult(
    string Text,
    IReadOnlyList<int> Tokens,
    GenerationFinishReason FinishReason,
    int PromptTokens,
    TimeSpan TimeToFirstToken,
    TimeSpan Total);
