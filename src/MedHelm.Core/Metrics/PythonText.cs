using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace MedHelm.Core.Metrics;

/// <summary>
/// The Python built-ins HELM's metric code relies on, with Python's exact semantics: <c>str.strip()</c>,
/// <c>float()</c>, <c>int()</c>, <c>str.lower()</c> and <c>datetime.strptime(text, "%m/%d/%Y")</c>.
/// </summary>
public static partial class PythonText
{
    /// <summary>Python's <c>str.isspace()</c>: .NET's white space plus the separators U+001C-U+001F.</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001c' and <= '\u001f';

    /// <summary>Python <c>str.strip()</c> with no argument.</summary>
    public static string Strip(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var start = 0;
        var end = text.Length;
        while (start < end && IsSpace(text[start]))
        {
            start++;
        }

        while (end > start && IsSpace(text[end - 1]))
        {
            end--;
        }

        return text[start..end];
    }

    /// <summary>Python <c>float(text)</c>; null where Python raises <c>ValueError</c>. NaN and infinities are returned as such.</summary>
    public static double? Float(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (ToAsciiDigits(Strip(text)) is not { } s)
        {
            return null;
        }

        var special = FloatSpecial().Match(s);
        if (special.Success)
        {
            var negative = special.Groups[1].Value == "-";
            return special.Groups[2].Value.StartsWith('n') || special.Groups[2].Value.StartsWith('N')
                ? double.NaN
                : negative ? double.NegativeInfinity : double.PositiveInfinity;
        }

        if (!FloatLiteral().IsMatch(s))
        {
            return null;
        }

        return double.Parse(s.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>Python <c>int(text)</c> (base 10, arbitrary size); null where Python raises <c>ValueError</c>.</summary>
    public static BigInteger? BigInt(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ToAsciiDigits(Strip(text)) is { } s && IntLiteral().IsMatch(s)
            ? BigInteger.Parse(s.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>Python <c>int(text)</c> for values that fit an <see cref="int"/> (dates, durations); null otherwise.</summary>
    public static int? Int(string text) => BigInt(text) is { } v && v >= int.MinValue && v <= int.MaxValue ? (int)v : null;

    /// <summary>
    /// Python <c>datetime.strptime(text, "%m/%d/%Y")</c>: month 1-2 digits, day 1-2 digits or a space and one digit,
    /// a 4-digit year (any Unicode decimal digits), nothing else, and a real date; null where Python raises.
    /// </summary>
    public static DateOnly? StrptimeMonthDayYear(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var m = StrptimePattern().Match(text);
        if (!m.Success)
        {
            return null;
        }

        var month = Int(m.Groups[1].Value)!.Value;
        var day = Int(m.Groups[2].Value)!.Value;
        var year = Int(m.Groups[3].Value)!.Value;
        return year >= 1 && day <= DateTime.DaysInMonth(year, month) ? new DateOnly(year, month, day) : null;
    }

    /// <summary>Python <c>str.lower()</c> of one character as far as it maps into ASCII letters and digits (rouge-score keeps only those).</summary>
    public static string LowerToAscii(Rune rune) => rune.Value switch
    {
        0x0130 => "i\u0307", // LATIN CAPITAL LETTER I WITH DOT ABOVE: full lower-casing gives i + COMBINING DOT ABOVE
        _ => Rune.ToLowerInvariant(rune).ToString(),
    };

    // float()/int() replace every Unicode decimal digit by its ASCII digit; any other non-ASCII character is an error.
    private static string? ToAsciiDigits(string s)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c < 128)
            {
                sb?.Append(c);
                continue;
            }

            if (!Rune.TryGetRuneAt(s, i, out var rune) || Rune.GetUnicodeCategory(rune) != UnicodeCategory.DecimalDigitNumber)
            {
                return null;
            }

            sb ??= new StringBuilder(s[..i]);
            sb.Append((char)('0' + (int)Rune.GetNumericValue(rune)));
            i += rune.Utf16SequenceLength - 1;
        }

        return sb?.ToString() ?? s;
    }

    [GeneratedRegex(@"^([+-]?)(inf|infinity|nan)\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex FloatSpecial();

    [GeneratedRegex(@"^[+-]?(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)(?:[eE][+-]?[0-9](?:_?[0-9])*)?\z")]
    private static partial Regex FloatLiteral();

    [GeneratedRegex(@"^[+-]?[0-9](?:_?[0-9])*\z")]
    private static partial Regex IntLiteral();

    [GeneratedRegex(@"^(1[0-2]|0[1-9]|[1-9])/(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])/(\d\d\d\d)\z")]
    private static partial Regex StrptimePattern();
}
