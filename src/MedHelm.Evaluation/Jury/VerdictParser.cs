using System.Globalization;
using System.Text.Json;

namespace MedHelm.Evaluation.Jury;

/// <summary>One criterion's rating: an integer score 1-5 and the judge's explanation.</summary>
public sealed record CriterionRating(int Score, string Explanation);

/// <summary>A parsed verdict: one rating per criterion of the rubric, in rubric order.</summary>
public sealed record JudgeVerdict(IReadOnlyDictionary<string, CriterionRating> Ratings)
{
    /// <summary>Mean of the criterion scores (1-5).</summary>
    public double MeanScore => Ratings.Values.Average(r => r.Score);
}

/// <summary>The outcome of parsing one judge answer: a verdict, or why there is none.</summary>
public sealed record VerdictParseResult(JudgeVerdict? Verdict, string? Failure)
{
    public bool Success => Verdict is not null;

    public static VerdictParseResult Ok(JudgeVerdict verdict) => new(verdict, null);

    public static VerdictParseResult Fail(string reason) => new(null, reason);
}

/// <summary>
/// Reads a judge's answer robustly: takes the first balanced <c>{...}</c> (so code fences, a preamble or trailing
/// text do not matter), parses it as JSON (trailing commas and comments tolerated), and requires, for every
/// criterion, an object with an integer <c>score</c> from 1 to 5 (a whole number such as 4.0 or "4" is accepted) and
/// an <c>explanation</c> string (missing = empty). Criterion keys match case-insensitively; extra keys are ignored.
/// Failure reasons never quote the answer (it may hold patient text).
/// </summary>
public static class VerdictParser
{
    private static readonly JsonDocumentOptions s_options = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 16,
    };

    public static VerdictParseResult Parse(string? answer, IReadOnlyList<string> criteria)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        if (string.IsNullOrWhiteSpace(answer))
        {
            return VerdictParseResult.Fail("empty answer");
        }

        var json = FirstBalancedObject(answer);
        if (json is null)
        {
            return VerdictParseResult.Fail(answer.Contains('{', StringComparison.Ordinal) ? "unterminated JSON object" : "no JSON object in the answer");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, s_options);
        }
        catch (JsonException e)
        {
            return VerdictParseResult.Fail($"invalid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}");
        }

        using (document)
        {
            var ratings = new Dictionary<string, CriterionRating>(StringComparer.Ordinal);
            foreach (var criterion in criteria)
            {
                if (!TryGetProperty(document.RootElement, criterion, out var value))
                {
                    return VerdictParseResult.Fail($"criterion '{criterion}' is missing");
                }

                if (value.ValueKind != JsonValueKind.Object)
                {
                    return VerdictParseResult.Fail($"criterion '{criterion}' is not an object");
                }

                if (!TryGetProperty(value, "score", out var scoreElement))
                {
                    return VerdictParseResult.Fail($"criterion '{criterion}' has no score");
                }

                if (!TryReadScore(scoreElement, out var score))
                {
                    return VerdictParseResult.Fail($"criterion '{criterion}' has a score that is not an integer from {VerdictSchema.MinScore} to {VerdictSchema.MaxScore}");
                }

                var explanation = TryGetProperty(value, "explanation", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() ?? string.Empty : string.Empty;
                ratings[criterion] = new CriterionRating(score, explanation);
            }

            return VerdictParseResult.Ok(new JudgeVerdict(ratings));
        }
    }

    /// <summary>The first <c>{...}</c> whose braces balance outside JSON strings, or null.</summary>
    internal static string? FirstBalancedObject(string text)
    {
        var start = text.IndexOf('{', StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var depth = 0;
        var inString = false;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{':
                    depth++;
                    break;
                case '}':
                    if (--depth == 0)
                    {
                        return text[start..(i + 1)];
                    }

                    break;
            }
        }

        return null;
    }

    private static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (element.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var p in element.EnumerateObject())
        {
            if (string.Equals(p.Name.Trim(), name, StringComparison.OrdinalIgnoreCase))
            {
                value = p.Value;
                return true;
            }
        }

        return false;
    }

    private static bool TryReadScore(JsonElement element, out int score)
    {
        score = 0;
        double number;
        switch (element.ValueKind)
        {
            case JsonValueKind.Number when element.TryGetDouble(out number):
                break;
            case JsonValueKind.String when double.TryParse(element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number):
                break;
            default:
                return false;
        }

        if (number != Math.Floor(number) || number < VerdictSchema.MinScore || number > VerdictSchema.MaxScore)
        {
            return false;
        }

        score = (int)number;
        return true;
    }
}
