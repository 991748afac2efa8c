namespace MedHelm.Inference.Llama.Generation;

/// <summary>Sizing of one llama.cpp context: sequences (slots), context per sequence, batch sizes, threads.</summary>
public sealed record LlamaContextSettings
{
    /// <summary>Sequences decoded together (slots).</summary>
    public int Sequences { get; init; } = 1;

    /// <summary>Tokens of context per sequence (prompt + output). llama.cpp pads this up to a multiple of 256.</summary>
    public int ContextPerSequence { get; init; } = 2048;

    /// <summary>Most tokens submitted in one llama_decode call.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>Physical micro-batch; 0 = same as <see cref="BatchSize"/>.</summary>
    public int MicroBatchSize { get; init; }

    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>null = llama.cpp decides (auto).</summary>
    public bool? FlashAttention { get; init; }

    /// <summary>Produce pooled embeddings instead of logits (embedding models).</summary>
    public bool Embeddings { get; init; }

    /// <summary>With <see cref="Embeddings"/>: one vector per token (pooling none) instead of one per sequence.</summary>
    public bool TokenEmbeddings { get; init; }

    public void Validate()
    {
        if (Sequences < 1 || Sequences > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(Sequences), Sequences, "Sequences must be between 1 and 256.");
        }

        if (ContextPerSequence < 16)
        {
            throw new ArgumentOutOfRangeException(nameof(ContextPerSequence), ContextPerSequence, "ContextPerSequence must be at least 16 tokens.");
        }

        if (BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        }

        if (Threads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be at least 1.");
        }
    }
}
