using System.Text;

namespace MedHelm.Evaluation.Jury;

/// <summary>
/// One judge prompt. <see cref="Rubric"/> (role, goal, the tags, the criteria, the answer format) is the same for
/// every instance of a benchmark and comes first, so a local engine decodes it once and reuses it as a shared prefix;
/// <see cref="Instance"/> (the tagged source, response and reference) follows.
/// </summary>
public sealed record JudgePrompt(string Rubric, string Instance)
{
    /// <summary>The whole prompt, sent as one user message.</summary>
    public string Text => Rubric + Instance;
}

/// <summary>
/// Builds judge prompts in MedHELM's structure (reference notes §3): (1) the judge's role, (2) the goal, (3) which
/// tag holds what, (4) each criterion rated 1-5 with its guiding question, (5) the answer as one JSON object; then the
/// instance's <c>&lt;source&gt;</c>, <c>&lt;response&gt;</c> and <c>&lt;gold_response&gt;</c> blocks.
/// </summary>
public sealed class JudgePromptBuilder
{
    private readonly JuryRubric _rubric;
    private readonly VerdictSchema _schema;

    public JudgePromptBuilder(JuryRubric rubric, VerdictSchema? schema = null)
    {
        ArgumentNullException.ThrowIfNull(rubric);
        rubric.Validate();
        _rubric = rubric;
        _schema = schema ?? VerdictSchema.For(rubric);
        if (!_schema.Criteria.SequenceEqual(rubric.CriterionNames, StringComparer.Ordinal))
        {
            throw new ArgumentException("The verdict schema must have the rubric's criteria, in order.", nameof(schema));
        }

        RubricText = BuildRubric();
    }

    /// <summary>The instance-independent part, identical for every instance of the benchmark.</summary>
    public string RubricText { get; }

    public JuryRubric Rubric => _rubric;

    public VerdictSchema Schema => _schema;

    /// <summary>The prompt for one instance: <paramref name="source"/> is the instance input only (no adapter instructions).</summary>
    public JudgePrompt Build(string source, string response, string? gold)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(response);
        var b = new StringBuilder();
        b.Append('<').Append(_rubric.SourceTag).Append(">\n").Append(source.Trim()).Append("\n</").Append(_rubric.SourceTag).Append(">\n\n");
        b.Append("<response>\n").Append(response.Trim()).Append("\n</response>\n");
        if (_rubric.UsesGold)
        {
            var reference = string.IsNullOrWhiteSpace(gold) ? "(no reference response is available for this instance)" : gold.Trim();
            b.Append("\n<gold_response>\n").Append(reference).Append("\n</gold_response>\n");
        }

        b.Append("\nNow rate the <response>. Answer with the JSON object only.\n");
        return new JudgePrompt(RubricText, b.ToString());
    }

    private string BuildRubric()
    {
        var r = _rubric;
        var b = new StringBuilder();
        b.Append("You are a medical expert reviewing the quality of a ").Append(r.Artifact).Append(" written from a ").Append(r.Source).Append(".\n");
        b.Append("Your goal is to judge how well the ").Append(r.Artifact).Append(" serves its clinical purpose");
        if (r.UsesGold)
        {
            b.Append(", using the ").Append(r.Source).Append(" as the source of truth and the reference response (written by an expert) as the standard to compare with");
        }
        else
        {
            b.Append(", using the ").Append(r.Source).Append(" as the only source of truth");
        }

        b.Append(", on ").Append(JoinWords(r.CriterionNames)).Append(".\n\n");
        b.Append("After these instructions you will find:\n");
        b.Append("- the ").Append(r.Source).Append(" between <").Append(r.SourceTag).Append("> and </").Append(r.SourceTag).Append(">;\n");
        b.Append("- the ").Append(r.Artifact).Append(" to evaluate between <response> and </response>");
        b.Append(r.UsesGold ? ";\n- the reference response between <gold_response> and </gold_response>.\n\n" : ".\n\n");
        b.Append("Read the <response> carefully against the <").Append(r.SourceTag).Append('>');
        b.Append(r.UsesGold ? " and compare it with the <gold_response> where that helps.\n\n" : ".\n\n");
        b.Append("Rate each criterion below with an integer from 1 to 5 (1 = very poor, 2 = poor, 3 = acceptable, 4 = good, 5 = excellent) ");
        b.Append("and justify the score briefly.\n\nCriteria:\n");
        foreach (var c in r.Criteria)
        {
            b.Append("- ").Append(c.Name).Append(" (1-5): ").Append(c.Question).Append('\n');
        }

        b.Append("\nAnswer format: one JSON object and nothing else, with exactly these keys in this order: ").Append(string.Join(", ", r.CriterionNames)).Append(".\n");
        b.Append("Each key maps to an object with \"score\" (an integer from 1 to 5) and \"explanation\" (at most ");
        b.Append(_schema.MaxExplanationChars).Append(" characters). For example:\n");
        b.Append(_schema.Example()).Append('\n');
        b.Append("Rules: use double quotes for keys and strings; do not put double quotes or backslashes inside an explanation ");
        b.Append("(use single quotes to quote text); write no text, markdown or code fence before or after the object.\n\n");
        return b.ToString();
    }

    private static string JoinWords(IReadOnlyList<string> words) => words.Count switch
    {
        1 => words[0],
        2 => $"{words[0]} and {words[1]}",
        _ => string.Join(", ", words.Take(words.Count - 1)) + " and " + words[^1],
    };
}
