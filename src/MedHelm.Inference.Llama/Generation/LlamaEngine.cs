using System.Collections.Concurrent;
using System.Diagnostics;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedHelm.Inference.Llama.Generation;

/// <summary>
/// The continuous-batching engine of one loaded model: one llama.cpp context with N sequence slots and one decode
/// thread. Requests arrive from any thread; every step builds one llama_batch from all live sequences (generated
/// tokens first, then chunks of pending prompt), samples each sequence from its own logits, retires finished
/// sequences and admits waiting requests into the freed slots. A request whose prompt shares a prefix with a slot's
/// cached tokens reuses that KV (copied with llama_memory_seq_cp) instead of recomputing it; requests admitted
/// together that share a prefix compute it once: the later ones wait in their slots until the earliest has decoded
/// it, then copy it.
/// Greedy outputs do not depend on the slot count or on which requests share a batch.
/// </summary>
public sealed partial class LlamaEngine : IDisposable
{
    private readonly LlamaModel _model;
    private readonly LlamaContext _context;
    private readonly LlamaEngineOptions _options;
    private readonly ILogger _logger;
    private readonly SafeLlamaBatchHandle _batch;
    private readonly ConcurrentQueue<Pending> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Slot[] _slots;
    private readonly Thread _thread;
    private readonly LlamaEngineMetrics _metrics;
    private readonly int[] _closeTagTokens;
    private long _reusedPromptTokens;
    private long _decodedPromptTokens;
    private long _generatedTokens;
    private bool _disposed;

    public LlamaEngine(LlamaModel model, LlamaEngineOptions? options = null, ILogger? logger = null, string? name = null)
    {
        _model = model;
        _options = options ?? new LlamaEngineOptions();
        _logger = logger ?? NullLogger.Instance;
        Name = name ?? Path.GetFileNameWithoutExtension(model.Path);
        _context = new LlamaContext(model, _options.Context with { Embeddings = false, FlashAttention = FlashAttentionOn(_options) });
        _batch = SafeLlamaBatchHandle.Create(_context.BatchSize, 1);
        _slots = Enumerable.Range(0, _context.Sequences).Select(i => new Slot(i)).ToArray();
        _closeTagTokens = _options.Reasoning.Enabled
            ? model.Vocabulary.Tokenize("\n" + _options.Reasoning.CloseTag + "\n\n", addSpecial: false, parseSpecial: true)
            : [];
        _metrics = new LlamaEngineMetrics(Name, () => _queue.Count, () => _slots.Count(s => s.Active is not null), () => _slots.Sum(s => (long)s.Cached.Count), (long)_context.ContextPerSequence * _context.Sequences);
        _thread = new Thread(Run) { IsBackground = true, Name = $"llama-engine:{Name}" };
        _thread.Start();
    }

    public string Name { get; }

    /// <summary>The context's flash attention: the configured one, turned on for a repeatable mode where the loaded CPU backend's kernel is batch-invariant.</summary>
    private static bool? FlashAttentionOn(LlamaEngineOptions options) =>
        DeterminismProfile.TakesInvariantFlashAttention(options.Determinism, options.Context.FlashAttention, Runtime.LlamaRuntime.Current?.InvariantFlashAttention == true)
            ? true
            : options.Context.FlashAttention;

    public LlamaModel Model => _model;

    public LlamaContext Context => _context;

    public LlamaEngineOptions Options => _options;

    /// <summary>Prompt tokens whose KV was reused rather than recomputed, since the engine started.</summary>
    public long ReusedPromptTokens => Interlocked.Read(ref _reusedPromptTokens);

    /// <summary>Prompt tokens actually decoded, since the engine started.</summary>
    public long DecodedPromptTokens => Interlocked.Read(ref _decodedPromptTokens);

    public long GeneratedTokens => Interlocked.Read(ref _generatedTokens);

    /// <summary>Requests holding a slot (decoding, or waiting there for a sibling's shared prefix).</summary>
    public int ActiveSequences => _slots.Count(s => s.Active is not null);

    /// <summary>Requests waiting for a slot.</summary>
    public int QueueDepth => _queue.Count;

    /// <summary>Context tokens one request may use: prompt + answer tokens (+ thinking budget for reasoning models).</summary>
    public int RequiredContext(GenerationRequest request) =>
        request.PromptTokens.Count + request.MaxTokens + (_options.Reasoning.Enabled ? _options.Reasoning.ThinkingBudget + _closeTagTokens.Length : 0);

    /// <summary>Checks that a request fits one sequence's context; the message says by how much it does not.</summary>
    public void EnsureFits(GenerationRequest request)
    {
        if (request.PromptTokens.Count == 0)
        {
            throw new ArgumentException("The prompt is empty (0 tokens).", nameof(request));
        }

        if (request.MaxTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.MaxTokens, "MaxTokens must be at least 1.");
        }

        if (RequiredContext(request) > _context.ContextPerSequence)
        {
            throw new PromptTooLongException(request.PromptTokens.Count, RequiredContext(request) - request.PromptTokens.Count, _context.ContextPerSequence);
        }
    }

    /// <summary>Queues a request; the task completes when its sequence retires.</summary>
    /// <exception cref="PromptTooLongException">Refused up front: it can never fit a slot.</exception>
    public Task<GenerationResult> SubmitAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        EnsureFits(request);
        var pending = new Pending(request, cancellationToken, Stopwatch.GetTimestamp());
        if (cancellationToken.CanBeCanceled)
        {
            pending.Registration = cancellationToken.Register(() =>
            {
                pending.Cancelled = true;
                WakeUp(); // a request cancelled while it waits is answered even when nothing else is running
            });
        }

        _queue.Enqueue(pending);
        _signal.Release();
        return pending.Completion.Task;
    }

    /// <summary>Submits all requests and waits for them (results in request order).</summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        foreach (var r in requests)
        {
            EnsureFits(r);
        }

        var tasks = requests.Select(r => SubmitAsync(r, cancellationToken)).ToArray();
        return Task.WhenAll(tasks).GetAwaiter().GetResult();
    }

    private void WakeUp()
    {
        try
        {
            _signal.Release();
        }
        catch (ObjectDisposedException)
        {
            // the engine is stopping; Dispose answers every waiting request
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _shutdown.Cancel();
        _signal.Release();
        _thread.Join();
        while (_queue.TryDequeue(out var p))
        {
            p.Completion.TrySetException(new ObjectDisposedException(Name, "The engine was stopped."));
            p.Registration.Dispose();
        }

        foreach (var s in _slots)
        {
            s.Active?.Fail(new ObjectDisposedException(Name, "The engine was stopped."));
        }

        _metrics.Dispose();
        _batch.Dispose();
        _context.Dispose();
        _shutdown.Dispose();
        _signal.Dispose();
    }
}
