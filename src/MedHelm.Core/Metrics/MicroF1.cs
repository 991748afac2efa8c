using System.Text.RegularExpressions;

namespace MedHelm.Core.Metrics;

/// <summary>
/// Micro-averaged F1 for multi-label answers: true/false positives and false negatives are summed over all
/// instances first, then F1 = 2·TP / (2·TP + FP + FN) (0 when the sum is 0); <c>micro_precision</c> and
/// <c>micro_recall</c> likewise. Per-instance statistics are the counts and the instance's own F1.
/// </summary>
/// <remarks>
/// Labels are separated by commas, semicolons or new lines (the gold may also be a JSON array).
/// <see cref="ScoringMode.Helm"/>: labels are compared exactly after trimming white space.
/// <see cref="ScoringMode.Corrected"/>: also case-insensitive, and list markers ("-", "*", "1.", "1)"), markdown
/// emphasis, quotes and trailing periods are removed; a lead-in such as "Answer:" or "Labels:" before the first
/// label is dropped.
/// </remarks>
public sealed partial class MicroF1 : IMetric
{
    /// <summary>Main statistic.</summary>
    public const string MetricName = "micro_f1";

    /// <inheritdoc />
    public string Name => MetricName;

    /// <inheritdoc />
    public string Description => "Micro-F1 over multi-label answers (labels separated by , ; or new lines); gold a string or an array.";

    /// <inheritdoc />
    public IReadOnlyList<string> RequiredFields { get; } = ["gold"];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Score(string? prediction, GoldRecord gold, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(gold);
        var goldLabels = gold.Get("gold") is { ValueKind: System.Text.Json.JsonValueKind.Array }
            ? ParseLabels(string.Join('\n', gold.OptionalStringArray("gold")!), mode)
            : ParseLabels(gold.RequireString("gold"), mode);
        var s = SetScores.Compare(goldLabels, ParseLabels(prediction, mode));
        return new Dictionary<string, double>
        {
            [MetricName] = s.F1, ["tp"] = s.TruePositives, ["fp"] = s.FalsePositives, ["fn"] = s.FalseNegatives,
        };
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Aggregate(IReadOnlyList<IReadOnlyDictionary<string, double>> instances, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(instances);
        double tp = 0, fp = 0, fn = 0;
        foreach (var i in instances)
        {
            tp += i.GetValueOrDefault("tp");
            fp += i.GetValueOrDefault("fp");
            fn += i.GetValueOrDefault("fn");
        }

        return new Dictionary<string, double>
        {
            [MetricName] = tp == 0 ? 0 : 2 * tp / ((2 * tp) + fp + fn),
            ["micro_precision"] = tp + fp == 0 ? 0 : tp / (tp + fp),
            ["micro_recall"] = tp + fn == 0 ? 0 : tp / (tp + fn),
        };
    }

    /// <summary>Corpus micro-F1 of label sets (index-aligned).</summary>
    public static double Compute(IReadOnlyList<IReadOnlySet<string>> gold, IReadOnlyList<IReadOnlySet<string>> predicted)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        if (gold.Count != predicted.Count)
        {
            throw new ArgumentException("gold and predicted must have the same number of instances", nameof(predicted));
        }

        int tp = 0, fp = 0, fn = 0;
        for (var i = 0; i < gold.Count; i++)
        {
            var s = SetScores.Compare(gold[i], predicted[i]);
            tp += s.TruePositives;
            fp += s.FalsePositives;
            fn += s.FalseNegatives;
        }

        return tp == 0 ? 0 : 2.0 * tp / ((2.0 * tp) + fp + fn);
    }

    /// <summary>The label set of an answer.</summary>
    public static HashSet<string> ParseLabels(string? text, ScoringMode mode)
    {
        var labels = new HashSet<string>(mode == ScoringMode.Helm ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(text))
        {
            return labels;
        }

        var body = mode == ScoringMode.Corrected ? LeadIn().Replace(text, "") : text;
        foreach (var part in body.Split([',', ';', '\n'], StringSplitOptions.TrimEntries))
        {
            var label = mode == ScoringMode.Helm ? part : ListMarker().Replace(part, "").Trim(' ', '\t', '\r', '*', '_', '`', '"', '\'', '.');
            if (label.Length > 0)
            {
                labels.Add(mode == ScoringMode.Helm ? label : label.ToLowerInvariant());
            }
        }

        return labels;
    }

    [GeneratedRegex(@"^\s*\**\s*(?:final\s+)?(?:answer|labels?|categories|category)\s*\**\s*:\s*", RegexOptions.IgnoreCase)]
    private static partial Regex LeadIn();

    [GeneratedRegex(@"^\s*(?:[-*•]|[0-9]+[.)])\s+")]
    private static partial Regex ListMarker();
}
