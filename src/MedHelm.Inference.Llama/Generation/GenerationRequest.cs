namespace MedHelm.Inference.Llama.Generation;

/// <summary>One sequence to generate: an already tokenized prompt and its limits.</summary>
public sealed record GenerationRequest(IReadOnlyList<int> PromptTokens, int MaxTokens)
{
    public SamplingSettings Sampling { get; init; } = SamplingSettings.Greedy;

    /// <summary>Generation stops before the first occurrence of any of these in the answer; the stop text is not returned.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>Keep generating past end-of-generation tokens until MaxTokens (throughput benchmarks only).</summary>
    public bool IgnoreEndOfGeneration { get; init; }

    /// <summary>Receives answer text as it becomes final (never a half UTF-8 character, never part of a stop sequence).</summary>
    public Action<string>? OnText { get; init; }

    /// <summary>
    /// The prompt ends inside an open reasoning block (the chat template wrote the open tag, as DeepSeek-R1's does
    /// after its assistant tag): with reasoning enabled, the output starts as reasoning, as with
    /// <see cref="ReasoningSettings.StartsInReasoning"/>.
    /// </summary>
    public bool PromptOpensReasoning { get; init; }
}

public enum GenerationFinishReason
{
    /// <summary>The model produced an end-of-generation token.</summary>
    EndOfGeneration,

    /// <summary>The answer reached MaxTokens.</summary>
    MaxTokens,

    /// <summary>A stop sequence appeared.</summary>
    StopSequence,

    /// <summary>The sequence's context was full.</summary>
    ContextFull,

    /// <summary>The thinking budget ran out under a grammar, which cannot take a forced close tag: no answer.</summary>
    ThinkingBudget,
}

/// <summary>The output of one sequence and its costs.</summary>
public sealed record GenerationResult(
    string Text,
    IReadOnlyList<int> Tokens,
    GenerationFinishReason FinishReason,
    int PromptTokens,
    TimeSpan TimeToFirstToken,
    TimeSpan Total)
{
    /// <summary>The reasoning block of a reasoning model (empty otherwise).</summary>
    public string Reasoning { get; init; } = "";

    /// <summary>Output tokens spent on reasoning (included in <see cref="Tokens"/>).</summary>
    public int ReasoningTokens { get; init; }

    /// <summary>True when the thinking budget ran out and the close tag was forced.</summary>
    public bool ThinkingBudgetExhausted { get; init; }

    /// <summary>Prompt tokens whose KV was reused from an earlier or concurrent request with the same prefix.</summary>
    public int ReusedPromptTokens { get; init; }

    /// <summary>Waiting for a free sequence slot.</summary>
    public TimeSpan QueueWait { get; init; }

    /// <summary>From admission to the first sampled token.</summary>
    public TimeSpan Prefill { get; init; }

    /// <summary>From the first sampled token to the end.</summary>
    public TimeSpan Decode { get; init; }

    /// <summary>The sequence slot that served the request.</summary>
    public int Slot { get; init; }
}
