using MedHelm.Inference.Llama.Generation;

namespace MedHelm.Inference.Llama.Chat;

/// <summary>How a local chat model serves requests.</summary>
public sealed record LlamaChatClientOptions
{
    /// <summary>Name reported as ModelId in responses (defaults to the file name).</summary>
    public string? ModelName { get; init; }

    /// <summary>Slots, context, batch sizes, prefix reuse and reasoning handling of the model's engine.</summary>
    public LlamaEngineOptions Engine { get; init; } = new();

    /// <summary>
    /// The time the chat template sees (strftime_now, date_string) when a request does not carry
    /// <c>ChatRequestProperties.ChatTemplateTime</c>; null means the moment the client was created (UTC).
    /// </summary>
    public DateTimeOffset? ChatTemplateTime { get; init; }

    /// <summary>Output tokens when the request does not say.</summary>
    public int DefaultMaxTokens { get; init; } = 256;
}
