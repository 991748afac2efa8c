using System.Text.RegularExpressions;

namespace MedHelm.Core.Metrics;

/// <summary>Per-instance precision, recall and F1 over two code sets.</summary>
public readonly record struct SetScores(double Precision, double Recall, double F1, int TruePositives, int FalsePositives, int FalseNegatives)
{
    /// <summary>sklearn micro scores of one instance with <c>zero_division=0</c>.</summary>
    public static SetScores Compare(IReadOnlySet<string> gold, IReadOnlySet<string> predicted)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        var tp = predicted.Count(gold.Contains);
        var fp = predicted.Count - tp;
        var fn = gold.Count - tp;
        var p = predicted.Count == 0 ? 0 : tp / (double)predicted.Count;
        var r = gold.Count == 0 ? 0 : tp / (double)gold.Count;
        var f = tp == 0 ? 0 : 2.0 * tp / ((2.0 * tp) + fp + fn);
        return new SetScores(p, r, f, tp, fp, fn);
    }
}

/// <summary>
/// MIMIC-IV billing codes: <c>mimiciv_billing_code_f1</c> (main), <c>_precision</c>, <c>_recall</c>, computed per
/// instance over the de-duplicated code sets and averaged over instances.
/// </summary>
/// <remarks>
/// <see cref="ScoringMode.Helm"/> parses codes as HELM does, from both the output and the gold string: remove
/// <c>**</c>, find <c>\b[A-Z]\d{1,3}(?:\.\d{1,4})?\.?\b</c>, strip trailing dots. Undotted codes with 4+ digits
/// after the letter ("E1165") are missed, and letter-suffixed codes shrink to their category ("S72.001A" →
/// "S72"). <see cref="ScoringMode.Corrected"/> parses full ICD-10-CM codes: a letter, a digit, a digit or letter,
/// then optionally up to 4 digits/letters with or without the dot (E11.65, E1165, S72.001A, T36.0X1A, C4A.0,
/// lower case accepted); codes are compared without the dot and in upper case, so "E11.65" = "E1165".
/// </remarks>
public sealed partial class BillingCodeF1 : MeanMetric
{
    /// <summary>Main statistic.</summary>
    public const string F1Name = "mimiciv_billing_code_f1";

    /// <summary>Secondary statistic.</summary>
    public const string PrecisionName = "mimiciv_billing_code_precision";

    /// <summary>Secondary statistic.</summary>
    public const string RecallName = "mimiciv_billing_code_recall";

    /// <inheritdoc />
    public override string Name => F1Name;

    /// <inheritdoc />
    public override string Description => "MIMIC-IV billing codes: per-instance P/R/F1 over ICD-10 code sets, averaged; gold a comma-separated string or an array.";

    /// <inheritdoc />
    public override IReadOnlyList<string> RequiredFields { get; } = ["gold"];

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, double> Score(string? prediction, GoldRecord gold, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(gold);
        var s = Score(prediction, gold.RequireStringOrList("gold"), mode);
        return new Dictionary<string, double> { [F1Name] = s.F1, [PrecisionName] = s.Precision, [RecallName] = s.Recall };
    }

    /// <summary>Scores one instance.</summary>
    public static SetScores Score(string? prediction, string gold, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(gold);
        var goldCodes = ExtractCodes(gold, mode);
        var predictedCodes = ExtractCodes(mode == ScoringMode.Helm ? PythonText.Strip(prediction) : prediction, mode);
        if (mode == ScoringMode.Helm && goldCodes.Count == 0 && predictedCodes.Count == 0)
        {
            // MultiLabelBinarizer(classes=[]) gives zero-width label matrices and scikit-learn's scores raise.
            throw new ReferenceUndefinedException("ValueError", "no billing code in either the gold or the answer");
        }

        return SetScores.Compare(goldCodes, predictedCodes);
    }

    /// <summary>The de-duplicated code set found in the text.</summary>
    public static HashSet<string> ExtractCodes(string? text, ScoringMode mode)
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(text))
        {
            return codes;
        }

        if (mode == ScoringMode.Helm)
        {
            foreach (Match m in HelmCode().Matches(text.Replace("**", "", StringComparison.Ordinal)))
            {
                codes.Add(m.Value.TrimEnd('.').Trim());
            }
        }
        else
        {
            foreach (Match m in FullCode().Matches(text))
            {
                codes.Add((m.Groups[1].Value + m.Groups[2].Value).ToUpperInvariant());
            }
        }

        return codes;
    }

    // HELM's \b[A-Z]\d{1,3}(?:\.\d{1,4})?\.?\b with Python's word characters (letters, every numeric character such
    // as ² or ½, and '_'; not combining marks), which differ from .NET's \w.
    [GeneratedRegex(@"(?<![\p{L}\p{N}_])[A-Z]\d{1,3}(?:\.\d{1,4})?\.?(?:(?<=[\p{L}\p{N}_])(?![\p{L}\p{N}_])|(?<![\p{L}\p{N}_])(?=[\p{L}\p{N}_]))")]
    private static partial Regex HelmCode();

    // Category (letter, digit, digit-or-letter), then an optional subcategory of 1-4 characters, dotted or not.
    [GeneratedRegex(@"(?<![A-Za-z0-9])([A-Za-z][0-9][0-9A-Za-z])(?:\.?([0-9A-Za-z]{1,4}))?(?![A-Za-z0-9])")]
    private static partial Regex FullCode();
}
