namespace MedHelm.Inference.Llama.Generation;

/// <summary>
/// How a reasoning model (DeepSeek-R1 distills: <c>&lt;think&gt;…&lt;/think&gt;answer</c>) is handled: the reasoning
/// is separated from the answer, counted, and capped by a thinking budget; stop sequences and the request's token
/// limit apply to the answer only.
/// </summary>
public sealed record ReasoningSettings
{
    public bool Enabled { get; init; }

    /// <summary>Most reasoning tokens; when reached, the close tag is forced and the answer starts.</summary>
    public int ThinkingBudget { get; init; } = 2048;

    public string OpenTag { get; init; } = "<think>";

    public string CloseTag { get; init; } = "</think>";

    /// <summary>True when the chat template already opened the reasoning block in the prompt.</summary>
    public bool StartsInReasoning { get; init; }

    public static ReasoningSettings Disabled { get; } = new();
}
