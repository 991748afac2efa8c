namespace MedHelm.Core.Metrics;

/// <summary>Finds the option letter a model answered with.</summary>
public static class LetterAnswerExtractor
{
    // Lead-ins removed (case-insensitive, repeatedly) before looking for the letter in corrected mode.
    private static readonly string[] LeadIns =
    [
        "the correct answer is", "the answer is", "final answer", "correct answer", "answer is",
        "answer", "option", "choice",
    ];

    /// <summary>
    /// Returns the answered letter (upper case), or null when the output does not name one of
    /// <paramref name="validLetters"/>.
    /// </summary>
    /// <remarks>
    /// <see cref="ScoringMode.Helm"/>: the output, stripped of surrounding white space, must be exactly one
    /// valid letter. <see cref="ScoringMode.Corrected"/>: lead-ins ("Answer:", "The answer is"), markdown
    /// emphasis, quotes and brackets are skipped; the letter must then stand alone, i.e. be followed by the
    /// end of the text, white space or punctuation ("A.", "(A)", "A) yes", "B\nBecause ..."). Lower-case
    /// letters are accepted only when nothing but punctuation or white space follows them.
    /// </remarks>
    public static char? Extract(string? output, IReadOnlyList<char> validLetters, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(validLetters);
        if (string.IsNullOrEmpty(output))
        {
            return null;
        }

        return mode switch
        {
            ScoringMode.Helm => ExtractStrict(output.AsSpan().Trim(), validLetters),
            ScoringMode.Corrected => ExtractTolerant(output.AsSpan(), validLetters),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown scoring mode."),
        };
    }

    private static char? ExtractStrict(ReadOnlySpan<char> trimmed, IReadOnlyList<char> validLetters) =>
        trimmed.Length == 1 && IsValid(trimmed[0], validLetters) ? trimmed[0] : null;

    private static char? ExtractTolerant(ReadOnlySpan<char> text, IReadOnlyList<char> validLetters)
    {
        // Strip lead-ins such as "Answer:", "**Final answer**: (B)".
        var rest = SkipLeadIns(text, LeadIns);

        if (rest.IsEmpty)
        {
            return null;
        }

        var letter = char.ToUpperInvariant(rest[0]);
        if (letter is < 'A' or > 'Z' || !IsValid(letter, validLetters))
        {
            return null;
        }

        var after = rest[1..];
        if (after.IsEmpty)
        {
            return letter;
        }

        if (char.IsLetterOrDigit(after[0]))
        {
            return null; // part of a word: "Absolutely", "B12".
        }

        if (char.IsLower(rest[0]))
        {
            // "a." alone is an answer, "a study shows" is not.
            foreach (var c in after)
            {
                if (char.IsLetterOrDigit(c))
                {
                    return null;
                }
            }
        }

        return letter;
    }

    /// <summary>
    /// Skips surrounding noise and, repeatedly and case-insensitively, any of <paramref name="leadIns"/> that stands
    /// as a whole word ("Answer:", "**Final answer**:"). Shared by the letter and the label readers.
    /// </summary>
    internal static ReadOnlySpan<char> SkipLeadIns(ReadOnlySpan<char> text, string[] leadIns)
    {
        var rest = SkipNoise(text);
        var changed = true;
        while (changed)
        {
            changed = false;
            foreach (var leadIn in leadIns)
            {
                if (rest.StartsWith(leadIn, StringComparison.OrdinalIgnoreCase)
                    && (rest.Length == leadIn.Length || !char.IsLetterOrDigit(rest[leadIn.Length])))
                {
                    rest = SkipNoise(rest[leadIn.Length..]);
                    changed = true;
                    break;
                }
            }
        }

        return rest;
    }

    // White space, markdown emphasis, quotes, opening brackets and separators that may surround a letter.
    private static ReadOnlySpan<char> SkipNoise(ReadOnlySpan<char> text)
    {
        var i = 0;
        while (i < text.Length && (char.IsWhiteSpace(text[i]) || text[i] is '*' or '_' or '`' or '"' or '\'' or '(' or '[' or '{' or ':' or '-' or '=' or '#'))
        {
            i++;
        }

        return text[i..];
    }

    private static bool IsValid(char c, IReadOnlyList<char> validLetters)
    {
        for (var i = 0; i < validLetters.Count; i++)
        {
            if (validLetters[i] == c)
            {
                return true;
            }
        }

        return false;
    }
}
