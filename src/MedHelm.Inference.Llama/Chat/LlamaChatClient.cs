using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedHelm.Inference.Llama.Chat;

/// <summary>
/// An <see cref="IChatClient"/> over a local GGUF model in llama.cpp. Requests from any thread queue up; one decode
/// thread takes as many as there are sequences and decodes them in one batch. Prompts are rendered with the model's
/// own chat template. Never logs prompt or output text.
/// </summary>
public sealed class LlamaChatClient : IChatClient
{
    private readonly LlamaModel _model;
    private readonly bool _ownsModel;
    private readonly LlamaChatClientOptions _options;
    private readonly ILogger _logger;
    private readonly LlamaContext _context;
    private readonly BatchedGenerator _generator;
    private readonly BlockingCollection<WorkItem> _queue = new();
    private readonly Thread _worker;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly string _modelName;

    public LlamaChatClient(LlamaModel model, LlamaChatClientOptions? options = null, ILogger? logger = null, bool ownsModel = false)
    {
        _model = model;
        _ownsModel = ownsModel;
        _options = options ?? new LlamaChatClientOptions();
        _logger = logger ?? NullLogger.Instance;
        _modelName = _options.ModelName ?? Path.GetFileNameWithoutExtension(model.Path);
        _context = new LlamaContext(model, _options.Context);
        _generator = new BatchedGenerator(_context);
        Metadata = new ChatClientMetadata("llama.cpp", null, _modelName);
        _worker = new Thread(DecodeLoop) { IsBackground = true, Name = $"llama-decode:{_modelName}" };
        _worker.Start();
    }

    public ChatClientMetadata Metadata { get; }

    public LlamaModel Model => _model;

    public LlamaContext Context => _context;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var item = Prepare(messages, options, onText: null, cancellationToken);
        var result = await item.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return ToResponse(result);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var item = Prepare(messages, options, text => channel.Writer.TryWrite(text), cancellationToken);
        _ = item.Completion.Task.ContinueWith(t => channel.Writer.TryComplete(t.Exception), TaskScheduler.Default);
        var responseId = Guid.NewGuid().ToString("N");
        await foreach (var text in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, text) { ResponseId = responseId, ModelId = _modelName };
        }

        var result = await item.Completion.Task.ConfigureAwait(false);
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(Usage(result))])
        {
            ResponseId = responseId,
            ModelId = _modelName,
            FinishReason = FinishReason(result),
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(LlamaModel) ? _model
        : null;

    /// <summary>Renders the conversation with the model's template and tokenizes it (BOS added, control tokens parsed).</summary>
    public int[] TokenizeConversation(IEnumerable<ChatMessage> messages)
    {
        var turns = messages.Select(m => (m.Role.Value, m.Text)).ToArray();
        var prompt = _model.ApplyChatTemplate(turns, addAssistantPrefix: true);
        return _model.Vocabulary.Tokenize(prompt, addSpecial: true, parseSpecial: true);
    }

    private WorkItem Prepare(IEnumerable<ChatMessage> messages, ChatOptions? options, Action<string>? onText, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_shutdown.IsCancellationRequested, this);
        var prompt = TokenizeConversation(messages);
        var sampling = new SamplingSettings
        {
            Temperature = options?.Temperature ?? 0f,
            TopK = options?.TopK ?? 0,
            TopP = options?.TopP ?? 1f,
            Seed = options?.Seed is long seed ? unchecked((uint)seed) : 42u,
            Grammar = options?.AdditionalProperties?.TryGetValue("grammar", out var g) == true ? g as string : null,
        };
        var request = new GenerationRequest(prompt, options?.MaxOutputTokens ?? _options.DefaultMaxTokens)
        {
            Sampling = sampling,
            StopSequences = options?.StopSequences?.ToArray() ?? [],
            OnText = onText,
        };
        _generator.EnsureFits(request);
        var item = new WorkItem(request, cancellationToken);
        _queue.Add(item, cancellationToken);
        return item;
    }

    private void DecodeLoop()
    {
        var batch = new List<WorkItem>();
        try
        {
            while (!_queue.IsCompleted)
            {
                batch.Clear();
                if (!_queue.TryTake(out var first, Timeout.Infinite, _shutdown.Token))
                {
                    continue;
                }

                batch.Add(first);
                while (batch.Count < _context.Sequences && _queue.TryTake(out var more))
                {
                    batch.Add(more);
                }

                batch.RemoveAll(w => w.Cancellation.IsCancellationRequested && w.Completion.TrySetCanceled(w.Cancellation));
                if (batch.Count == 0)
                {
                    continue;
                }

                var clock = Stopwatch.StartNew();
                try
                {
                    var results = _generator.Generate(batch.Select(w => w.Request).ToArray(), _shutdown.Token);
                    _logger.LogDebug("Decoded {Count} sequences in one batch: {PromptTokens} prompt + {OutputTokens} output tokens in {Ms} ms",
                        batch.Count, results.Sum(r => r.PromptTokens), results.Sum(r => r.Tokens.Count), clock.ElapsedMilliseconds);
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].Completion.TrySetResult(results[i]);
                    }
                }
                catch (Exception e)
                {
                    foreach (var w in batch)
                    {
                        w.Completion.TrySetException(e);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }

        foreach (var w in _queue.GetConsumingEnumerable())
        {
            w.Completion.TrySetException(new ObjectDisposedException(nameof(LlamaChatClient)));
        }
    }

    private ChatResponse ToResponse(GenerationResult result) =>
        new(new ChatMessage(ChatRole.Assistant, result.Text))
        {
            ModelId = _modelName,
            FinishReason = FinishReason(result),
            Usage = Usage(result),
            CreatedAt = DateTimeOffset.UtcNow,
            AdditionalProperties = new AdditionalPropertiesDictionary
            {
                ["finish_detail"] = result.FinishReason.ToString(),
                ["time_to_first_token_ms"] = result.TimeToFirstToken.TotalMilliseconds,
                ["generation_ms"] = result.Total.TotalMilliseconds,
            },
        };

    private static UsageDetails Usage(GenerationResult result) => new()
    {
        InputTokenCount = result.PromptTokens,
        OutputTokenCount = result.Tokens.Count,
        TotalTokenCount = result.PromptTokens + result.Tokens.Count,
    };

    private static ChatFinishReason FinishReason(GenerationResult result) =>
        result.FinishReason == GenerationFinishReason.MaxTokens ? ChatFinishReason.Length : ChatFinishReason.Stop;

    public void Dispose()
    {
        if (_shutdown.IsCancellationRequested)
        {
            return;
        }

        _queue.CompleteAdding();
        _shutdown.Cancel();
        _worker.Join();
        _generator.Dispose();
        _context.Dispose();
        if (_ownsModel)
        {
            _model.Dispose();
        }

        _shutdown.Dispose();
        _queue.Dispose();
    }

    private sealed class WorkItem(GenerationRequest request, CancellationToken cancellation)
    {
        public GenerationRequest Request { get; } = request;
        public CancellationToken Cancellation { get; } = cancellation;
        public TaskCompletionSource<GenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
