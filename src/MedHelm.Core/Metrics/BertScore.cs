namespace MedHelm.Core.Metrics;

/// <summary>One contextual token embedding: the token's id (for idf weighting) and its vector.</summary>
/// <param name="TokenId">The token's id in the model's vocabulary.</param>
/// <param name="Vector">The token's contextual embedding.</param>
/// <param name="Special">
/// A special token ([CLS], [SEP]) that bert_score keeps: it can be the best match of another token but carries no
/// weight of its own.
/// </param>
public sealed record TokenVector(int TokenId, float[] Vector, bool Special = false);

/// <summary>
/// Produces contextual token embeddings of a text. Implemented over a BERT-family GGUF model's final layer in
/// MedHelm.Inference.Llama (special tokens left out) and over an ONNX export's hidden states of one layer in
/// MedHelm.Inference.Onnx (special tokens kept and marked, as bert_score does).
/// </summary>
public interface ITokenEmbedder
{
    /// <summary>The embedding model's name, recorded with scores.</summary>
    string ModelName { get; }

    IReadOnlyList<TokenVector> EmbedTokens(string text);

    /// <summary>The text's token ids without special tokens (what idf weights are counted over).</summary>
    IReadOnlyList<int> TokenIds(string text);
}

/// <summary>
/// idf weights as bert_score computes them over M reference texts: idf(w) = ln((M + 1) / (df(w) + 1)) for a token
/// seen in df(w) of them, ln(M + 1) for a token seen in none.
/// </summary>
public sealed class IdfWeights(IReadOnlyDictionary<int, double> known, double unseen)
{
    /// <summary>The weights of the tokens seen in the reference texts.</summary>
    public IReadOnlyDictionary<int, double> Known { get; } = known;

    /// <summary>The weight of a token seen in no reference text.</summary>
    public double Unseen { get; } = unseen;

    /// <summary>The weight of <paramref name="token"/>.</summary>
    public double this[int token] => Known.TryGetValue(token, out var w) ? w : Unseen;
}

/// <summary>BERTScore precision, recall and F1 of one candidate against one reference.</summary>
public sealed record BertScoreResult(double Precision, double Recall, double F1);

/// <summary>
/// BERTScore (Zhang et al., 2020): every candidate token is matched greedily to its most similar reference token
/// (cosine similarity of contextual embeddings) and the other way round. Precision is the (idf-weighted) mean of the
/// candidate tokens' best similarities, recall the same over the reference tokens, F1 = 2PR / (P + R) (0 when
/// P + R = 0). Special tokens (<see cref="TokenVector.Special"/>) take part in the matching as bert_score's [CLS] and
/// [SEP] do, with weight 0. No baseline rescaling (HELM's MedHELM runs set rescale_with_baseline=False). A side with no
/// non-special token gives 0, as bert_score does for an empty sentence. Where bert_score would divide by zero (idf
/// weights that sum to zero on a side: every token is in every reference) the tokens are weighted equally instead.
/// </summary>
public static class BertScore
{
    public static BertScoreResult Compute(IReadOnlyList<TokenVector> candidate, IReadOnlyList<TokenVector> reference, IdfWeights? idf = null)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(reference);
        if (!candidate.Any(t => !t.Special) || !reference.Any(t => !t.Special))
        {
            return new BertScoreResult(0, 0, 0);
        }

        var c = candidate.Select(t => Normalize(t.Vector)).ToArray();
        var r = reference.Select(t => Normalize(t.Vector)).ToArray();
        var similarity = new double[c.Length, r.Length];
        for (var i = 0; i < c.Length; i++)
        {
            for (var j = 0; j < r.Length; j++)
            {
                similarity[i, j] = Dot(c[i], r[j]);
            }
        }

        if (idf is not null && (candidate.Sum(t => Weight(idf, t)) <= 0 || reference.Sum(t => Weight(idf, t)) <= 0))
        {
            // every token occurs in every reference: idf gives no information, so weigh tokens equally
            idf = null;
        }

        double precision = 0, precisionWeight = 0;
        for (var i = 0; i < c.Length; i++)
        {
            var best = double.NegativeInfinity;
            for (var j = 0; j < r.Length; j++)
            {
                best = Math.Max(best, similarity[i, j]);
            }

            var w = Weight(idf, candidate[i]);
            precision += w * best;
            precisionWeight += w;
        }

        double recall = 0, recallWeight = 0;
        for (var j = 0; j < r.Length; j++)
        {
            var best = double.NegativeInfinity;
            for (var i = 0; i < c.Length; i++)
            {
                best = Math.Max(best, similarity[i, j]);
            }

            var w = Weight(idf, reference[j]);
            recall += w * best;
            recallWeight += w;
        }

        var p = precisionWeight > 0 ? precision / precisionWeight : 0;
        var rec = recallWeight > 0 ? recall / recallWeight : 0;
        var f = p + rec != 0 ? 2 * p * rec / (p + rec) : 0;
        return new BertScoreResult(p, rec, f);
    }

    /// <summary>
    /// idf(w) = ln((M + 1) / (df(w) + 1)) over M reference texts (their token ids without special tokens), ln(M + 1)
    /// for a token in none of them, as bert_score's get_idf_dict.
    /// </summary>
    public static IdfWeights InverseDocumentFrequency(IEnumerable<IEnumerable<int>> referenceTokenIds)
    {
        ArgumentNullException.ThrowIfNull(referenceTokenIds);
        var documentFrequency = new Dictionary<int, int>();
        var documents = 0;
        foreach (var document in referenceTokenIds)
        {
            documents++;
            foreach (var id in document.Distinct())
            {
                documentFrequency[id] = documentFrequency.GetValueOrDefault(id) + 1;
            }
        }

        return new IdfWeights(
            documentFrequency.ToDictionary(kv => kv.Key, kv => Math.Log((documents + 1.0) / (kv.Value + 1.0))),
            Math.Log(documents + 1.0));
    }

    private static double Weight(IdfWeights? idf, TokenVector token) =>
        token.Special ? 0.0 : idf is null ? 1.0 : idf[token.TokenId];

    private static double[] Normalize(float[] v)
    {
        double norm = 0;
        foreach (var x in v)
        {
            norm += (double)x * x;
        }

        norm = Math.Sqrt(norm);
        return norm == 0 ? new double[v.Length] : v.Select(x => x / norm).ToArray();
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}

/// <summary>
/// The <c>bertscore</c> metric: precision, recall and F1 from an <see cref="ITokenEmbedder"/>. Main statistic
/// <c>bertscore_f1</c>. The same in helm and corrected mode (HELM computes it with the same definition).
/// </summary>
public sealed class BertScoreMetric(ITokenEmbedder embedder, IdfWeights? idf = null) : MeanMetric
{
    public const string MetricName = "bertscore_f1";

    public override string Name => MetricName;

    public override string Description => $"BERTScore F1 (greedy cosine matching of {embedder.ModelName} token embeddings{(idf is null ? "" : ", idf-weighted")}); gold the reference text.";

    public override IReadOnlyList<string> RequiredFields { get; } = ["gold"];

    public override IReadOnlyDictionary<string, double> Score(string? prediction, GoldRecord gold, ScoringMode mode)
    {
        var reference = gold.RequireString("gold");
        var result = BertScore.Compute(embedder.EmbedTokens(prediction ?? ""), embedder.EmbedTokens(reference), idf);
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [MetricName] = result.F1,
            ["bertscore_precision"] = result.Precision,
            ["bertscore_recall"] = result.Recall,
        };
    }
}
