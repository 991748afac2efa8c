namespace MedHelm.Gguf.TestModels;

/// <summary>Which family of tiny test model to generate.</summary>
public enum TestModelKind
{
    /// <summary>llama architecture, SPM vocabulary, Llama 3.x chat template.</summary>
    Llama,

    /// <summary>llama architecture, SPM vocabulary with DeepSeek special tokens, DeepSeek-R1-Distill chat template.</summary>
    DeepSeekR1,

    /// <summary>bert architecture (embedding model, mean pooling), WPM vocabulary.</summary>
    Bert,
}

/// <summary>Storage type for the 2-D weight matrices (norms and biases always stay F32).</summary>
public enum TestModelQuant
{
    F32,
    F16,
    Q8_0,
}

/// <summary>Shape and content of a generated test model. The same spec always gives byte-identical files.</summary>
public sealed record TestModelSpec(TestModelKind Kind = TestModelKind.Llama)
{
    /// <summary>Transformer blocks (1..512). Default 2.</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Embedding width (>= 2; a multiple of 32 for Q8_0). Default 64.</summary>
    public int Embd { get; init; } = 64;

    public TestModelQuant Quant { get; init; } = TestModelQuant.F32;

    /// <summary>Seed of the deterministic weight generator. Default 42.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Attention heads; null picks the largest divisor of Embd not above max(1, Embd/32) (with an even head size for llama kinds).</summary>
    public int? Heads { get; init; }

    /// <summary>Feed-forward width; null means 2*Embd rounded up to a multiple of 32.</summary>
    public int? FeedForward { get; init; }

    /// <summary>Training context length; null means 4096 for llama kinds and 512 for Bert.</summary>
    public int? ContextLength { get; init; }

    /// <summary>Written as general.license when set (llama kinds); null writes no licence key.</summary>
    public string? License { get; init; }

    /// <summary>
    /// The Jinja source written as tokenizer.chat_template; null means the kind's own template
    /// (<see cref="TestModelTemplates.For"/>). Not allowed for Bert, which has no chat template.
    /// </summary>
    public string? ChatTemplate { get; init; }

    public int EffectiveHeads => Heads ?? DefaultHeads();

    public int EffectiveFeedForward => FeedForward ?? (Math.Max(2 * Embd, 1) + 31) / 32 * 32;

    public int EffectiveContextLength => ContextLength ?? (Kind == TestModelKind.Bert ? 512 : 4096);

    public int HeadDim => Embd / EffectiveHeads;

    private int DefaultHeads()
    {
        var max = Math.Max(1, Embd / 32);
        for (var h = max; h > 1; h--)
        {
            if (Embd % h == 0 && (Kind == TestModelKind.Bert || (Embd / h) % 2 == 0))
            {
                return h;
            }
        }
        return 1;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field when the spec cannot give a loadable model.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Kind))
        {
            throw new ArgumentException($"Kind {(int)Kind} is not a known test model kind.", nameof(Kind));
        }
        if (!Enum.IsDefined(Quant))
        {
            throw new ArgumentException($"Quant {(int)Quant} is not a known test model quantization.", nameof(Quant));
        }
        if (ChatTemplate is not null && (Kind == TestModelKind.Bert || ChatTemplate.Length == 0))
        {
            throw new ArgumentException(Kind == TestModelKind.Bert
                ? "ChatTemplate cannot be set for a Bert model (embedding models have no chat template)."
                : "ChatTemplate must not be empty.", nameof(ChatTemplate));
        }
        if (Layers is < 1 or > 512)
        {
            throw new ArgumentException($"Layers must be between 1 and 512, got {Layers}.", nameof(Layers));
        }
        if (Embd is < 2 or > 8192)
        {
            throw new ArgumentException($"Embd must be between 2 and 8192, got {Embd}.", nameof(Embd));
        }
        if (Quant == TestModelQuant.Q8_0 && Embd % 32 != 0)
        {
            throw new ArgumentException($"Embd must be a multiple of 32 for Q8_0 (the Q8_0 block size), got {Embd}.", nameof(Embd));
        }
        var heads = EffectiveHeads;
        if (heads < 1 || heads > Embd)
        {
            throw new ArgumentException($"Heads must be between 1 and Embd ({Embd}), got {heads}.", nameof(Heads));
        }
        if (Embd % heads != 0)
        {
            throw new ArgumentException($"Heads ({heads}) must divide Embd ({Embd}).", nameof(Heads));
        }
        if (Kind != TestModelKind.Bert && (Embd / heads) % 2 != 0)
        {
            throw new ArgumentException($"Heads ({heads}) must leave an even head size for RoPE; Embd/Heads = {Embd / heads}.", nameof(Heads));
        }
        if (EffectiveFeedForward is < 1 or > 65536)
        {
            throw new ArgumentException($"FeedForward must be between 1 and 65536, got {EffectiveFeedForward}.", nameof(FeedForward));
        }
        var maxContext = Kind == TestModelKind.Bert ? 8192 : 1 << 20;
        if (EffectiveContextLength < 1 || EffectiveContextLength > maxContext)
        {
            throw new ArgumentException($"ContextLength must be between 1 and {maxContext}, got {EffectiveContextLength}.", nameof(ContextLength));
        }
    }
}
