using System.Text.Json;
using MedHelm.Application.Serving;
using Microsoft.Extensions.AI;

namespace MedHelm.Service.OpenAi;

/// <summary>Reads the JSON bodies of the <c>/v1</c> endpoints, naming the field of every error (and never quoting its value).</summary>
internal static class OpenAiRequestReader
{
    /// <summary>Largest body read (a long prompt fits many times over).</summary>
    public const int MaxBodyBytes = 8 * 1024 * 1024;

    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "developer", "user", "assistant" };

    /// <summary>The request body as JSON (an object), or a 400/413/415.</summary>
    public static async Task<JsonDocument> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            throw new OpenAiException(StatusCodes.Status415UnsupportedMediaType, "The body must be JSON (Content-Type: application/json).", null, "unsupported_media_type");
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            throw TooLarge();
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw TooLarge();
            }

            buffer.Write(chunk, 0, read);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            throw Invalid(null, "The body is not valid JSON (or not UTF-8, or nested deeper than 64 levels).");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw Invalid(null, "The body must be a JSON object.");
        }

        return document;
    }

    /// <summary>A chat completion request and whether it streams (and reports usage in the stream).</summary>
    public static (ChatCompletionRequest Request, bool Stream, bool StreamUsage) Chat(JsonElement body)
    {
        var model = RequiredString(body, "model");
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("messages", "messages: an array of {role, content} objects.");
        }

        var list = new List<ChatMessage>();
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            list.Add(Message(message, $"messages[{index++}]"));
        }

        if (Optional(body, "n", JsonValueKind.Number) is { } n && (!n.TryGetInt32(out var count) || count != 1))
        {
            throw Invalid("n", "n: only 1 choice per request is served.");
        }

        foreach (var unsupported in new[] { "tools", "functions", "logprobs", "top_logprobs", "logit_bias" })
        {
            if (body.TryGetProperty(unsupported, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.False))
            {
                throw Invalid(unsupported, $"{unsupported}: not supported by this server.");
            }
        }

        var maxTokens = Integer(body, "max_completion_tokens") ?? Integer(body, "max_tokens");
        var (format, schema) = ResponseFormat(body);
        var stream = Optional(body, "stream", JsonValueKind.True)?.GetBoolean() ?? false;
        var usage = body.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object
            && Optional(options, "include_usage", JsonValueKind.True)?.GetBoolean() == true;
        var request = new ChatCompletionRequest(model, list)
        {
            MaxTokens = maxTokens,
            Temperature = Number(body, "temperature"),
            TopP = Number(body, "top_p"),
            Seed = Optional(body, "seed", JsonValueKind.Number) is { } seed ? seed.TryGetInt64(out var s) ? s : throw Invalid("seed", "seed: an integer.") : null,
            Stop = Stop(body),
            Format = format,
            Schema = schema,
            IgnoreEndOfGeneration = Optional(body, "ignore_eos", JsonValueKind.True)?.GetBoolean() ?? false,
        };
        return (request, stream, usage);
    }

    /// <summary>An embeddings request: the model, the texts, and whether vectors go back as base64 (OpenAI SDKs ask for it).</summary>
    public static (string Model, IReadOnlyList<string> Inputs, bool Base64) Embeddings(JsonElement body)
    {
        var model = RequiredString(body, "model");
        var base64 = Optional(body, "encoding_format", JsonValueKind.String)?.GetString() switch
        {
            null or "float" => false,
            "base64" => true,
            _ => throw Invalid("encoding_format", "encoding_format: float or base64."),
        };

        if (body.TryGetProperty("dimensions", out var dimensions) && dimensions.ValueKind != JsonValueKind.Null)
        {
            throw Invalid("dimensions", "dimensions: the model's own dimension only (leave it out).");
        }

        if (!body.TryGetProperty("input", out var input))
        {
            throw Invalid("input", "input: a text or an array of texts.");
        }

        return input.ValueKind switch
        {
            JsonValueKind.String => (model, [input.GetString()!], base64),
            JsonValueKind.Array when input.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
                (model, input.EnumerateArray().Select(e => e.GetString()!).ToArray(), base64),
            _ => throw Invalid("input", "input: a text or an array of texts (token arrays are not accepted)."),
        };
    }

    private static ChatMessage Message(JsonElement message, string at)
    {
        if (message.ValueKind != JsonValueKind.Object || Optional(message, "role", JsonValueKind.String)?.GetString() is not { } role || !Roles.Contains(role))
        {
            throw Invalid(at + ".role", $"{at}.role: system, developer, user or assistant.");
        }

        var text = message.TryGetProperty("content", out var content) ? content.ValueKind switch
        {
            JsonValueKind.String => content.GetString()!,
            JsonValueKind.Null when role == "assistant" => "",
            JsonValueKind.Array => string.Concat(content.EnumerateArray().Select((part, i) => TextPart(part, $"{at}.content[{i}]"))),
            _ => throw Invalid(at + ".content", $"{at}.content: a text or an array of text parts."),
        } : throw Invalid(at + ".content", $"{at}.content: missing.");
        return new ChatMessage(new ChatRole(role == "developer" ? "system" : role), text);
    }

    private static string TextPart(JsonElement part, string at) =>
        part.ValueKind == JsonValueKind.Object && Optional(part, "type", JsonValueKind.String)?.GetString() == "text"
        && Optional(part, "text", JsonValueKind.String) is { } text
            ? text.GetString()!
            : throw Invalid(at, $"{at}: only {{\"type\": \"text\", \"text\": …}} parts are served.");

    private static (AnswerFormat Format, JsonElement? Schema) ResponseFormat(JsonElement body)
    {
        if (!body.TryGetProperty("response_format", out var format) || format.ValueKind == JsonValueKind.Null)
        {
            return (AnswerFormat.Text, null);
        }

        var type = format.ValueKind == JsonValueKind.Object ? Optional(format, "type", JsonValueKind.String)?.GetString() : null;
        switch (type)
        {
            case "text":
                return (AnswerFormat.Text, null);
            case "json_object":
                return (AnswerFormat.JsonObject, null);
            case "json_schema" when Optional(format, "json_schema", JsonValueKind.Object) is { } wrapper:
                return wrapper.TryGetProperty("schema", out var schema) && schema.ValueKind is JsonValueKind.Object or JsonValueKind.True
                    ? (AnswerFormat.JsonSchema, schema.Clone())
                    : throw Invalid("response_format", "response_format: json_schema.schema must be a JSON schema object.");
            default:
                throw Invalid("response_format", "response_format: {\"type\": \"text\"}, {\"type\": \"json_object\"} or {\"type\": \"json_schema\", \"json_schema\": {\"schema\": …}}.");
        }
    }

    private static IReadOnlyList<string> Stop(JsonElement body)
    {
        if (!body.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        return stop.ValueKind switch
        {
            JsonValueKind.String => [stop.GetString()!],
            JsonValueKind.Array when stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String) => stop.EnumerateArray().Select(s => s.GetString()!).ToArray(),
            _ => throw Invalid("stop", "stop: a string or an array of strings."),
        };
    }

    private static string RequiredString(JsonElement body, string name) =>
        Optional(body, name, JsonValueKind.String)?.GetString() is { Length: > 0 } value ? value : throw Invalid(name, $"{name}: a non-empty string.");

    private static int? Integer(JsonElement body, string name) =>
        Optional(body, name, JsonValueKind.Number) is not { } value ? null
        : value.TryGetInt32(out var i) ? i
        : throw Invalid(name, $"{name}: an integer.");

    private static float? Number(JsonElement body, string name) =>
        Optional(body, name, JsonValueKind.Number) is { } value ? (float)value.GetDouble() : null;

    /// <summary>The member <paramref name="name"/> when present and not null; a 400 when it has another JSON kind.</summary>
    private static JsonElement? Optional(JsonElement body, string name, JsonValueKind kind)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var matches = kind == JsonValueKind.True ? value.ValueKind is JsonValueKind.True or JsonValueKind.False : value.ValueKind == kind;
        return matches ? value : throw Invalid(name, $"{name}: expected {(kind == JsonValueKind.True ? "a boolean" : kind.ToString().ToLowerInvariant())}.");
    }

    private static OpenAiException Invalid(string? param, string message) => new(StatusCodes.Status400BadRequest, message, param, null);

    private static OpenAiException TooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, $"The body is larger than {MaxBodyBytes / (1024 * 1024)} MiB.", null, "request_too_large");
}
