using System.Globalization;
using System.Text.RegularExpressions;

namespace MedHelm.Core.Metrics;

/// <summary>What a MedEC answer says: no error (sentence id −1), an error in sentence N, or an error with no usable id (−2).</summary>
public readonly record struct MedecAnswer(bool ErrorFlag, int SentenceId);

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
        var expected = ParseGold(gold);
        var actual = ParsePrediction(prediction, mode);
        var flag = expected.ErrorFlag == actual.ErrorFlag ? 1 : 0;
        var sentence = expected.ErrorFlag && actual.ErrorFlag
            ? (expected.SentenceId == actual.SentenceId ? 1 : 0)
            : (!expected.ErrorFlag && !actual.ErrorFlag ? 1 : 0);
        return (flag, sentence);
    }

    /// <summary>Gold: "CORRECT" (after stripping) means no error; otherwise the leading digits are the sentence id (−1 if none).</summary>
    public static MedecAnswer ParseGold(string gold)
    {
        ArgumentNullException.ThrowIfNull(gold);
        var text = gold.Trim();
        if (text == "CORRECT")
        {
            return new MedecAnswer(false, -1);
        }

        var m = LeadingDigits().Match(text);
        return new MedecAnswer(true, m.Success ? ParseId(m.Groups[1].Value) : -1);
    }

    /// <summary>Reads a model answer.</summary>
    public static MedecAnswer ParsePrediction(string? prediction, ScoringMode mode)
    {
        var text = (prediction ?? string.Empty).Trim();
        if (mode == ScoringMode.Helm)
        {
            if (text == "CORRECT")
            {
                return new MedecAnswer(false, -1);
            }

            var m = LeadingDigits().Match(text);
            return new MedecAnswer(true, m.Success ? ParseId(m.Groups[1].Value) : -2);
        }

        var firstLine = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
        var core = firstLine.Trim(' ', '\t', '*', '_', '`', '"', '\'', '.', '!', ':', '#');
        if (string.Equals(core, "CORRECT", StringComparison.OrdinalIgnoreCase))
        {
            return new MedecAnswer(false, -1);
        }

        var id = TolerantId().Match(firstLine);
        return new MedecAnswer(true, id.Success ? ParseId(id.Groups[1].Value) : -2);
    }

    // Python int() of a huge digit string succeeds; an id that does not fit in an int cannot match any gold id.
    private static int ParseId(string digits) =>
        int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : int.MaxValue;

    [GeneratedRegex("^([0-9]+)")]
    private static partial Regex LeadingDigits();

    [GeneratedRegex(@"^[\s*_`""'\[(#]*(?:(?:sentence|error)?\s*(?:id|number|no\.?)?\s*[:#]?\s*)?([0-9]+)", RegexOptions.IgnoreCase)]
    private static partial Regex TolerantId();
}
