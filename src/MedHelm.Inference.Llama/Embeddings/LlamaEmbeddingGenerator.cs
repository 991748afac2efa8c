using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Native;
using Microsoft.Extensions.AI;

namespace MedHelm.Inference.Llama.Embeddings;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/> over a local GGUF embedding model (BERT family, or any
/// model with a pooling type) in llama.cpp: one pooled vector per text. Several texts share one batch; the KV cache
/// is unified, which llama.cpp needs for correct pooled vectors of sequences of different lengths. Calls are
/// serialised: a context is not thread-safe.
/// </summary>
public sealed class LlamaEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly LlamaModel _model;
    private readonly bool _ownsModel;
    private readonly LlamaContext _context;
    private readonly SafeLlamaBatchHandle _batch;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _modelName;

    public LlamaEmbeddingGenerator(LlamaModel model, int sequences = 8, int contextPerSequence = 512, int threads = 0, bool ownsModel = false)
    {
        _model = model;
        _ownsModel = ownsModel;
        _modelName = Path.GetFileNameWithoutExtension(model.Path);
        _context = new LlamaContext(model, new LlamaContextSettings
        {
            Sequences = sequences,
            ContextPerSequence = contextPerSequence,
            BatchSize = contextPerSequence * sequences,
            MicroBatchSize = contextPerSequence * sequences,
            Threads = threads > 0 ? threads : Environment.ProcessorCount,
            Embeddings = true,
        });
        if (LlamaNative.llama_pooling_type(_context.Handle) == LlamaPoolingType.None)
        {
            _context.Dispose();
            throw new NotSupportedException($"{Path.GetFileName(model.Path)} has no pooling type, so it gives no sentence embeddings.");
        }

        _batch = SafeLlamaBatchHandle.Create(_context.BatchSize, 1);
        Metadata = new EmbeddingGeneratorMetadata("llama.cpp", null, _modelName, model.EmbeddingSize);
    }

    public EmbeddingGeneratorMetadata Metadata { get; }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values.ToArray();
        var tokenized = texts.Select(t => _model.Vocabulary.Tokenize(t, addSpecial: true, parseSpecial: false)).ToArray();
        for (var i = 0; i < tokenized.Length; i++)
        {
            if (tokenized[i].Length > _context.ContextPerSequence)
            {
                throw new PromptTooLongException(tokenized[i].Length, 0, _context.ContextPerSequence);
            }
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var vectors = new float[texts.Length][];
            var start = 0;
            while (start < texts.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = 0;
                var tokens = 0;
                while (start + count < texts.Length && count < _context.Sequences && tokens + tokenized[start + count].Length <= _context.BatchSize)
                {
                    tokens += tokenized[start + count].Length;
                    count++;
                }

                EmbedGroup(tokenized.AsSpan(start, count), vectors.AsSpan(start, count));
                start += count;
            }

            var usage = new UsageDetails { InputTokenCount = tokenized.Sum(t => t.Length), TotalTokenCount = tokenized.Sum(t => t.Length) };
            return new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = _modelName, CreatedAt = DateTimeOffset.UtcNow }))
            {
                Usage = usage,
            };
        }
        finally
        {
            _gate.Release();
        }
    }

    private unsafe void EmbedGroup(ReadOnlySpan<int[]> group, Span<float[]> output)
    {
        _context.ClearMemory();
        ref var batch = ref _batch.Batch;
        batch.TokenCount = 0;
        for (var s = 0; s < group.Length; s++)
        {
            for (var p = 0; p < group[s].Length; p++)
            {
                var i = batch.TokenCount++;
                batch.Token[i] = group[s][p];
                batch.Pos[i] = p;
                batch.SeqIdCount[i] = 1;
                batch.SeqId[i][0] = s;
                batch.Logits[i] = 1;
            }
        }

        var status = _model.HasEncoder ? _context.Encode(batch) : _context.Decode(batch);
        if (status != 0)
        {
            throw new InvalidOperationException($"llama.cpp failed to embed a batch (status {status}).");
        }

        var n = _model.EmbeddingSize;
        for (var s = 0; s < group.Length; s++)
        {
            var pointer = _context.SequenceEmbedding(s);
            if (pointer == null)
            {
                throw new InvalidOperationException("llama.cpp returned no pooled embedding for a sequence.");
            }

            output[s] = new ReadOnlySpan<float>(pointer, n).ToArray();
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
        _batch.Dispose();
        _context.Dispose();
        _gate.Dispose();
        if (_ownsModel)
        {
            _model.Dispose();
        }
    }
}
