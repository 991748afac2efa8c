namespace MedHelm.Core.Metrics;

/// <summary>The exact_match metric for letter answers.</summary>
public static class ExactMatch
{
    /// <summary>Metric name as HELM reports it.</summary>
    public const string MetricName = "exact_match";

    private static readonly char[] AllLetters = Enumerable.Range('A', 26).Select(i => (char)i).ToArray();

    /// <summary>
    /// Scores one model output against the gold answer: 1 or 0.
    /// Helm mode compares the stripped output with the stripped gold exactly (HELM's exact_match).
    /// Corrected mode extracts a letter with <see cref="LetterAnswerExtractor"/> and compares it with the gold letter.
    /// </summary>
    /// <param name="prediction">Raw model output.</param>
    /// <param name="gold">Gold answer; for letter answers a single letter.</param>
    /// <param name="mode">Scoring mode.</param>
    /// <param name="validLetters">Option letters of the instance; null means A-Z.</param>
    public static double Score(string? prediction, string gold, ScoringMode mode, IReadOnlyList<char>? validLetters = null)
    {
        ArgumentNullException.ThrowIfNull(gold);
        if (mode == ScoringMode.Helm)
        {
            // HELM strips the completion, scores an empty one 0, and compares it with the stripped gold (Python strip()).
            var output = PythonText.Strip(prediction);
            return output.Length > 0 && string.Equals(output, PythonText.Strip(gold), StringComparison.Ordinal) ? 1 : 0;
        }

        var goldTrimmed = gold.Trim();

        if (goldTrimmed.Length != 1)
        {
            return 0;
        }

        var letter = LetterAnswerExtractor.Extract(prediction, validLetters ?? AllLetters, mode);
        return letter is { } l && l == char.ToUpperInvariant(goldTrimmed[0]) ? 1 : 0;
    }
}
