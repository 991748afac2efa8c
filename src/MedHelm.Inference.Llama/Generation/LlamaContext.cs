using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Native;

namespace MedHelm.Inference.Llama.Generation;

/// <summary>
/// One llama.cpp context over a model: its KV cache holds <see cref="Sequences"/> independent sequences.
/// Not thread-safe: exactly one decode loop drives a context.
/// </summary>
public sealed unsafe class LlamaContext : IDisposable
{
    private readonly SafeLlamaContextHandle _handle;
    private readonly nint _memory;

    public LlamaContext(LlamaModel model, LlamaContextSettings settings)
    {
        settings.Validate();
        Model = model;
        Settings = settings;
        var p = LlamaNative.llama_context_default_params();
        var perSequence = PaddedContextPerSequence(settings.ContextPerSequence);
        p.ContextSize = checked((uint)(perSequence * settings.Sequences));
        p.BatchSize = (uint)settings.BatchSize;
        p.MicroBatchSize = (uint)(settings.MicroBatchSize > 0 ? settings.MicroBatchSize : settings.BatchSize);
        p.MaxSequences = (uint)settings.Sequences;
        p.Threads = settings.Threads;
        p.BatchThreads = settings.Threads;
        p.Embeddings = settings.Embeddings;
        p.KvUnified = settings.Embeddings; // pooled embeddings of mixed lengths are wrong without a unified cache
        p.NoPerf = false;
        p.FlashAttention = settings.FlashAttention switch
        {
            true => LlamaFlashAttentionType.Enabled,
            false => LlamaFlashAttentionType.Disabled,
            null => LlamaFlashAttentionType.Auto,
        };
        if (settings.Embeddings)
        {
            p.PoolingType = settings.TokenEmbeddings ? LlamaPoolingType.None : LlamaPoolingType.Unspecified;
        }

        _handle = LlamaNative.llama_init_from_model(model.Handle, p);
        if (_handle.IsInvalid)
        {
            _handle.Dispose();
            throw new InvalidOperationException(
                $"llama.cpp could not create a context of {settings.Sequences} x {settings.ContextPerSequence} tokens for {Path.GetFileName(model.Path)} (out of memory?).");
        }

        _memory = LlamaNative.llama_get_memory(_handle);
        ContextSize = (int)LlamaNative.llama_n_ctx(_handle);
        ContextPerSequence = (int)LlamaNative.llama_n_ctx_seq(_handle);
        BatchSize = (int)LlamaNative.llama_n_batch(_handle);
        Sequences = (int)LlamaNative.llama_n_seq_max(_handle);
    }

    /// <summary>
    /// The context per sequence llama.cpp will use for <paramref name="tokens"/>: it pads a sequence's context to a
    /// multiple of 256; asking for that keeps n_ctx divisible by n_seq_max.
    /// </summary>
    public static int PaddedContextPerSequence(int tokens) => (tokens + 255) / 256 * 256;

    public LlamaModel Model { get; }

    public LlamaContextSettings Settings { get; }

    /// <summary>Total context as llama.cpp sized it.</summary>
    public int ContextSize { get; }

    /// <summary>Context per sequence as llama.cpp sized it (read back; it pads).</summary>
    public int ContextPerSequence { get; }

    public int BatchSize { get; }

    public int Sequences { get; }

    internal SafeLlamaContextHandle Handle => _handle;

    /// <summary>Submits a batch. Returns llama.cpp's status (0 = ok, 1 = no KV slot, 2 = aborted, negative = error).</summary>
    internal int Decode(in LlamaBatch batch) => LlamaNative.llama_decode(_handle, batch);

    internal int Encode(in LlamaBatch batch) => LlamaNative.llama_encode(_handle, batch);

    internal float* Logits(int batchIndex) => LlamaNative.llama_get_logits_ith(_handle, batchIndex);

    internal float* SequenceEmbedding(int sequence) => LlamaNative.llama_get_embeddings_seq(_handle, sequence);

    internal float* TokenEmbedding(int batchIndex) => LlamaNative.llama_get_embeddings_ith(_handle, batchIndex);

    /// <summary>Drops a sequence's cached tokens from <paramref name="fromPosition"/> on (all of them by default).</summary>
    public void RemoveSequence(int sequence, int fromPosition = 0) =>
        LlamaNative.llama_memory_seq_rm(_memory, sequence, fromPosition <= 0 ? -1 : fromPosition, -1);

    /// <summary>Shares positions [p0, p1) of <paramref name="source"/> with <paramref name="destination"/> (prefix reuse).</summary>
    public void CopySequence(int source, int destination, int p0 = -1, int p1 = -1) =>
        LlamaNative.llama_memory_seq_cp(_memory, source, destination, p0, p1);

    /// <summary>Highest cached position of a sequence, -1 when empty.</summary>
    public int SequenceLastPosition(int sequence) => LlamaNative.llama_memory_seq_pos_max(_memory, sequence);

    public void ClearMemory() => LlamaNative.llama_memory_clear(_memory, true);

    /// <summary>llama.cpp's own counters since the last reset.</summary>
    public LlamaPerfCounters ReadPerf()
    {
        var d = LlamaNative.llama_perf_context(_handle);
        return new LlamaPerfCounters(d.PromptEvalMs, d.EvalMs, d.PromptEvalCount, d.EvalCount);
    }

    public void ResetPerf() => LlamaNative.llama_perf_context_reset(_handle);

    public void Dispose() => _handle.Dispose();
}

/// <summary>llama.cpp's perf counters for a context.</summary>
public sealed record LlamaPerfCounters(double PromptMilliseconds, double EvalMilliseconds, int PromptTokens, int EvalTokens);
