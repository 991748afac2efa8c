using Microsoft.Extensions.AI;
using OpenAIChat = OpenAI.Chat;

namespace MedHelm.Inference.OpenAI;

/// <summary>
/// Sends a JSON-schema response format with <c>"strict": true</c> (the SDK adapter leaves it unset, which lets OpenAI's
/// own endpoints treat the schema as a hint): a judge's verdict schema is a contract, not a suggestion.
/// </summary>
public sealed class StrictJsonSchemaChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(messages, Strict(options), cancellationToken);

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, Strict(options), cancellationToken);

    private static ChatOptions? Strict(ChatOptions? options)
    {
        if (options is not { ResponseFormat: ChatResponseFormatJson { Schema: { } schema } json, RawRepresentationFactory: null })
        {
            return options;
        }

        var strict = options.Clone();
        var format = OpenAIChat.ChatResponseFormat.CreateJsonSchemaFormat(
            json.SchemaName ?? "response", BinaryData.FromString(schema.GetRawText()), json.SchemaDescription, jsonSchemaIsStrict: true);
        strict.RawRepresentationFactory = _ => new OpenAIChat.ChatCompletionOptions { ResponseFormat = format };
        return strict;
    }
}
