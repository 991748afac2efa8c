using MedHelm.Core.Inference;

namespace MedHelm.Inference.Llama.Generation;

/// <summary>A prompt plus its output limit does not fit one sequence's context.</summary>
public sealed class PromptTooLongException(int promptTokens, int maxTokens, int contextPerSequence)
    : RequestRejectedException(
        $"The prompt has {promptTokens} tokens; with up to {maxTokens} output tokens it needs {promptTokens + maxTokens}, " +
        $"more than the {contextPerSequence} tokens of context per sequence. Raise ContextPerSequence for this model or shorten the input.")
{
    public int PromptTokens { get; } = promptTokens;
    public int MaxTokens { get; } = maxTokens;
    public int ContextPerSequence { get; } = contextPerSequence;
}
