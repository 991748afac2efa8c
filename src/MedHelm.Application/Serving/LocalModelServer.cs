using System.Collections.Concurrent;
using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Core.Catalog;
using MedHelm.Core.Inference;
using MedHelm.Gguf;
using MedHelm.Inference.Llama.Generation;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace MedHelm.Application.Serving;

/// <summary>What a served model does: chat (a decoder) or sentence embeddings (a BERT-family encoder).</summary>
public enum ServedModelKind
{
    /// <summary>A decoder: <c>/v1/chat/completions</c>.</summary>
    Chat,

    /// <summary>An encoder with pooling: <c>/v1/embeddings</c>.</summary>
    Embedding,
}

/// <summary>A model of the <c>Models</c> section served to OpenAI-compatible clients.</summary>
/// <param name="Name">Its name (the <c>model</c> of a request).</param>
/// <param name="Kind">Chat or embedding.</param>
/// <param name="Created">The file's last write time.</param>
public sealed record ServedModel(string Name, ServedModelKind Kind, DateTimeOffset Created);

/// <summary>The answer format a chat request asks for.</summary>
public enum AnswerFormat
{
    /// <summary>Free text.</summary>
    Text,

    /// <summary>Any JSON object (OpenAI's <c>json_object</c>).</summary>
    JsonObject,

    /// <summary>JSON that a given schema accepts (OpenAI's <c>json_schema</c>).</summary>
    JsonSchema,
}

/// <summary>A chat completion request, already parsed from the wire format.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Messages">The conversation.</param>
public sealed record ChatCompletionRequest(string Model, IReadOnlyList<ChatMessage> Messages)
{
    /// <summary>Most answer tokens; null: the model's default.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Sampling temperature, 0 to 2; 0 (the default) is greedy.</summary>
    public float? Temperature { get; init; }

    /// <summary>Nucleus sampling mass, above 0 and at most 1.</summary>
    public float? TopP { get; init; }

    /// <summary>Seed of the sampler (sampled decoding only).</summary>
    public long? Seed { get; init; }

    /// <summary>Up to four stop sequences.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>The answer format.</summary>
    public AnswerFormat Format { get; init; }

    /// <summary>The JSON schema when <see cref="Format"/> is <see cref="AnswerFormat.JsonSchema"/>.</summary>
    public JsonElement? Schema { get; init; }

    /// <summary>Generate until the token limit, past end-of-generation tokens (llama-server's ignore_eos; for throughput benchmarks).</summary>
    public bool IgnoreEndOfGeneration { get; init; }
}

/// <summary>A leased chat model and the options that carry one request to it.</summary>
/// <param name="Lease">The model; dispose it when the answer has been sent.</param>
/// <param name="Options">Sampling, limits, stop sequences and grammar of the request.</param>
public sealed record PreparedChat(ModelLease<IChatClient> Lease, ChatOptions Options) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() => Lease.Dispose();
}

/// <summary>
/// Serves the local models of the <c>Models</c> section to OpenAI-compatible clients (the service's <c>/v1</c>
/// endpoints). Models come from the same <see cref="IModelLoader"/> as runs, so a model that a run has loaded answers
/// these requests from the same engine, batched with the run's own requests, and is never loaded twice. Requests are
/// checked here (limits, sampling ranges, stop sequences) and a response format becomes a GBNF grammar for the grammar
/// sampler (<see cref="JsonSchemaGrammar"/>); a schema keyword it cannot enforce is refused, naming the keyword.
/// </summary>
public sealed class LocalModelServer(IOptions<Dictionary<string, LocalModelOptions>> models, MedHelmPaths paths, IModelLoader loader)
{
    /// <summary>Most answer tokens a request may ask for.</summary>
    public const int MaxAnswerTokens = 32_768;

    /// <summary>Most texts in one embeddings request.</summary>
    public const int MaxEmbeddingInputs = 2048;

    private readonly ConcurrentDictionary<string, ServedModelKind> _kinds = new(StringComparer.Ordinal);

    /// <summary>The served models, by name.</summary>
    public IReadOnlyList<ServedModel> List() => models.Value.Keys.Order(StringComparer.Ordinal).Select(Describe).ToArray();

    /// <summary>One served model.</summary>
    /// <exception cref="NotFoundException">No model of that name.</exception>
    public ServedModel Describe(string name)
    {
        if (!models.Value.TryGetValue(name, out var entry))
        {
            throw new NotFoundException("model: no local model of this appliance has that name (GET /v1/models lists them).");
        }

        var file = paths.Resolve(entry.File);
        var kind = _kinds.GetOrAdd(name, _ => KindOf(file));
        return new ServedModel(name, kind, File.Exists(file) ? File.GetLastWriteTimeUtc(file) : DateTimeOffset.UnixEpoch);
    }

    /// <summary>Checks <paramref name="request"/>, leases its model and builds its options.</summary>
    /// <exception cref="RequestValidationException">A limit, range or schema the appliance cannot honour.</exception>
    /// <exception cref="NotFoundException">No chat model of that name.</exception>
    public async Task<PreparedChat> PrepareChatAsync(ChatCompletionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = Options(request);
        if (Describe(request.Model).Kind != ServedModelKind.Chat)
        {
            throw new RequestValidationException("model: this is an embedding model; use /v1/embeddings.");
        }

        var lease = await loader.LeaseChatAsync(request.Model, request.Model, AccessTier.Private, new ModelDefaults(), cancellationToken).ConfigureAwait(false);
        return new PreparedChat(lease, options);
    }

    /// <summary>One vector per text from the embedding model <paramref name="model"/>.</summary>
    /// <exception cref="RequestValidationException">No text, too many, or a chat model.</exception>
    public async Task<GeneratedEmbeddings<Embedding<float>>> EmbedAsync(string model, IReadOnlyList<string> inputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count is 0 or > MaxEmbeddingInputs)
        {
            throw new RequestValidationException($"input: 1 to {MaxEmbeddingInputs} texts.");
        }

        if (Describe(model).Kind != ServedModelKind.Embedding)
        {
            throw new RequestValidationException("model: this is a chat model; embeddings come from BERT-family models.");
        }

        using var lease = await loader.LeaseEmbeddingGeneratorAsync(model, cancellationToken).ConfigureAwait(false);
        return await lease.Client.GenerateAsync(inputs, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The chat options of a request, after checking each value.</summary>
    public static ChatOptions Options(ChatCompletionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Messages.Count == 0)
        {
            throw new RequestValidationException("messages: at least one message.");
        }

        if (request.MaxTokens is < 1 or > MaxAnswerTokens)
        {
            throw new RequestValidationException($"max_tokens: 1 to {MaxAnswerTokens}.");
        }

        if (request.Temperature is { } t && (float.IsNaN(t) || t < 0 || t > 2))
        {
            throw new RequestValidationException("temperature: 0 to 2.");
        }

        if (request.TopP is { } p && (float.IsNaN(p) || p <= 0 || p > 1))
        {
            throw new RequestValidationException("top_p: above 0, at most 1.");
        }

        if (request.Stop.Count > 4 || request.Stop.Any(s => s.Length is 0 or > 256))
        {
            throw new RequestValidationException("stop: up to 4 sequences of 1 to 256 characters.");
        }

        // the chat template sees the time of the request, as llama-server renders it (not the time the model was loaded)
        var properties = new AdditionalPropertiesDictionary { [ChatRequestProperties.ChatTemplateTime] = DateTimeOffset.UtcNow };
        if (Grammar(request) is { } grammar)
        {
            properties["grammar"] = grammar;
        }

        if (request.IgnoreEndOfGeneration)
        {
            properties[ChatRequestProperties.IgnoreEndOfGeneration] = "true"; // a string: it crosses to an engine worker
        }

        return new ChatOptions
        {
            MaxOutputTokens = request.MaxTokens,
            Temperature = request.Temperature ?? 0f,
            TopP = request.TopP,
            Seed = request.Seed,
            StopSequences = request.Stop.Count > 0 ? request.Stop.ToList() : null,
            AdditionalProperties = properties,
        };
    }

    private static string? Grammar(ChatCompletionRequest request)
    {
        switch (request.Format)
        {
            case AnswerFormat.JsonObject:
                return JsonSchemaGrammar.AnyJsonObject;
            case AnswerFormat.JsonSchema when request.Schema is { } schema:
                try
                {
                    return JsonSchemaGrammar.FromSchema(schema);
                }
                catch (UnsupportedJsonSchemaException e)
                {
                    throw new RequestValidationException($"response_format: {e.Message}", e);
                }

            case AnswerFormat.JsonSchema:
                throw new RequestValidationException("response_format: json_schema needs json_schema.schema.");
            default:
                return null;
        }
    }

    private static ServedModelKind KindOf(string file)
    {
        try
        {
            var architecture = GgufReader.Read(file).Architecture;
            return architecture is not null && GgufArchitectures.TryGet(architecture, out var known) && known.Encoder ? ServedModelKind.Embedding : ServedModelKind.Chat;
        }
        catch (GgufFormatException e)
        {
            throw new NotFoundException("model: the model's file is missing or not a GGUF file on this appliance (see /health/ready).", e);
        }
    }
}
