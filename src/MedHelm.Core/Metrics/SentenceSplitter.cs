using System.Text.RegularExpressions;

namespace MedHelm.Core.Metrics;

/// <summary>
/// Splits text into sentences where NLTK's punkt would, as far as rules without punkt's trained English model can:
/// NLTK's <c>word_tokenize</c> (HELM's BLEU tokenizer) splits sentences first and detaches a sentence-final period
/// only, so "York. Please" gives "York", ".", "Please" and "York. please" may keep "York.".
/// </summary>
/// <remarks>
/// A sentence ends after a whitespace-delimited token ending in '?' or '!', or in a single '.' unless the token is
/// a title or month abbreviation ("Dr.", "vs.", "Jan."), has an inner period ("a.m.", "U.S.") and the next token
/// starts with a lower-case letter or a digit, or is a number followed by a lower-case word. Punkt decides with
/// statistics of its training corpus (which abbreviations it saw, how often each word is capitalized), which this
/// does not bundle; the cases where the two differ are listed in docs/metrics.md.
/// </remarks>
public static partial class SentenceSplitter
{
    private static readonly HashSet<string> NameAbbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "st", "vs", "jr", "sr", "prof", "gen", "gov", "sen", "rep", "mt", "ft", "ave",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "inc", "corp", "co", "ltd",
    };

    /// <summary>The sentences of <paramref name="text"/> (white space between them dropped, the end right-stripped).</summary>
    public static List<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sentences = new List<string>();
        var last = 0;
        foreach (Match m in Candidate().Matches(text))
        {
            var tokenStart = m.Index;
            while (tokenStart > 0 && !PythonText.IsSpace(text[tokenStart - 1]))
            {
                tokenStart--;
            }

            var token = text[tokenStart..(m.Index + 1)];
            var next = m.Groups[1];
            if (tokenStart >= last && EndsSentence(token, next.Value))
            {
                sentences.Add(text[last..(m.Index + 1)]);
                last = next.Index;
            }
        }

        var end = PythonText.Strip("x" + text[last..]).Length - 1 + last;
        if (end > last)
        {
            sentences.Add(text[last..end]);
        }

        return sentences;
    }

    private static bool EndsSentence(string token, string next)
    {
        if (token[^1] is '?' or '!')
        {
            return true;
        }

        if (token.EndsWith("..", StringComparison.Ordinal))
        {
            return false;
        }

        var core = token[..^1].TrimStart('(', '[', '{', '"', '\'', '`', '*', '_');
        if (core.Length == 0 || NameAbbreviations.Contains(core))
        {
            return false;
        }

        var nextStartsLower = char.IsLower(next[0]);
        if (core.Contains('.', StringComparison.Ordinal))
        {
            return !(nextStartsLower || char.IsDigit(next[0]));
        }

        return !(core.All(char.IsDigit) && nextStartsLower);
    }

    // A sentence-end character followed by white space (Python's, U+001C-U+001F included) and the next token.
    [GeneratedRegex(@"[.?!](?=[\s\x1c-\x1f]+([^\s\x1c-\x1f]+))")]
    private static partial Regex Candidate();
}
