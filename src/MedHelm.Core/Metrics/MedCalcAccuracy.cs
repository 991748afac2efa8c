using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;

namespace MedHelm.Core.Metrics;

/// <summary>
/// MedCalc-Bench accuracy (<c>medcalc_bench_accuracy</c>, HELM's statistic name): 1 when the answer is right for the
/// calculator's category, else 0.
/// </summary>
/// <remarks>
/// <para><see cref="ScoringMode.Helm"/> (HELM <c>MedCalcBenchMetric</c>): the stripped output must equal the gold
/// text exactly for <c>risk</c>, <c>severity</c>, <c>diagnosis</c> ("3.0" ≠ "3"); <c>physical</c> and
/// <c>dosage conversion</c> need the whole output to parse as a number within [lower, upper]; <c>date</c> needs
/// exactly <c>MM/DD/YYYY</c> (or the gold's <c>('X weeks', 'Y days')</c> form) within the limits. Every other
/// category — the dataset's <c>lab</c> and <c>dosage</c> — scores 0 (stanford-crfm/helm #4351).</para>
/// <para><see cref="ScoringMode.Corrected"/>: the first number in the output is used (units, "Answer:" and
/// thousands separators tolerated); risk/severity/diagnosis compare it numerically with the gold answer
/// ("3.0" = "3"); every other non-date category (lab, lab test, physical, dosage, dosage conversion, and any
/// unknown one) is range-checked against [lower, upper]; dates may be M/D/YYYY or YYYY-MM-DD anywhere in the
/// output; gestational ages may be written "14 weeks 2 days", "14w 2d", "(14, 2)" or the gold tuple form.</para>
/// </remarks>
public sealed partial class MedCalcAccuracy : MeanMetric
{
    /// <summary>The metric name.</summary>
    public const string MetricName = "medcalc_bench_accuracy";

    /// <inheritdoc />
    public override string Name => MetricName;

    /// <inheritdoc />
    public override string Description => "MedCalc-Bench: exact for risk/severity/diagnosis, [lower_limit, upper_limit] for numbers, dates and gestational ages.";

    /// <inheritdoc />
    public override IReadOnlyList<string> RequiredFields { get; } = ["category", "gold", "lower_limit", "upper_limit"];

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, double> Score(string? prediction, GoldRecord gold, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(gold);
        var score = Score(prediction, gold.RequireString("category"), gold.RequireString("gold"),
            gold.RequireString("lower_limit"), gold.RequireString("upper_limit"), mode);
        return new Dictionary<string, double> { [MetricName] = score };
    }

    /// <summary>Scores one answer: 1 or 0.</summary>
    /// <param name="prediction">Raw model output.</param>
    /// <param name="category">The dataset's <c>Category</c> (risk, severity, diagnosis, lab, physical, dosage, date).</param>
    /// <param name="gold">The dataset's <c>Ground Truth Answer</c>.</param>
    /// <param name="lowerLimit">The dataset's <c>Lower Limit</c>.</param>
    /// <param name="upperLimit">The dataset's <c>Upper Limit</c>.</param>
    /// <param name="mode">Scoring mode.</param>
    public static double Score(string? prediction, string category, string gold, string lowerLimit, string upperLimit, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(category);
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(lowerLimit);
        ArgumentNullException.ThrowIfNull(upperLimit);
        if (mode == ScoringMode.Helm)
        {
            // HELM strips the completion (Python str.strip()) and compares the category as given, case included.
            return ScoreHelm(PythonText.Strip(prediction), category, gold, lowerLimit, upperLimit);
        }

        return ScoreCorrected((prediction ?? string.Empty).Trim(), category.Trim().ToLowerInvariant(), gold, lowerLimit, upperLimit);
    }

    private static double ScoreHelm(string output, string category, string gold, string lower, string upper)
    {
        // Every ValueError inside check_in_range (float(), strptime, the duration pattern, an unknown category) scores 0.
        switch (category)
        {
            case "risk" or "severity" or "diagnosis":
                return string.Equals(output, gold, StringComparison.Ordinal) ? 1 : 0;
            case "date":
                if (HelmDuration().IsMatch(gold))
                {
                    return HelmDays(lower) is { } lo && HelmDays(upper) is { } hi && HelmDays(output) is { } p && lo <= p && p <= hi ? 1 : 0;
                }

                return PythonText.StrptimeMonthDayYear(output) is { } d && PythonText.StrptimeMonthDayYear(upper) is { } du
                    && PythonText.StrptimeMonthDayYear(lower) is { } dl && dl <= d && d <= du ? 1 : 0;
            case "physical" or "dosage conversion":
                return PythonText.Float(lower) is { } l && PythonText.Float(upper) is { } u && PythonText.Float(output) is { } v && l <= v && v <= u ? 1 : 0;
            default:
                return 0; // "Category ... not supported" is raised inside a try that returns 0.
        }
    }

    private static double ScoreCorrected(string output, string category, string gold, string lower, string upper)
    {
        switch (category)
        {
            case "risk" or "severity" or "diagnosis":
                if (PythonFloat(gold) is { } g)
                {
                    return FirstNumber(output) is { } p && p == g ? 1 : 0;
                }

                return string.Equals(output.TrimEnd('.'), gold.Trim(), StringComparison.OrdinalIgnoreCase) ? 1 : 0;
            case "date":
                if (LooseDuration().IsMatch(gold))
                {
                    var lo = LooseDays(lower) ?? throw new MetricInputFormatException("lower_limit", $"'{lower}' is not a (weeks, days) duration");
                    var hi = LooseDays(upper) ?? throw new MetricInputFormatException("upper_limit", $"'{upper}' is not a (weeks, days) duration");
                    return LooseDays(output) is { } days && lo <= days && days <= hi ? 1 : 0;
                }

                var dl = LooseDate(lower) ?? throw new MetricInputFormatException("lower_limit", $"'{lower}' is not a date");
                var du = LooseDate(upper) ?? throw new MetricInputFormatException("upper_limit", $"'{upper}' is not a date");
                return LooseDate(output) is { } d && dl <= d && d <= du ? 1 : 0;
            default:
                var l = PythonFloat(lower) ?? throw new MetricInputFormatException("lower_limit", $"'{lower}' is not a number");
                var u = PythonFloat(upper) ?? throw new MetricInputFormatException("upper_limit", $"'{upper}' is not a number");
                return FirstNumber(output) is { } v && l <= v && v <= u ? 1 : 0;
        }
    }

    /// <summary>Python <c>float(text)</c>: the whole text (surrounding white space allowed) must be one number.</summary>
    internal static double? PythonFloat(string text) => PythonText.Float(text) is { } v && !double.IsNaN(v) ? v : null;

    /// <summary>The first number in the text ("≈ 1,234.5 mL" → 1234.5); digits glued to a letter ("CHA2DS2") are skipped.</summary>
    internal static double? FirstNumber(string text)
    {
        if (PythonFloat(text.TrimEnd('.')) is { } whole)
        {
            return whole;
        }

        var match = NumberPattern().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var s = match.Value.Replace(",", "", StringComparison.Ordinal).Replace('\u2212', '-');
        return PythonFloat(s);
    }

    // HELM's parse_duration: re.match (a prefix), Unicode digits read by int().
    private static BigInteger? HelmDays(string text)
    {
        var m = HelmDuration().Match(text);
        return m.Success ? (PythonText.BigInt(m.Groups[1].Value)!.Value * 7) + PythonText.BigInt(m.Groups[2].Value)!.Value : null;
    }

    private static int? LooseDays(string text)
    {
        var tuple = TupleDuration().Match(text);
        if (tuple.Success)
        {
            return (int.Parse(tuple.Groups[1].ValueSpan, CultureInfo.InvariantCulture) * 7) + int.Parse(tuple.Groups[2].ValueSpan, CultureInfo.InvariantCulture);
        }

        var weeks = WeeksPattern().Match(text);
        var days = DaysPattern().Match(text);
        if (!weeks.Success && !days.Success)
        {
            return null;
        }

        var w = weeks.Success ? int.Parse(weeks.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : 0;
        var d = days.Success ? int.Parse(days.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : 0;
        return (w * 7) + d;
    }

    private static DateOnly? LooseDate(string text)
    {
        var us = UsDatePattern().Match(text);
        if (us.Success)
        {
            return MakeDate(us.Groups[3].Value, us.Groups[1].Value, us.Groups[2].Value);
        }

        var iso = IsoDatePattern().Match(text);
        return iso.Success ? MakeDate(iso.Groups[1].Value, iso.Groups[2].Value, iso.Groups[3].Value) : null;
    }

    private static DateOnly? MakeDate(string year, string month, string day)
    {
        var y = int.Parse(year, CultureInfo.InvariantCulture);
        var mo = int.Parse(month, CultureInfo.InvariantCulture);
        var d = int.Parse(day, CultureInfo.InvariantCulture);
        return y is >= 1 and <= 9999 && mo is >= 1 and <= 12 && d >= 1 && d <= DateTime.DaysInMonth(y, mo) ? new DateOnly(y, mo, d) : null;
    }

    [GeneratedRegex(@"^\('(\d+) weeks', '(\d+) days'\)")]
    private static partial Regex HelmDuration();

    [GeneratedRegex(@"\(\s*'?\s*[0-9]+\s*(?:weeks?)?\s*'?\s*,\s*'?\s*[0-9]+\s*(?:days?)?\s*'?\s*\)", RegexOptions.IgnoreCase)]
    private static partial Regex LooseDuration();

    [GeneratedRegex(@"\(\s*'?\s*([0-9]+)\s*(?:weeks?)?\s*'?\s*,\s*'?\s*([0-9]+)\s*(?:days?)?\s*'?\s*\)", RegexOptions.IgnoreCase)]
    private static partial Regex TupleDuration();

    [GeneratedRegex(@"([0-9]+)\s*(?:weeks?|wks?|w)(?![a-z])", RegexOptions.IgnoreCase)]
    private static partial Regex WeeksPattern();

    [GeneratedRegex(@"([0-9]+)\s*(?:days?|d)(?![a-z])", RegexOptions.IgnoreCase)]
    private static partial Regex DaysPattern();

    [GeneratedRegex(@"(?<![0-9])([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?![0-9])")]
    private static partial Regex UsDatePattern();

    [GeneratedRegex(@"(?<![0-9])([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?![0-9])")]
    private static partial Regex IsoDatePattern();

    [GeneratedRegex(@"(?<![A-Za-z0-9.])[-+\u2212]?(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")]
    private static partial Regex NumberPattern();
}
