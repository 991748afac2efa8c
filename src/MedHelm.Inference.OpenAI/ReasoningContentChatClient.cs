using System.ClientModel.Primitives;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using ChatCompletion = OpenAI.Chat.ChatCompletion;
using StreamingChatCompletionUpdate = OpenAI.Chat.StreamingChatCompletionUpdate;

namespace MedHelm.Inference.OpenAI;

/// <summary>
/// Restores the <c>reasoning_content</c> of a chat completion (DeepSeek-R1 style, as vLLM and llama-server send it), which
/// the OpenAI SDK keeps only as an unknown property of its raw model: read back from the SDK's raw representation and
/// put first in the message as <see cref="TextReasoningContent"/>, in whole answers and in streamed deltas alike.
/// </summary>
public sealed class ReasoningContentChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        if (response.RawRepresentation is ChatCompletion completion
            && Read(ModelReaderWriter.Write(completion), "message") is { } reasoning
            && response.Messages.LastOrDefault() is { } message
            && !message.Contents.OfType<TextReasoningContent>().Any())
        {
            message.Contents.Insert(0, new TextReasoningContent(reasoning));
        }

        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            if (update.RawRepresentation is StreamingChatCompletionUpdate raw
                && Read(ModelReaderWriter.Write(raw), "delta") is { } reasoning
                && !update.Contents.OfType<TextReasoningContent>().Any())
            {
                update.Contents.Insert(0, new TextReasoningContent(reasoning));
            }

            yield return update;
        }
    }

    /// <summary><c>choices[0].{part}.reasoning_content</c> of a raw completion or chunk, when it is a non-empty string.</summary>
    private static string? Read(BinaryData json, string part) =>
        JsonNode.Parse(json.ToMemory().Span) is { } root
        && root["choices"] is JsonArray { Count: > 0 } choices
        && choices[0]?[part]?["reasoning_content"] is JsonValue value
        && value.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : null;
}
