using System.Text.RegularExpressions;

namespace MedHelm.Core.Metrics;

/// <summary>
/// NLTK's <c>NLTKWordTokenizer</c> (the improved Treebank tokenizer <c>word_tokenize</c> applies to each sentence),
/// rule for rule, with Python's regular-expression semantics: its <c>\w</c> (letters, every numeric character, '_'),
/// <c>\b</c> and <c>\s</c> (which includes U+001C-U+001F) differ from .NET's and are spelled out below.
/// </summary>
public static partial class TreebankWordTokenizer
{
    // Python's \w, \b and \s as .NET patterns.
    private const string W = @"[\p{L}\p{N}_]";
    private const string B = @"(?:(?<=" + W + ")(?!" + W + ")|(?<!" + W + ")(?=" + W + "))";
    private const string S = @"[\s\x1c-\x1f]";

    private static readonly (Regex Pattern, string Replacement)[] StartingQuotes =
    [
        (new Regex("([«“‘„]|[`]+)"), " $1 "),
        (new Regex("^\""), "``"),
        (new Regex("(``)"), " $1 "),
        (new Regex("([ \\(\\[{<])(\"|'{2})"), "$1 `` "),
        (new Regex("(?i)(')(?!re|ve|ll|m|t|s|d|n)(" + W + ")" + B), "$1 $2"),
    ];

    private static readonly (Regex Pattern, string Replacement)[] Punctuation =
    [
        (new Regex("([^\\.])(\\.)([\\]\\)}>\"'»”’ ]*)" + S + "*$"), "$1 $2 $3 "),
        (new Regex("([:,])([^\\d])"), " $1 $2"),
        (new Regex("([:,])$"), " $1 "),
        (new Regex("\\.{2,}"), " $0 "),
        (new Regex("[;@#$%&]"), " $0 "),
        (new Regex("([^\\.])(\\.)([\\]\\)}>\"']*)" + S + "*$"), "$1 $2$3 "),
        (new Regex("[?!]"), " $0 "),
        (new Regex("([^'])' "), "$1 ' "),
        (new Regex("[*]"), " $0 "),
        (new Regex("[\\]\\[\\(\\)\\{\\}\\<\\>]"), " $0 "),
        (new Regex("--"), " -- "),
    ];

    private static readonly (Regex Pattern, string Replacement)[] EndingQuotes =
    [
        (new Regex("([»”’])"), " $1 "),
        (new Regex("''"), " '' "),
        (new Regex("\""), " '' "),
        (new Regex("([^' ])('[sS]|'[mM]|'[dD]|') "), "$1 $2 "),
        (new Regex("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), "$1 $2 "),
        (new Regex("(?i)" + B + "(can)(not)" + B), " $1 $2 "),
        (new Regex("(?i)" + B + "(d)('ye)" + B), " $1 $2 "),
        (new Regex("(?i)" + B + "(gim)(me)" + B), " $1 $2 "),
        (new Regex("(?i)" + B + "(gon)(na)" + B), " $1 $2 "),
        (new Regex("(?i)" + B + "(got)(ta)" + B), " $1 $2 "),
        (new Regex("(?i)" + B + "(lem)(me)" + B), " $1 $2 "),
        (new Regex("(?i)" + B + "(more)('n)" + B), " $1 $2 "),
        (new Regex("(?i)" + B + "(wan)(na)(?=" + S + ")"), " $1 $2 "),
        (new Regex("(?i) ('t)(is)" + B), " $1 $2 "),
        (new Regex("(?i) ('t)(was)" + B), " $1 $2 "),
    ];

    /// <summary>Tokenizes one sentence as <c>NLTKWordTokenizer().tokenize(sentence)</c> does.</summary>
    public static List<string> Tokenize(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var text = sentence;
        foreach (var (pattern, replacement) in StartingQuotes)
        {
            text = pattern.Replace(text, replacement);
        }

        foreach (var (pattern, replacement) in Punctuation)
        {
            text = pattern.Replace(text, replacement);
        }

        text = " " + text + " ";
        foreach (var (pattern, replacement) in EndingQuotes)
        {
            text = pattern.Replace(text, replacement);
        }

        return SplitPythonWhitespace(text);
    }

    /// <summary>Python <c>str.split()</c> with no argument.</summary>
    internal static List<string> SplitPythonWhitespace(string text)
    {
        var tokens = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var space = i == text.Length || PythonText.IsSpace(text[i]);
            if (space && start >= 0)
            {
                tokens.Add(text[start..i]);
                start = -1;
            }
            else if (!space && start < 0)
            {
                start = i;
            }
        }

        return tokens;
    }
}
