using MedHelm.Core.Metrics;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Native;

namespace MedHelm.Inference.Llama.Embeddings;

/// <summary>
/// Contextual token embeddings from a local BERT-family GGUF model (for BERTScore): the text is encoded whole and
/// every non-special token's output vector is returned. Texts longer than the context are cut to it, as BERTScore
/// truncates at the model's maximum length. Calls are serialised (a context is not thread-safe).
/// </summary>
public sealed unsafe class LlamaTokenEmbedder : ITokenEmbedder, IDisposable
{
    private readonly LlamaModel _model;
    private readonly bool _ownsModel;
    private readonly LlamaContext _context;
    private readonly SafeLlamaBatchHandle _batch;
    private readonly Lock _gate = new();

    public LlamaTokenEmbedder(LlamaModel model, int maxTokens = 512, int threads = 0, bool ownsModel = false)
    {
        _model = model;
        _ownsModel = ownsModel;
        ModelName = Path.GetFileNameWithoutExtension(model.Path);
        _context = new LlamaContext(model, new LlamaContextSettings
        {
            Sequences = 1,
            ContextPerSequence = maxTokens,
            BatchSize = maxTokens,
            MicroBatchSize = maxTokens,
            Threads = threads > 0 ? threads : Environment.ProcessorCount,
            Embeddings = true,
            TokenEmbeddings = true,
        });
        MaxTokens = Math.Min(maxTokens, _context.ContextPerSequence);
        _batch = SafeLlamaBatchHandle.Create(MaxTokens, 1);
    }

    public string ModelName { get; }

    /// <summary>The model's tokenizer (e.g. for BERTScore's idf weights, counted over reference token ids).</summary>
    public LlamaVocabulary Vocabulary => _model.Vocabulary;

    /// <summary>Tokens per text that are embedded; the rest is cut off.</summary>
    public int MaxTokens { get; }

    /// <inheritdoc />
    public IReadOnlyList<int> TokenIds(string text) => _model.Vocabulary.Tokenize(text, addSpecial: false, parseSpecial: false);

    public IReadOnlyList<TokenVector> EmbedTokens(string text)
    {
        var tokens = _model.Vocabulary.Tokenize(text, addSpecial: true, parseSpecial: false);
        if (tokens.Length > MaxTokens)
        {
            // keep the closing special token (e.g. [SEP]) where the model adds one
            var last = tokens[^1];
            tokens = tokens[..MaxTokens];
            if (_model.Vocabulary.IsControl(last))
            {
                tokens[^1] = last;
            }
        }

        lock (_gate)
        {
            _context.ClearMemory();
            ref var batch = ref _batch.Batch;
            batch.TokenCount = 0;
            for (var i = 0; i < tokens.Length; i++)
            {
                batch.Token[i] = tokens[i];
                batch.Pos[i] = i;
                batch.SeqIdCount[i] = 1;
                batch.SeqId[i][0] = 0;
                batch.Logits[i] = 1;
                batch.TokenCount = i + 1;
            }

            var status = _model.HasEncoder ? _context.Encode(batch) : _context.Decode(batch);
            if (status != 0)
            {
                throw new InvalidOperationException($"llama.cpp failed to embed a text of {tokens.Length} tokens (status {status}).");
            }

            var n = _model.EmbeddingSize;
            var vectors = new List<TokenVector>(tokens.Length);
            for (var i = 0; i < tokens.Length; i++)
            {
                if (_model.Vocabulary.IsControl(tokens[i]))
                {
                    continue;
                }

                var pointer = _context.TokenEmbedding(i);
                if (pointer == null)
                {
                    throw new InvalidOperationException("llama.cpp returned no token embedding (is this an embedding model?).");
                }

                vectors.Add(new TokenVector(tokens[i], new ReadOnlySpan<float>(pointer, n).ToArray()));
            }

            return vectors;
        }
    }

    public void Dispose()
    {
        _batch.Dispose();
        _context.Dispose();
        if (_ownsModel)
        {
            _model.Dispose();
        }
    }
}
