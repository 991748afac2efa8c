using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace MedHelm.Inference.OpenAI;

/// <summary>
/// The chat client of one hosted endpoint: the OpenAI SDK's chat-completions client as an <see cref="IChatClient"/>
/// (Microsoft.Extensions.AI.OpenAI: temperature, top-p, seed, max tokens, stop sequences, JSON-schema response formats,
/// token usage, streaming) over <see cref="HostedHttp"/>, with three delegating pieces: JSON schemas sent as strict (<see cref="StrictJsonSchemaChatClient"/>), the <c>reasoning_content</c> that
/// DeepSeek-style servers (vLLM, llama-server) send and the SDK drops (<see cref="ReasoningContentChatClient"/>), and
/// failures as <see cref="HostedEndpointException"/>s without prompt text (<see cref="HostedEndpointErrorsChatClient"/>).
/// The SDK's own retries are off: retries and timeouts belong to the resilience handler.
/// </summary>
public static class HostedChatClient
{
    /// <summary>Creates the client; disposing it releases its HttpClient, not <paramref name="transport"/>.</summary>
    public static IChatClient Create(OpenAICompatibleOptions options, HttpMessageHandler transport, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var http = HostedHttp.CreateClient(options, transport, logger);
        var sdk = new OpenAIClient(
            new ApiKeyCredential(options.ApiKey is { Length: > 0 } key ? key : "unused"), // servers without keys ignore the header
            new OpenAIClientOptions
            {
                Endpoint = options.BaseAddress,
                Transport = new HttpClientPipelineTransport(http),
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
                NetworkTimeout = Timeout.InfiniteTimeSpan, // the resilience handler's per-attempt timeout applies
                UserAgentApplicationId = "medhelm",
            });
        var endpoint = $"{options.BaseAddress} ({options.Model})";
        return new ChatClientBuilder(sdk.GetChatClient(options.Model).AsIChatClient())
            .Use(inner => new HostedEndpointErrorsChatClient(inner, endpoint, http))
            .Use(inner => new ReasoningContentChatClient(inner))
            .Use(inner => new StrictJsonSchemaChatClient(inner))
            .Build();
    }
}
