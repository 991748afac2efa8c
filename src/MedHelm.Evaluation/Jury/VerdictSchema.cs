using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedHelm.Evaluation.Jury;

/// <summary>
/// The shape of one judge verdict, <c>{"accuracy": {"score": 4, "explanation": "..."}, ...}</c>, as a JSON schema
/// (for hosted judges that offer structured output) and as a GBNF grammar (for local judges: every sampled answer
/// then parses). The grammar fixes the key order and spacing, allows scores 1-5 only, and limits each explanation to
/// <see cref="MaxExplanationChars"/> printable ASCII characters without double quote or backslash, so no escape is
/// ever needed and the whole answer has a known maximum length.
/// </summary>
public sealed class VerdictSchema
{
    /// <summary>Default explanation bound (characters).</summary>
    public const int DefaultMaxExplanationChars = 400;

    /// <summary>Lowest and highest score.</summary>
    public const int MinScore = 1;

    /// <inheritdoc cref="MinScore"/>
    public const int MaxScore = 5;

    public VerdictSchema(IReadOnlyList<string> criteria, int maxExplanationChars = DefaultMaxExplanationChars)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        if (criteria.Count == 0)
        {
            throw new ArgumentException("A verdict needs at least one criterion.", nameof(criteria));
        }

        if (criteria.Any(c => string.IsNullOrEmpty(c) || c.Any(ch => !(char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch) || ch == '_'))))
        {
            throw new ArgumentException("Criterion names must be lowercase ASCII letters, digits and _.", nameof(criteria));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxExplanationChars, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxExplanationChars, 4000);
        Criteria = criteria.ToArray();
        MaxExplanationChars = maxExplanationChars;
        JsonSchemaText = BuildJsonSchema().ToJsonString();
        Grammar = BuildGrammar();
        MaxOutputChars = Criteria.Sum(c => Member(c).Length + MaxExplanationChars) + 2 + 2 * (Criteria.Count - 1);
    }

    /// <summary>A schema for a rubric's criteria.</summary>
    public static VerdictSchema For(JuryRubric rubric, int maxExplanationChars = DefaultMaxExplanationChars)
    {
        ArgumentNullException.ThrowIfNull(rubric);
        return new VerdictSchema(rubric.CriterionNames, maxExplanationChars);
    }

    public IReadOnlyList<string> Criteria { get; }

    public int MaxExplanationChars { get; }

    /// <summary>JSON schema (draft 2020-12 subset understood by OpenAI-style structured output).</summary>
    public string JsonSchemaText { get; }

    /// <summary>The schema as a <see cref="JsonElement"/>.</summary>
    public JsonElement JsonSchema => JsonDocument.Parse(JsonSchemaText).RootElement.Clone();

    /// <summary>GBNF grammar, root rule "root", for llama.cpp's grammar sampler.</summary>
    public string Grammar { get; }

    /// <summary>Longest answer the grammar admits, in characters (each is one ASCII byte).</summary>
    public int MaxOutputChars { get; }

    /// <summary>
    /// Output tokens that always fit a complete grammar-constrained verdict: no token decodes to fewer than one
    /// character, plus room for the end-of-generation token.
    /// </summary>
    public int MaxOutputTokens => MaxOutputChars + 8;

    /// <summary>A filled-in example of the answer, shown to the judge.</summary>
    public string Example() =>
        "{" + string.Join(", ", Criteria.Select(c =>
            $"\"{c}\": {{\"score\": 3, \"explanation\": \"One or two sentences on why this score was given.\"}}")) + "}";

    /// <summary>True when <paramref name="c"/> may appear in a grammar-constrained explanation.</summary>
    public static bool IsExplanationChar(char c) => c is >= ' ' and <= '~' and not '"' and not '\\';

    private static string Member(string criterion) =>
        $"\"{criterion}\": {{\"score\": N, \"explanation\": \"\"}}";

    private JsonObject BuildJsonSchema()
    {
        var properties = new JsonObject();
        foreach (var c in Criteria)
        {
            properties[c] = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["score"] = new JsonObject { ["type"] = "integer", ["minimum"] = MinScore, ["maximum"] = MaxScore },
                    ["explanation"] = new JsonObject { ["type"] = "string", ["maxLength"] = MaxExplanationChars },
                },
                ["required"] = new JsonArray("score", "explanation"),
                ["additionalProperties"] = false,
            };
        }

        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["required"] = new JsonArray(Criteria.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
            ["additionalProperties"] = false,
        };
    }

    private string BuildGrammar()
    {
        var b = new StringBuilder();
        b.Append("root ::= \"{\" ");
        for (var i = 0; i < Criteria.Count; i++)
        {
            if (i > 0)
            {
                b.Append("\", \" ");
            }

            b.Append("\"\\\"").Append(Criteria[i]).Append("\\\": \" rating ");
        }

        b.Append("\"}\"\n");
        b.Append("rating ::= \"{\\\"score\\\": \" [1-5] \", \\\"explanation\\\": \\\"\" explanation \"\\\"}\"\n");
        b.Append("explanation ::= char{1,").Append(MaxExplanationChars.ToString(CultureInfo.InvariantCulture)).Append("}\n");
        // printable ASCII without " (0x22) and \ (0x5C): nothing in an explanation needs escaping
        b.Append("char ::= [\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]\n");
        return b.ToString();
    }
}
