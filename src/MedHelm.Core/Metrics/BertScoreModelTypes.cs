namespace MedHelm.Core.Metrics;

/// <summary>A model bert_score knows: the hidden layer it scores with and whether its tokenizer lowercases.</summary>
/// <param name="Name">The Hugging Face model name (bert_score's model_type).</param>
/// <param name="Layer">The hidden state bert_score uses: 0 is the embedding output, N the output of the N-th layer.</param>
/// <param name="LowerCase">True for an uncased model (its tokenizer lowercases and strips accents).</param>
public sealed record BertScoreModelType(string Name, int Layer, bool LowerCase);

/// <summary>
/// The layers bert_score picks by default (its model2layers table, tuned on WMT16 by its authors) for the models with a
/// WordPiece vocabulary (vocab.txt), the only tokenizer the ONNX path reads. HELM's MedHELM runs use
/// distilbert-base-uncased, layer 5 of 6.
/// </summary>
public static class BertScoreModelTypes
{
    /// <summary>HELM's BERTScore model in MedHELM.</summary>
    public const string HelmDefault = "distilbert-base-uncased";

    /// <summary>The known models.</summary>
    public static IReadOnlyList<BertScoreModelType> Known { get; } =
    [
        new("distilbert-base-uncased", 5, true),
        new("distilbert-base-uncased-distilled-squad", 4, true),
        new("distilbert-base-multilingual-cased", 5, false),
        new("bert-base-uncased", 9, true),
        new("bert-large-uncased", 18, true),
        new("bert-base-cased-finetuned-mrpc", 9, false),
        new("bert-base-multilingual-cased", 9, false),
        new("allenai/scibert_scivocab_uncased", 8, true),
        new("allenai/scibert_scivocab_cased", 9, false),
        new("nfliu/scibert_basevocab_uncased", 9, true),
    ];

    /// <summary>The entry for <paramref name="name"/> (case-insensitive), or null.</summary>
    public static BertScoreModelType? Find(string? name) =>
        name is null ? null : Known.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
}
