using System.Text.Json.Serialization;

namespace MedHelm.Service.OpenAi;

// The wire shapes of OpenAI's chat completions, embeddings and models APIs, as far as the appliance serves them. The
// request records document the bodies in the OpenAPI document; bodies are read by OpenAiRequestReader, which names
// the field of any error.

/// <summary>One message of a chat request.</summary>
/// <param name="Role">system, developer (as system), user or assistant.</param>
/// <param name="Content">Text, or an array of <c>{"type": "text", "text": …}</c> parts.</param>
public sealed record ChatMessageBody([property: JsonPropertyName("role")] string Role, [property: JsonPropertyName("content")] object? Content);

/// <summary>The body of <c>POST /v1/chat/completions</c>.</summary>
/// <param name="Model">A name from <c>GET /v1/models</c>.</param>
/// <param name="Messages">The conversation.</param>
/// <param name="MaxTokens">Most answer tokens (also max_completion_tokens).</param>
/// <param name="Temperature">0 to 2; 0 (the default) decodes greedily.</param>
/// <param name="TopP">Nucleus sampling mass.</param>
/// <param name="Seed">Sampler seed.</param>
/// <param name="Stop">A stop sequence or up to four.</param>
/// <param name="Stream">Stream the answer as server-sent events.</param>
/// <param name="ResponseFormat"><c>{"type": "json_object"}</c> or <c>{"type": "json_schema", "json_schema": {"schema": …}}</c>.</param>
/// <param name="IgnoreEos">llama-server's extension: generate max_tokens tokens past end-of-generation (throughput benchmarks).</param>
public sealed record ChatCompletionBody(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("messages")] IReadOnlyList<ChatMessageBody> Messages,
    [property: JsonPropertyName("max_tokens")] int? MaxTokens,
    [property: JsonPropertyName("temperature")] float? Temperature,
    [property: JsonPropertyName("top_p")] float? TopP,
    [property: JsonPropertyName("seed")] long? Seed,
    [property: JsonPropertyName("stop")] object? Stop,
    [property: JsonPropertyName("stream")] bool? Stream,
    [property: JsonPropertyName("response_format")] object? ResponseFormat,
    [property: JsonPropertyName("ignore_eos")] bool? IgnoreEos);

/// <summary>Token counts of a request.</summary>
public sealed record UsageBody(
    [property: JsonPropertyName("prompt_tokens")] long PromptTokens,
    [property: JsonPropertyName("completion_tokens")] long CompletionTokens,
    [property: JsonPropertyName("total_tokens")] long TotalTokens);

/// <summary>The answer message (or, in a stream, the part of it a chunk adds).</summary>
public sealed record AnswerMessage(
    [property: JsonPropertyName("role"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonPropertyName("content"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content,
    [property: JsonPropertyName("reasoning_content"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReasoningContent);

/// <summary>One choice of a completion.</summary>
public sealed record ChoiceBody(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("message")] AnswerMessage Message,
    [property: JsonPropertyName("finish_reason")] string FinishReason);

/// <summary>The answer of <c>POST /v1/chat/completions</c> without streaming.</summary>
public sealed record ChatCompletionResponse(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<ChoiceBody> Choices,
    [property: JsonPropertyName("usage")] UsageBody Usage);

/// <summary>One choice of a streamed chunk.</summary>
public sealed record ChunkChoiceBody(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("delta")] AnswerMessage Delta,
    [property: JsonPropertyName("finish_reason")] string? FinishReason);

/// <summary>One server-sent event of a streamed completion (<c>data: {…}</c>; the stream ends with <c>data: [DONE]</c>).</summary>
public sealed record ChatCompletionChunk(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<ChunkChoiceBody> Choices,
    [property: JsonPropertyName("usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] UsageBody? Usage);

/// <summary>The body of <c>POST /v1/embeddings</c>.</summary>
/// <param name="Model">An embedding model from <c>GET /v1/models</c>.</param>
/// <param name="Input">A text or an array of texts.</param>
/// <param name="EncodingFormat">float (the default) or base64 (little-endian float32 values; what the OpenAI SDKs ask for).</param>
public sealed record EmbeddingsBody(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("input")] object Input,
    [property: JsonPropertyName("encoding_format")] string? EncodingFormat);

/// <summary>One vector.</summary>
public sealed record EmbeddingBody(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("embedding")] float[] Embedding);

/// <summary>Token counts of an embeddings request.</summary>
public sealed record EmbeddingUsageBody(
    [property: JsonPropertyName("prompt_tokens")] long PromptTokens,
    [property: JsonPropertyName("total_tokens")] long TotalTokens);

/// <summary>One vector as base64 (<c>encoding_format: base64</c>): its float32 values, little-endian.</summary>
public sealed record Base64EmbeddingBody(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("embedding")] string Embedding);

/// <summary>The answer of <c>POST /v1/embeddings</c> with <c>encoding_format: base64</c>.</summary>
public sealed record Base64EmbeddingsResponse(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<Base64EmbeddingBody> Data,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("usage")] EmbeddingUsageBody Usage);

/// <summary>The answer of <c>POST /v1/embeddings</c>.</summary>
public sealed record EmbeddingsResponse(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<EmbeddingBody> Data,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("usage")] EmbeddingUsageBody Usage);

/// <summary>A served model.</summary>
/// <param name="Id">The name to put in <c>model</c>.</param>
/// <param name="Object">Always "model".</param>
/// <param name="Created">Unix time of the model file.</param>
/// <param name="OwnedBy">Always "medhelm".</param>
/// <param name="Kind">chat or embedding (an extension: which endpoint serves it).</param>
public sealed record ModelBody(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy,
    [property: JsonPropertyName("kind")] string Kind);

/// <summary>The answer of <c>GET /v1/models</c>.</summary>
public sealed record ModelListBody(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<ModelBody> Data);

/// <summary>An error, as OpenAI's APIs return it.</summary>
/// <param name="Message">What is wrong; never a stack trace, never request text.</param>
/// <param name="Type">invalid_request_error, authentication_error, permission_error, not_found_error, server_error.</param>
/// <param name="Param">The request field at fault, if one is.</param>
/// <param name="Code">A machine-readable code (e.g. model_not_found, context_length_exceeded), if any.</param>
public sealed record ErrorDetail(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);

/// <summary>The body of every error of the <c>/v1</c> endpoints.</summary>
public sealed record ErrorBody([property: JsonPropertyName("error")] ErrorDetail Error);
