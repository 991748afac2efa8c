namespace MedHelm.Core.Metrics;

/// <summary>One contextual token embedding: the token's id (for idf weighting) and its vector.</summary>
public sealed record TokenVector(int TokenId, float[] Vector);

/// <summary>
/// Produces contextual token embeddings of a text (special tokens such as [CLS]/[SEP] left out). Implemented over
/// a local BERT-family GGUF model in MedHelm.Inference.Llama.
/// </summary>
public interface ITokenEmbedder
{
    /// <summary>The embedding model's name, recorded with scores.</summary>
    string ModelName { get; }

    IReadOnlyList<TokenVector> EmbedTokens(string text);
}

/// <summary>BERTScore precision, recall and F1 of one candidate against one reference.</summary>
public sealed record BertScoreResult(double Precision, double Recall, double F1);

/// <summary>
/// BERTScore (Zhang et al., 2020): every candidate token is matched greedily to its most similar reference token
/// (cosine similarity of contextual embeddings) and the other way round. Precision is the (idf-weighted) mean of the
/// candidate tokens' best similarities, recall the same over the reference tokens, F1 their harmonic mean. No
/// baseline rescaling. An empty side gives 0. When idf weights sum to zero on a side (every token is in every
/// reference), tokens are weighted equally instead of dividing by zero.
/// </summary>
public static class BertScore
{
    public static BertScoreResult Compute(IReadOnlyList<TokenVector> candidate, IReadOnlyList<TokenVector> reference, IReadOnlyDictionary<int, double>? idf = null)
    {
        if (candidate.Count == 0 || reference.Count == 0)
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

        if (idf is not null && (candidate.Sum(t => Weight(idf, t.TokenId)) <= 0 || reference.Sum(t => Weight(idf, t.TokenId)) <= 0))
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

            var w = Weight(idf, candidate[i].TokenId);
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

            var w = Weight(idf, reference[j].TokenId);
            recall += w * best;
            recallWeight += w;
        }

        var p = precisionWeight > 0 ? precision / precisionWeight : 0;
        var rec = recallWeight > 0 ? recall / recallWeight : 0;
        var f = p + rec > 0 ? 2 * p * rec / (p + rec) : 0;
        return new BertScoreResult(p, rec, f);
    }

    /// <summary>idf(w) = ln((M + 1) / (df(w) + 1)) over M reference texts, as in the BERTScore paper's code.</summary>
    public static IReadOnlyDictionary<int, double> InverseDocumentFrequency(IEnumerable<IEnumerable<int>> referenceTokenIds)
    {
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

        return documentFrequency.ToDictionary(kv => kv.Key, kv => Math.Log((documents + 1.0) / (kv.Value + 1.0)));
    }

    private static double Weight(IReadOnlyDictionary<int, double>? idf, int token) =>
        idf is null ? 1.0 : idf.TryGetValue(token, out var w) ? w : Math.Log(2.0); // unseen tokens: as if in no document of one

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
public sealed class BertScoreMetric(ITokenEmbedder embedder, IReadOnlyDictionary<int, double>? idf = null) : MeanMetric
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
