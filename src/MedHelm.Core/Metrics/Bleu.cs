using System.Text.RegularExpressions;

namespace MedHelm.Core.Metrics;

/// <summary>
/// Sentence-level BLEU-4 of a prediction against one reference.
/// </summary>
/// <remarks>
/// <see cref="ScoringMode.Helm"/> reproduces HELM's <c>bleu_4</c>: NLTK <c>sentence_bleu</c> with
/// <c>weights=(0, 0, 0, 1)</c>, i.e. only the clipped 4-gram precision times the brevity penalty, no smoothing
/// (a prediction with no matching 4-gram scores 0). <see cref="ScoringMode.Corrected"/> is conventional BLEU-4:
/// the geometric mean of the clipped 1- to 4-gram precisions (weights 0.25 each) times the brevity penalty,
/// with NLTK's smoothing method 1 (a zero n-gram match count is replaced by 0.1). Both return 0 when no unigram
/// matches. Tokenization approximates NLTK's <c>word_tokenize</c> (Treebank rules) in both modes.
/// </remarks>
public static partial class Bleu
{
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
            if (numerators[3] == 0)
            {
                return 0; // NLTK returns ~2.2e-308 (sys.float_info.min) here.
            }

            logSum = Math.Log(numerators[3] / denominators[3]);
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
    /// Approximates NLTK <c>word_tokenize</c>: splits punctuation, quotes, brackets and English contractions
    /// ("don't" → "do", "n't") off words, and a period that ends a sentence. Case is kept.
    /// </summary>
    public static List<string> Tokenize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var t = StartQuote().Replace(text, "``");
        t = OpeningQuote().Replace(t, "$1 `` ");
        t = Ellipsis().Replace(t, " ... ");
        t = CommaColon().Replace(t, " $1 $2");
        t = CommaColonEnd().Replace(t, " $1 ");
        t = Symbols().Replace(t, " $0 ");
        t = SentencePeriod().Replace(t, "$1 . ");
        t = QuestionBang().Replace(t, " $0 ");
        t = Brackets().Replace(t, " $0 ");
        t = DoubleDash().Replace(t, " -- ");
        t = " " + t.Replace("\"", " '' ", StringComparison.Ordinal) + " ";
        t = SingleQuote().Replace(t, "$1 ' ");
        t = ContractionA().Replace(t, "$1 $2 ");
        t = ContractionB().Replace(t, "$1 $2 ");
        return [.. t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)];
    }

    [GeneratedRegex("^\"")]
    private static partial Regex StartQuote();

    [GeneratedRegex("([ (\\[{<])\"")]
    private static partial Regex OpeningQuote();

    [GeneratedRegex("\\.\\.\\.")]
    private static partial Regex Ellipsis();

    [GeneratedRegex("([:,])([^\\d])")]
    private static partial Regex CommaColon();

    [GeneratedRegex("([:,])$")]
    private static partial Regex CommaColonEnd();

    [GeneratedRegex("[;@#$%&]")]
    private static partial Regex Symbols();

    // A period after a non-period character, followed by optional closing brackets/quotes and white space or the end.
    [GeneratedRegex("([^.\\s])\\.(?=[\\]\\)}>\"']*(?:\\s|$))")]
    private static partial Regex SentencePeriod();

    [GeneratedRegex("[?!]")]
    private static partial Regex QuestionBang();

    [GeneratedRegex("[\\]\\[(){}<>]")]
    private static partial Regex Brackets();

    [GeneratedRegex("--")]
    private static partial Regex DoubleDash();

    [GeneratedRegex("([^'])' ")]
    private static partial Regex SingleQuote();

    [GeneratedRegex("([^' ])('[sS]|'[mM]|'[dD]|') ")]
    private static partial Regex ContractionA();

    [GeneratedRegex("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ")]
    private static partial Regex ContractionB();
}
