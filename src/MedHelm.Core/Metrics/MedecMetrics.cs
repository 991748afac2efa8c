using System.Numerics;
using System.Text.RegularExpressions;

namespace MedHelm.Core.Metrics;

/// <summary>What a MedEC answer says: no error (sentence id −1), an error in sentence N, or an error with no usable id (−2).</summary>
public readonly record struct MedecAnswer(bool ErrorFlag, BigInteger SentenceId);

/// <summary>
/// MedEC error detection: <c>medec_error_flag_accuracy</c> (main) and <c>medec_error_sentence_accuracy</c>.
/// </summary>
/// <remarks>
/// Gold is HELM's reference text: <c>CORRECT</c>, or "<c>&lt;sentence id&gt; &lt;corrected sentence&gt;</c>".
/// Flag accuracy = 1 when the predicted flag (error / no error) equals the gold flag. Sentence accuracy = 1 when
/// both say no error, or both say error and the predicted sentence id equals the gold id.
/// <see cref="ScoringMode.Helm"/> (HELM <c>MedecMetric</c>): "no error" only when the stripped output is exactly
/// <c>CORRECT</c>, so "CORRECT.", "Correct" or "**CORRECT**" count as flagging an error; the id must be the
/// leading digits of the output. <see cref="ScoringMode.Corrected"/>: the first non-empty line, with markdown,
/// quotes and trailing punctuation removed, equal to "correct" in any case means no error; the id may be written
/// "3", "Sentence 3:", "ID 3", "#3", "[3]".
/// </remarks>
public sealed partial class MedecMetrics : MeanMetric
{
    /// <summary>Main statistic.</summary>
    public const string FlagAccuracy = "medec_error_flag_accuracy";

    /// <summary>Secondary statistic.</summary>
    public const string SentenceAccuracy = "medec_error_sentence_accuracy";

    /// <inheritdoc />
    public override string Name => FlagAccuracy;

    /// <inheritdoc />
    public override string Description => "MedEC: error-flag accuracy (and sentence-id accuracy); gold 'CORRECT' or '<id> <corrected sentence>'.";

    /// <inheritdoc />
    public override IReadOnlyList<string> RequiredFields { get; } = ["gold"];

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, double> Score(string? prediction, GoldRecord gold, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(gold);
        var (flag, sentence) = Score(prediction, gold.RequireString("gold"), mode);
        return new Dictionary<string, double> { [FlagAccuracy] = flag, [SentenceAccuracy] = sentence };
    }

    /// <summary>Scores one answer: (flag accuracy, sentence accuracy), each 0 or 1.</summary>
    public static (double Flag, double Sentence) Score(string? prediction, string gold, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(gold);
        var expected = ParseGold(gold, mode);
        var actual = ParsePrediction(prediction, mode);
        var flag = expected.ErrorFlag == actual.ErrorFlag ? 1 : 0;
        var sentence = expected.ErrorFlag && actual.ErrorFlag
            ? (expected.SentenceId == actual.SentenceId ? 1 : 0)
            : (!expected.ErrorFlag && !actual.ErrorFlag ? 1 : 0);
        return (flag, sentence);
    }

    /// <summary>
    /// Reads the gold text. Helm (HELM from MedHELM v1 on): every period is deleted, the rest stripped; "CORRECT" means
    /// no error, otherwise the whole text must be an integer (Python <c>int()</c>) to give the sentence id, else −1 —
    /// so HELM's own "&lt;id&gt; &lt;corrected sentence&gt;" gold has id −1 and sentence accuracy 0 on every error note.
    /// Corrected: "CORRECT" (stripped, case and periods ignored) means no error; otherwise the leading digits are the id.
    /// </summary>
    public static MedecAnswer ParseGold(string gold, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(gold);
        if (mode == ScoringMode.Helm)
        {
            var text = PythonText.Strip(gold.Replace(".", "", StringComparison.Ordinal));
            return text == "CORRECT"
                ? new MedecAnswer(false, -1)
                : new MedecAnswer(true, PythonText.BigInt(text) ?? -1);
        }

        var trimmed = gold.Trim();
        if (trimmed.Replace(".", "", StringComparison.Ordinal).Trim().Equals("CORRECT", StringComparison.OrdinalIgnoreCase))
        {
            return new MedecAnswer(false, -1);
        }

        var m = LeadingDigits().Match(trimmed);
        return new MedecAnswer(true, m.Success ? PythonText.BigInt(m.Groups[1].Value)!.Value : -1);
    }

    /// <summary>Reads a model answer.</summary>
    public static MedecAnswer ParsePrediction(string? prediction, ScoringMode mode)
    {
        if (mode == ScoringMode.Helm)
        {
            var stripped = PythonText.Strip(prediction);
            if (stripped == "CORRECT")
            {
                return new MedecAnswer(false, -1);
            }

            var m = LeadingDigits().Match(stripped);
            return new MedecAnswer(true, m.Success ? PythonText.BigInt(m.Groups[1].Value)!.Value : -2);
        }

        var text = (prediction ?? string.Empty).Trim();
        var firstLine = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
        var core = firstLine.Trim(' ', '\t', '*', '_', '`', '"', '\'', '.', '!', ':', '#');
        if (string.Equals(core, "CORRECT", StringComparison.OrdinalIgnoreCase))
        {
            return new MedecAnswer(false, -1);
        }

        var id = TolerantId().Match(firstLine);
        return new MedecAnswer(true, id.Success ? PythonText.BigInt(id.Groups[1].Value)!.Value : -2);
    }

    [GeneratedRegex(@"^(\d+)")]
    private static partial Regex LeadingDigits();

    [GeneratedRegex(@"^[\s*_`""'\[(#]*(?:(?:sentence|error)?\s*(?:id|number|no\.?)?\s*[:#]?\s*)?([0-9]+)", RegexOptions.IgnoreCase)]
    private static partial Regex TolerantId();
}
