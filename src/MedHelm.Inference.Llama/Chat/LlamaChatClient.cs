using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MedHelm.Core.Inference;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace MedHelm.Inference.Llama.Chat;

/// <summary>
/// An <see cref="IChatClient"/> over a local GGUF model in llama.cpp. Prompts are rendered with the model's own
/// Jinja chat template by <see cref="ChatTemplates.ChatTemplate"/> (as llama-server renders them), at the time given by
/// the request's <see cref="ChatRequestProperties.ChatTemplateTime"/> or the client's options; requests from any thread go to the model's <see cref="LlamaEngine"/>, which decodes them in
/// batches. The reasoning of reasoning models comes back as <see cref="TextReasoningContent"/>, separate from the
/// answer text. Never logs prompt or output text.
/// </summary>
public sealed class LlamaChatClient : IChatClient
{
    private readonly LlamaModel _model;
    private readonly bool _ownsModel;
    private readonly LlamaChatClientOptions _options;
    private readonly LlamaEngine _engine;
    private readonly string _modelName;
    private readonly DateTimeOffset _templateTime;

    public LlamaChatClient(LlamaModel model, LlamaChatClientOptions? options = null, ILogger? logger = null, bool ownsModel = false)
    {
        _model = model;
        _ownsModel = ownsModel;
        _options = options ?? new LlamaChatClientOptions();
        _modelName = _options.ModelName ?? Path.GetFileNameWithoutExtension(model.Path);
        _templateTime = _options.ChatTemplateTime ?? DateTimeOffset.UtcNow;
        _engine = new LlamaEngine(model, _options.Engine, logger, _modelName);
        Metadata = new ChatClientMetadata("llama.cpp", null, _modelName);
    }

    public ChatClientMetadata Metadata { get; }

    public LlamaModel Model => _model;

    public LlamaEngine Engine => _engine;

    public LlamaContext Context => _engine.Context;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await _engine.SubmitAsync(Prepare(messages, options, onText: null), cancellationToken).ConfigureAwait(false);
        var message = new ChatMessage(ChatRole.Assistant, Contents(result));
        return new ChatResponse(message)
        {
            ModelId = _modelName,
            FinishReason = FinishReason(result),
            Usage = Usage(result),
            CreatedAt = DateTimeOffset.UtcNow,
            AdditionalProperties = Details(result),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var task = _engine.SubmitAsync(Prepare(messages, options, text => channel.Writer.TryWrite(text)), cancellationToken);
        _ = task.ContinueWith(t => channel.Writer.TryComplete(t.Exception), TaskScheduler.Default);
        var responseId = Guid.NewGuid().ToString("N");
        await foreach (var text in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, text) { ResponseId = responseId, ModelId = _modelName };
        }

        var result = await task.ConfigureAwait(false);
        var final = new List<AIContent> { new UsageContent(Usage(result)) };
        if (result.Reasoning.Length > 0)
        {
            final.Insert(0, new TextReasoningContent(result.Reasoning));
        }

        yield return new ChatResponseUpdate(ChatRole.Assistant, final)
        {
            ResponseId = responseId,
            ModelId = _modelName,
            FinishReason = FinishReason(result),
            AdditionalProperties = Details(result),
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(LlamaModel) ? _model
        : serviceType == typeof(LlamaEngine) ? _engine
        : serviceType == typeof(ChatTemplateInfo) && _model.Template is { } template ? new ChatTemplateInfo(template.ReadsDate)
        : null;

    /// <summary>Renders the conversation with the model's template and tokenizes it (BOS added, control tokens parsed).</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="templateTime">The time the template sees; null means the client's (see <see cref="LlamaChatClientOptions.ChatTemplateTime"/>).</param>
    public int[] TokenizeConversation(IEnumerable<ChatMessage> messages, DateTimeOffset? templateTime = null) =>
        _model.Vocabulary.Tokenize(RenderConversation(messages, templateTime), addSpecial: true, parseSpecial: true);

    /// <summary>The prompt text the model's chat template makes of <paramref name="messages"/> (without the BOS the tokenizer adds).</summary>
    public string RenderConversation(IEnumerable<ChatMessage> messages, DateTimeOffset? templateTime = null)
    {
        var turns = messages.Select(m => (m.Role.Value, m.Text)).ToArray();
        return _model.ApplyChatTemplate(turns, addAssistantPrefix: true, (templateTime ?? _templateTime).UtcDateTime);
    }

    private static DateTimeOffset? TemplateTime(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(ChatRequestProperties.ChatTemplateTime, out var value) != true ? null
        : value switch
        {
            DateTimeOffset t => t,
            DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
            string s when DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var p) => p,
            _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{ChatRequestProperties.ChatTemplateTime}\"] must be a DateTimeOffset, got {value?.GetType().Name ?? "null"}."),
        };

    private GenerationRequest Prepare(IEnumerable<ChatMessage> messages, ChatOptions? options, Action<string>? onText)
    {
        var sampling = new SamplingSettings
        {
            Temperature = options?.Temperature ?? 0f,
            TopK = options?.TopK ?? 0,
            TopP = options?.TopP ?? 1f,
            Seed = options?.Seed is long seed ? unchecked((uint)seed) : 42u,
            Grammar = options?.AdditionalProperties?.TryGetValue("grammar", out var g) == true ? g as string : null,
        };
        var prompt = RenderConversation(messages, TemplateTime(options));
        var reasoning = _options.Engine.Reasoning;
        return new GenerationRequest(_model.Vocabulary.Tokenize(prompt, addSpecial: true, parseSpecial: true), options?.MaxOutputTokens ?? _options.DefaultMaxTokens)
        {
            PromptOpensReasoning = reasoning.Enabled && prompt.TrimEnd().EndsWith(reasoning.OpenTag, StringComparison.Ordinal),
            IgnoreEndOfGeneration = options?.AdditionalProperties?.TryGetValue(ChatRequestProperties.IgnoreEndOfGeneration, out var ignore) == true && ignore is true or "true",
            Sampling = sampling,
            StopSequences = options?.StopSequences?.ToArray() ?? [],
            OnText = onText,
        };
    }

    private static List<AIContent> Contents(GenerationResult result)
    {
        var contents = new List<AIContent>();
        if (result.Reasoning.Length > 0)
        {
            contents.Add(new TextReasoningContent(result.Reasoning));
        }

        contents.Add(new TextContent(result.Text));
        return contents;
    }

    private static AdditionalPropertiesDictionary Details(GenerationResult result) => new()
    {
        ["finish_detail"] = result.FinishReason.ToString(),
        ["reasoning_tokens"] = result.ReasoningTokens,
        ["thinking_budget_exhausted"] = result.ThinkingBudgetExhausted,
        ["reused_prompt_tokens"] = result.ReusedPromptTokens,
        ["queue_wait_ms"] = result.QueueWait.TotalMilliseconds,
        ["prefill_ms"] = result.Prefill.TotalMilliseconds,
        ["time_to_first_token_ms"] = result.TimeToFirstToken.TotalMilliseconds,
        ["decode_ms"] = result.Decode.TotalMilliseconds,
        ["slot"] = result.Slot,
    };

    private static UsageDetails Usage(GenerationResult result) => new()
    {
        InputTokenCount = result.PromptTokens,
        OutputTokenCount = result.Tokens.Count,
        TotalTokenCount = result.PromptTokens + result.Tokens.Count,
        AdditionalCounts = new AdditionalPropertiesDictionary<long> { ["reasoning_tokens"] = result.ReasoningTokens, ["reused_prompt_tokens"] = result.ReusedPromptTokens },
    };

    private static ChatFinishReason FinishReason(GenerationResult result) =>
        result.FinishReason is GenerationFinishReason.MaxTokens or GenerationFinishReason.ContextFull or GenerationFinishReason.ThinkingBudget ? ChatFinishReason.Length : ChatFinishReason.Stop;

    public void Dispose()
    {
        _engine.Dispose();
        if (_ownsModel)
        {
            _model.Dispose();
        }
    }
}
