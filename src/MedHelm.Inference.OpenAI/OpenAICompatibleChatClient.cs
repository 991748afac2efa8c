using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedHelm.Inference.OpenAI;

/// <summary>
/// An <see cref="IChatClient"/> for a hosted model behind an OpenAI-compatible <c>/chat/completions</c> endpoint.
/// Sends temperature, top-p, seed, max tokens, stop sequences and JSON-schema response formats; reads the answer,
/// the reasoning (<c>reasoning_content</c>, as DeepSeek-style servers send it) and token usage; streams with
/// server-sent events; retries 429 / 5xx / transport failures with bounded exponential back-off.
/// Logs carry the endpoint, status codes and timings, never message text.
/// </summary>
public sealed partial class OpenAICompatibleChatClient : IChatClient
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly OpenAICompatibleOptions _options;
    private readonly ILogger _logger;

    public OpenAICompatibleChatClient(OpenAICompatibleOptions options, HttpClient? http = null, ILogger? logger = null)
    {
        _options = options;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient();
        _http.Timeout = options.Timeout;
        _logger = logger ?? NullLogger.Instance;
        Metadata = new ChatClientMetadata("openai-compatible", options.BaseAddress, options.Model);
    }

    public ChatClientMetadata Metadata { get; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var body = BuildRequest(messages, options, stream: false);
        using var response = await SendAsync(body, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new HostedEndpointException($"{Endpoint} answered with something that is not JSON ({e.Message}).", (int)response.StatusCode, e);
        }

        var choice = FirstChoice(root) ?? throw new HostedEndpointException($"{Endpoint} answered without choices[0].", (int)response.StatusCode);
        var message = choice["message"];
        var contents = new List<AIContent>();
        if (message?["reasoning_content"]?.GetValue<string>() is { Length: > 0 } reasoning)
        {
            contents.Add(new TextReasoningContent(reasoning));
        }

        contents.Add(new TextContent(message?["content"]?.GetValue<string>() ?? ""));
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, contents))
        {
            ModelId = root?["model"]?.GetValue<string>() ?? _options.Model,
            ResponseId = root?["id"]?.GetValue<string>(),
            FinishReason = ToFinishReason(choice["finish_reason"]?.GetValue<string>()),
            Usage = ToUsage(root?["usage"]),
            CreatedAt = DateTimeOffset.UtcNow,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var body = BuildRequest(messages, options, stream: true);
        using var response = await SendAsync(body, cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal))
            {
                continue;
            }

            var data = line[5..].Trim();
            if (data == "[DONE]")
            {
                yield break;
            }

            JsonNode? chunk;
            try
            {
                chunk = JsonNode.Parse(data);
            }
            catch (JsonException e)
            {
                throw new HostedEndpointException($"{Endpoint} streamed an event that is not JSON ({e.Message}).", (int)response.StatusCode, e);
            }

            var update = new ChatResponseUpdate { Role = ChatRole.Assistant, ModelId = chunk?["model"]?.GetValue<string>() ?? _options.Model, ResponseId = chunk?["id"]?.GetValue<string>() };
            var choice = FirstChoice(chunk);
            if (choice?["delta"]?["reasoning_content"]?.GetValue<string>() is { Length: > 0 } reasoning)
            {
                update.Contents.Add(new TextReasoningContent(reasoning));
            }

            if (choice?["delta"]?["content"]?.GetValue<string>() is { Length: > 0 } content)
            {
                update.Contents.Add(new TextContent(content));
            }

            if (choice?["finish_reason"]?.GetValue<string>() is { } finish)
            {
                update.FinishReason = ToFinishReason(finish);
            }

            if (chunk?["usage"] is JsonObject usage)
            {
                update.Contents.Add(new UsageContent(ToUsage(usage)!));
            }

            if (update.Contents.Count > 0 || update.FinishReason is not null)
            {
                yield return update;
            }
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private string Endpoint => $"{_options.BaseAddress} ({_options.Model})";

    private JsonObject BuildRequest(IEnumerable<ChatMessage> messages, ChatOptions? options, bool stream)
    {
        var list = new JsonArray();
        foreach (var m in messages)
        {
            list.Add(new JsonObject { ["role"] = m.Role.Value, ["content"] = m.Text });
        }

        var body = new JsonObject { ["model"] = options?.ModelId ?? _options.Model, ["messages"] = list, ["stream"] = stream };
        if (stream)
        {
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        if (options?.MaxOutputTokens is int max)
        {
            body["max_tokens"] = max;
        }

        if (options?.Temperature is float t)
        {
            body["temperature"] = t;
        }

        if (options?.TopP is float p)
        {
            body["top_p"] = p;
        }

        if (options?.Seed is long seed)
        {
            body["seed"] = seed;
        }

        if (options?.StopSequences is { Count: > 0 } stops)
        {
            body["stop"] = new JsonArray(stops.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
        }

        if (options?.ResponseFormat is ChatResponseFormatJson json)
        {
            body["response_format"] = json.Schema is { } schema
                ? new JsonObject
                {
                    ["type"] = "json_schema",
                    ["json_schema"] = new JsonObject
                    {
                        ["name"] = json.SchemaName ?? "response",
                        ["strict"] = true,
                        ["schema"] = JsonNode.Parse(schema.GetRawText()),
                    },
                }
                : new JsonObject { ["type"] = "json_object" };
        }

        return body;
    }

    private async Task<HttpResponseMessage> SendAsync(JsonObject body, CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var payload = body.ToJsonString();
        var uri = new Uri(_options.BaseAddress.ToString().TrimEnd('/') + "/chat/completions");
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
            if (_options.ApiKey is { Length: > 0 } key)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }

            HttpResponseMessage? response = null;
            Exception? failure = null;
            try
            {
                response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return response;
                }
            }
            catch (HttpRequestException e)
            {
                failure = e;
            }
            catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                failure = e; // the client's timeout
            }

            var status = response is null ? (int?)null : (int)response.StatusCode;
            var retryable = response is null || response.StatusCode == HttpStatusCode.TooManyRequests || status >= 500;
            if (!retryable || attempt >= _options.MaxRetries)
            {
                var detail = response is null ? failure!.Message : $"HTTP {status} {response.ReasonPhrase}";
                response?.Dispose();
                throw new HostedEndpointException($"{Endpoint} failed after {attempt + 1} attempt(s): {detail}.", status, failure);
            }

            var delay = TimeSpan.FromTicks(_options.RetryDelay.Ticks * (1L << Math.Min(attempt, 10)));
            if (response?.Headers.RetryAfter?.Delta is { } retryAfter && retryAfter < TimeSpan.FromMinutes(2))
            {
                delay = retryAfter;
            }

            LogRetry(_logger, _options.BaseAddress.Host, status ?? 0, attempt + 1, delay.TotalMilliseconds);
            response?.Dispose();
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private static JsonNode? FirstChoice(JsonNode? node) => node?["choices"] is JsonArray { Count: > 0 } choices ? choices[0] : null;

    private static ChatFinishReason? ToFinishReason(string? reason) => reason switch
    {
        null => null,
        "stop" => ChatFinishReason.Stop,
        "length" => ChatFinishReason.Length,
        "content_filter" => ChatFinishReason.ContentFilter,
        "tool_calls" => ChatFinishReason.ToolCalls,
        _ => new ChatFinishReason(reason),
    };

    private static UsageDetails? ToUsage(JsonNode? usage)
    {
        if (usage is null)
        {
            return null;
        }

        var details = new UsageDetails
        {
            InputTokenCount = usage["prompt_tokens"]?.GetValue<long>(),
            OutputTokenCount = usage["completion_tokens"]?.GetValue<long>(),
            TotalTokenCount = usage["total_tokens"]?.GetValue<long>(),
        };
        if (usage["completion_tokens_details"]?["reasoning_tokens"]?.GetValue<long>() is long reasoning)
        {
            details.AdditionalCounts = new AdditionalPropertiesDictionary<long> { ["reasoning_tokens"] = reasoning };
        }

        return details;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hosted endpoint {Host} answered {Status}; retry {Attempt} in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, string host, int status, int attempt, double delayMs);
}
