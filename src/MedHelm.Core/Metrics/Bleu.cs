namespace MedHelm.Core.Metrics;

/// <summary>
/// Sentence-level BLEU-4 of a prediction against one reference.
/// </summary>
/// <remarks>
/// <see cref="ScoringMode.Helm"/> reproduces HELM's <c>bleu_4</c>: NLTK <c>sentence_bleu</c> with
/// <c>weights=(0, 0, 0, 1)</c>, i.e. only the clipped 4-gram precision times the brevity penalty, no smoothing: with
/// no matching 4-gram NLTK substitutes <c>sys.float_info.min</c> (2.2e-308) for the precision, and so does this.
/// <see cref="ScoringMode.Corrected"/> is conventional BLEU-4: the geometric mean of the clipped 1- to 4-gram
/// precisions (weights 0.25 each) times the brevity penalty, with NLTK's smoothing method 1 (a zero n-gram match
/// count is replaced by 0.1). Both return 0 when no unigram matches. Tokenization: <see cref="Tokenize"/>.
/// </remarks>
public static class Bleu
{
    // sys.float_info.min: what NLTK's method0 puts in place of a zero precision.
    private const double PythonFloatMin = 2.2250738585072014E-308;

    /// <summary>Scores one prediction; 0..1.</summary>
    public static double Score(string? reference, string? prediction, ScoringMode mode) =>
        Score(Tokenize(reference), Tokenize(prediction), mode);

    /// <summary>Scores already tokenized text.</summary>
    public static double Score(IReadOnlyList<string> reference, IReadOnlyList<string> prediction, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(prediction);
        if (prediction.Count == 0 || reference.Count == 0)
        {
            return 0;
        }

        Span<double> numerators = stackalloc double[4];
        Span<double> denominators = stackalloc double[4];
        for (var n = 1; n <= 4; n++)
        {
            var referenceCounts = Count(reference, n);
            var predictionCounts = Count(prediction, n);
            var clipped = 0;
            foreach (var (gram, count) in predictionCounts)
            {
                clipped += Math.Min(count, referenceCounts.GetValueOrDefault(gram));
            }

            numerators[n - 1] = clipped;
            denominators[n - 1] = Math.Max(1, prediction.Count - n + 1);
        }

        if (numerators[0] == 0)
        {
            return 0;
        }

        double logSum;
        if (mode == ScoringMode.Helm)
        {
            logSum = Math.Log(numerators[3] == 0 ? PythonFloatMin : numerators[3] / denominators[3]);
        }
        else
        {
            logSum = 0;
            for (var i = 0; i < 4; i++)
            {
                var numerator = numerators[i] == 0 ? 0.1 : numerators[i];
                logSum += 0.25 * Math.Log(numerator / denominators[i]);
            }
        }

        return BrevityPenalty(reference.Count, prediction.Count) * Math.Exp(logSum);
    }

    private static double BrevityPenalty(int referenceLength, int predictionLength) =>
        predictionLength > referenceLength ? 1 : Math.Exp(1 - (referenceLength / (double)predictionLength));

    private static Dictionary<string, int> Count(IReadOnlyList<string> tokens, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i + n <= tokens.Count; i++)
        {
            var key = n == 1 ? tokens[i] : string.Join('\u0001', Enumerable.Range(i, n).Select(j => tokens[j]));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        return counts;
    }

    /// <summary>
    /// NLTK <c>word_tokenize</c>: the text is split into sentences (<see cref="SentenceSplitter"/>, an approximation of
    /// NLTK's trained punkt model), then each sentence is tokenized exactly as NLTK's Treebank tokenizer does
    /// (<see cref="TreebankWordTokenizer"/>). Case is kept.
    /// </summary>
    public static List<string> Tokenize(string? text)
    {
        var tokens = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return tokens;
        }

        foreach (var sentence in SentenceSplitter.Split(text))
        {
            tokens.AddRange(TreebankWordTokenizer.Tokenize(sentence));
        }

        return tokens;
    }
}
