namespace MedHelm.Inference.Onnx.Tests.Support;

/// <summary>
/// BERTScore as bert_score defines it, written here independently of MedHelm.Core: every token's embedding
/// normalised, greedy matching over all tokens ([CLS] and [SEP] included), token weights normalised per sentence with
/// [CLS] and [SEP] at 0 (idf: ln((M + 1) / (df + 1)), ln(M + 1) unseen), F = 2PR / (P + R), and 0 for a sentence of
/// only [CLS] and [SEP].
/// </summary>
internal static class ReferenceBertScore
{
    public static (double P, double R, double F) Score(double[][] candidate, int[] candidateIds, double[][] reference, int[] referenceIds, Func<int, double> weight)
    {
        if (candidate.Length <= 2 || reference.Length <= 2)
        {
            return (0, 0, 0);
        }

        var c = candidate.Select(Unit).ToArray();
        var r = reference.Select(Unit).ToArray();
        var sim = c.Select(ci => r.Select(rj => ci.Zip(rj, (a, b) => a * b).Sum()).ToArray()).ToArray();
        var p = Weighted(candidateIds, i => sim[i].Max(), weight);
        var rec = Weighted(referenceIds, j => sim.Select(row => row[j]).Max(), weight);
        return (p, rec, p + rec == 0 ? 0 : 2 * p * rec / (p + rec));
    }

    /// <summary>bert_score's get_idf_dict over <paramref name="references"/> (token ids with [CLS]/[SEP]), then [CLS] and [SEP] set to 0.</summary>
    public static Func<int, double> Idf(IReadOnlyList<int[]> references, int cls, int sep)
    {
        var df = references.SelectMany(ids => ids.Distinct()).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        var m = references.Count;
        return id => id == cls || id == sep ? 0 : df.TryGetValue(id, out var n) ? Math.Log((m + 1.0) / (n + 1.0)) : Math.Log(m + 1.0);
    }

    /// <summary>Without idf: 1 per token, [CLS] and [SEP] 0.</summary>
    public static Func<int, double> Uniform(int cls, int sep) => id => id == cls || id == sep ? 0 : 1;

    private static double Weighted(int[] ids, Func<int, double> best, Func<int, double> weight)
    {
        var total = ids.Sum(weight);
        return ids.Select((id, i) => weight(id) / total * best(i)).Sum();
    }

    private static double[] Unit(double[] v)
    {
        var norm = Math.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }
}
