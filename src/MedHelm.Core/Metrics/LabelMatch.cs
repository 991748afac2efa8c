namespace MedHelm.Core.Metrics;

/// <summary>
/// Exact match for word labels (PubMedQA's yes/no/maybe, MedHallu's 0/1): <c>label_match</c>.
/// </summary>
/// <remarks>
/// <see cref="ScoringMode.Helm"/>: the stripped output must equal the stripped gold exactly (case-sensitive), as
/// HELM's exact_match. <see cref="ScoringMode.Corrected"/>: case-insensitive; lead-ins ("Answer:", "The answer
/// is"), markdown, quotes and brackets are skipped, and the label must then be followed by the end of the text or a
/// non-alphanumeric character ("Yes.", "**no** — because", "Answer: maybe"; but "Not sure" is not "no").
/// </remarks>
public sealed class LabelMatch : MeanMetric
{
    /// <summary>The metric name.</summary>
    public const string MetricName = "label_match";

    private static readonly string[] LeadIns =
    [
        "the correct answer is", "the answer is", "final answer", "correct answer", "answer is", "answer", "label",
    ];

    /// <inheritdoc />
    public override string Name => MetricName;

    /// <inheritdoc />
    public override string Description => "Word-label exact match (yes/no/maybe, 0/1); gold a label, optional 'labels' array.";

    /// <inheritdoc />
    public override IReadOnlyList<string> RequiredFields { get; } = ["gold"];

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, double> Score(string? prediction, GoldRecord gold, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(gold);
        return new Dictionary<string, double>
        {
            [MetricName] = Score(prediction, gold.RequireString("gold"), mode, gold.OptionalStringArray("labels")),
        };
    }

    /// <summary>Scores one answer: 1 or 0.</summary>
    /// <param name="prediction">Raw model output.</param>
    /// <param name="gold">Gold label.</param>
    /// <param name="mode">Scoring mode.</param>
    /// <param name="labels">All labels of the task; the answer is read as the longest of them it starts with. Null: the gold only.</param>
    public static double Score(string? prediction, string gold, ScoringMode mode, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(gold);
        if (mode == ScoringMode.Helm)
        {
            return ExactMatch.Score(prediction, gold, ScoringMode.Helm);
        }

        var answer = Extract(prediction, labels ?? [gold.Trim()]);
        return answer is not null && string.Equals(answer, gold.Trim(), StringComparison.OrdinalIgnoreCase) ? 1 : 0;
    }

    /// <summary>Corrected-mode reading of an answer: the label it starts with (longest first), or null.</summary>
    public static string? Extract(string? prediction, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var rest = LetterAnswerExtractor.SkipLeadIns((prediction ?? string.Empty).AsSpan(), LeadIns);

        foreach (var label in labels.Select(l => l.Trim()).Where(l => l.Length > 0).OrderByDescending(l => l.Length))
        {
            if (rest.StartsWith(label, StringComparison.OrdinalIgnoreCase)
                && (rest.Length == label.Length || !char.IsLetterOrDigit(rest[label.Length])))
            {
                return label;
            }
        }

        return null;
    }
}
