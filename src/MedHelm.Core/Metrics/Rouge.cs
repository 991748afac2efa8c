using System.Collections.Concurrent;
using System.Numerics;
using System.Text;

namespace MedHelm.Core.Metrics;

/// <summary>Precision, recall and F-measure of one ROUGE comparison.</summary>
public readonly record struct RougeScore(double Precision, double Recall, double FMeasure)
{
    internal static RougeScore From(int overlap, int predictionCount, int referenceCount)
    {
        // rouge-score: precision = overlap / max(pred, 1), recall = overlap / max(ref, 1), F = 2PR/(P+R) or 0.
        var p = overlap / (double)Math.Max(predictionCount, 1);
        var r = overlap / (double)Math.Max(referenceCount, 1);
        return new RougeScore(p, r, p + r > 0 ? 2 * p * r / (p + r) : 0);
    }
}

/// <summary>
/// ROUGE-N and ROUGE-L (sentence-level LCS, not summary-level ROUGE-Lsum) as computed by Google's
/// <c>rouge-score</c> package with <c>use_stemmer=True</c>, which is how HELM calls it.
/// </summary>
/// <remarks>
/// Tokenizer, <see cref="ScoringMode.Helm"/>: lower-case, every character outside [a-z0-9] becomes a separator,
/// tokens longer than 3 characters are Porter-stemmed. So text in a non-Latin script (or letters with accents)
/// disappears. <see cref="ScoringMode.Corrected"/>: the same, except that any Unicode letter or digit is kept
/// (lower-cased); only pure ASCII tokens are stemmed.
/// </remarks>
public static class Rouge
{
    private const int StemCacheLimit = 200_000;
    private static readonly ConcurrentDictionary<string, string> StemCache = new(StringComparer.Ordinal);

    /// <summary>Splits and normalizes text as the ROUGE tokenizer of <paramref name="mode"/> does.</summary>
    public static List<string> Tokenize(string? text, ScoringMode mode)
    {
        var tokens = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return tokens;
        }

        var current = new StringBuilder();
        var ascii = true;
        foreach (var rune in text.EnumerateRunes())
        {
            if (mode == ScoringMode.Helm)
            {
                // Python str.lower() (İ becomes "i" + a combining dot), then everything outside [a-z0-9] separates.
                foreach (var c in PythonText.LowerToAscii(rune))
                {
                    if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
                    {
                        current.Append(c);
                    }
                    else if (current.Length > 0)
                    {
                        tokens.Add(Finish(current, ascii: true));
                    }
                }

                continue;
            }

            var lower = Rune.ToLowerInvariant(rune);
            var asciiChar = lower.Value is (>= 'a' and <= 'z') or (>= '0' and <= '9');
            if (asciiChar || Rune.IsLetterOrDigit(lower))
            {
                ascii &= asciiChar;
                current.Append(lower.ToString());
            }
            else if (current.Length > 0)
            {
                tokens.Add(Finish(current, ascii));
                ascii = true;
            }
        }

        if (current.Length > 0)
        {
            tokens.Add(Finish(current, ascii));
        }

        return tokens;
    }

    private static string Finish(StringBuilder current, bool ascii)
    {
        var token = current.ToString();
        current.Clear();
        if (!ascii || token.Length <= 3)
        {
            return token;
        }

        if (StemCache.TryGetValue(token, out var stem))
        {
            return stem;
        }

        stem = PorterStemmer.Stem(token);
        if (StemCache.Count < StemCacheLimit)
        {
            StemCache.TryAdd(token, stem);
        }

        return stem;
    }

    /// <summary>ROUGE-N (n = 1..4) of a prediction against one reference.</summary>
    public static RougeScore RougeN(string? reference, string? prediction, int n, ScoringMode mode) =>
        RougeN(Tokenize(reference, mode), Tokenize(prediction, mode), n);

    /// <summary>ROUGE-N over already tokenized text.</summary>
    public static RougeScore RougeN(IReadOnlyList<string> reference, IReadOnlyList<string> prediction, int n)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 4);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var referenceCounts = CountNgrams(ToIds(reference, ids), n);
        var predictionCounts = CountNgrams(ToIds(prediction, ids), n);
        var overlap = 0;
        foreach (var (gram, count) in predictionCounts)
        {
            if (referenceCounts.TryGetValue(gram, out var referenceCount))
            {
                overlap += Math.Min(count, referenceCount);
            }
        }

        return RougeScore.From(overlap, Math.Max(prediction.Count - n + 1, 0), Math.Max(reference.Count - n + 1, 0));
    }

    /// <summary>ROUGE-L of a prediction against one reference.</summary>
    public static RougeScore RougeL(string? reference, string? prediction, ScoringMode mode) =>
        RougeL(Tokenize(reference, mode), Tokenize(prediction, mode));

    /// <summary>ROUGE-L over already tokenized text: LCS / |prediction|, LCS / |reference|.</summary>
    public static RougeScore RougeL(IReadOnlyList<string> reference, IReadOnlyList<string> prediction)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(prediction);
        if (reference.Count == 0 || prediction.Count == 0)
        {
            return new RougeScore(0, 0, 0);
        }

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var a = ToIds(reference, ids);
        var b = ToIds(prediction, ids);
        return RougeScore.From(LongestCommonSubsequence(a, b), b.Length, a.Length);
    }

    /// <summary>
    /// Length of the longest common subsequence, bit-parallel (Hyyrö 2004): O(|a|·|b|/64) word operations.
    /// </summary>
    public static int LongestCommonSubsequence(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        if (a.IsEmpty || b.IsEmpty)
        {
            return 0;
        }

        var words = (a.Length + 63) >> 6;
        var maxId = 0;
        foreach (var id in a)
        {
            maxId = Math.Max(maxId, id);
        }

        // Match masks: bit i of masks[id] is set when a[i] == id.
        var masks = new ulong[]?[maxId + 1];
        for (var i = 0; i < a.Length; i++)
        {
            var mask = masks[a[i]] ??= new ulong[words];
            mask[i >> 6] |= 1UL << (i & 63);
        }

        var v = new ulong[words];
        Array.Fill(v, ulong.MaxValue);
        foreach (var id in b)
        {
            if ((uint)id >= (uint)masks.Length || masks[id] is not { } m)
            {
                continue;
            }

            // V' = (V + (V & M)) | (V & ~M), with the carry running across words.
            ulong carry = 0;
            for (var w = 0; w < words; w++)
            {
                var vw = v[w];
                var u = vw & m[w];
                var sum = vw + u;
                var carryOut = sum < vw ? 1UL : 0UL;
                var withCarry = sum + carry;
                if (withCarry < sum)
                {
                    carryOut = 1;
                }

                v[w] = withCarry | (vw & ~m[w]);
                carry = carryOut;
            }
        }

        var zeros = 0;
        for (var w = 0; w < words; w++)
        {
            var bits = Math.Min(64, a.Length - (w << 6));
            var valid = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
            zeros += BitOperations.PopCount(~v[w] & valid);
        }

        return zeros;
    }

    private static int[] ToIds(IReadOnlyList<string> tokens, Dictionary<string, int> ids)
    {
        var result = new int[tokens.Count];
        for (var i = 0; i < result.Length; i++)
        {
            if (!ids.TryGetValue(tokens[i], out var id))
            {
                id = ids.Count;
                ids.Add(tokens[i], id);
            }

            result[i] = id;
        }

        return result;
    }

    private static Dictionary<(int, int, int, int), int> CountNgrams(int[] tokens, int n)
    {
        var counts = new Dictionary<(int, int, int, int), int>();
        for (var i = 0; i + n <= tokens.Length; i++)
        {
            var key = (tokens[i], n > 1 ? tokens[i + 1] : -1, n > 2 ? tokens[i + 2] : -1, n > 3 ? tokens[i + 3] : -1);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        return counts;
    }
}
