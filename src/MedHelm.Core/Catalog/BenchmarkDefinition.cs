namespace MedHelm.Core.Catalog;

/// <summary>A named context field of an instance, shown in the prompt as "Label: value".</summary>
/// <param name="Key">Key in <see cref="BenchmarkInstance.Fields"/>.</param>
/// <param name="Label">Prefix shown in the prompt (e.g. "Context").</param>
public sealed record InputField(string Key, string Label);

/// <summary>How far a numeric answer may be from the gold value.</summary>
/// <param name="Value">The tolerance.</param>
/// <param name="Relative">True: a fraction of the gold value (0.05 = ±5 %); false: an absolute difference.</param>
public sealed record NumericTolerance(double Value, bool Relative);

/// <summary>One benchmark: identity, taxonomy placement, decoding limits and prompt wording.</summary>
/// <param name="Name">Run-spec name, e.g. "pubmed_qa".</param>
/// <param name="DisplayName">Human name, e.g. "PubMedQA".</param>
/// <param name="Category">Taxonomy category.</param>
/// <param name="Subcategory">Subcategory inside <paramref name="Category"/>.</param>
/// <param name="Access">Who may obtain the data.</param>
/// <param name="AnswerKind">Shape of the expected answer.</param>
/// <param name="MainMetric">Name of the metric shown on the leaderboard, e.g. "exact_match".</param>
/// <param name="MaxTokens">Completion token limit.</param>
/// <param name="StopSequences">Stop sequences passed to the model.</param>
/// <param name="Instructions">Instruction text placed before the instance.</param>
/// <param name="InputFields">Context fields rendered before the question, in order.</param>
public sealed record BenchmarkDefinition(
    string Name,
    string DisplayName,
    TaxonomyCategory Category,
    string Subcategory,
    AccessTier Access,
    AnswerKind AnswerKind,
    string MainMetric,
    int MaxTokens,
    IReadOnlyList<string> StopSequences,
    string Instructions,
    IReadOnlyList<InputField> InputFields)
{
    /// <summary>Prefix of the question line.</summary>
    public string QuestionLabel { get; init; } = "Question";

    /// <summary>Prefix of the final answer line.</summary>
    public string AnswerLabel { get; init; } = "Answer";

    /// <summary>The clinical task this benchmark measures (taxonomy "what"), e.g. "Answer questions about biomedical abstracts".</summary>
    public string Task { get; init; } = string.Empty;

    /// <summary>Closed (gold answer and metric) or open (LLM jury).</summary>
    public EvaluationStyle Style { get; init; } = EvaluationStyle.Closed;

    /// <summary>What a correct answer looks like, in words (e.g. "one letter A-E").</summary>
    public string AnswerFormat { get; init; } = string.Empty;

    /// <summary>Criteria the LLM jury scores; empty for closed benchmarks.</summary>
    public IReadOnlyList<JuryCriterion> JuryCriteria { get; init; } = [];

    /// <summary>The runs that together make this benchmark; empty when it is a single run.</summary>
    public IReadOnlyList<BenchmarkSubRun> SubRuns { get; init; } = [];

    /// <summary>
    /// Optional prompt template with named slots: <c>{question}</c>, <c>{options}</c> and one <c>{key}</c> per input
    /// field. When null the prompt is laid out as instructions, "Label: value" fields, question and answer line.
    /// </summary>
    public string? PromptTemplate { get; init; }

    /// <summary>For <see cref="AnswerKind.Number"/>: accepted relative (fraction) or absolute tolerance; null when limits come with each instance.</summary>
    public NumericTolerance? Tolerance { get; init; }

    /// <summary>For <see cref="AnswerKind.YesNo"/> and <see cref="AnswerKind.Label"/>: the accepted labels.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>Instances per model in the MedHELM paper (reference notes §2, "n"); null when unknown.</summary>
    public int? ReferenceInstanceCount { get; init; }

    /// <summary>True for benchmarks whose main metric is an LLM-jury score.</summary>
    public bool IsOpen => Style == EvaluationStyle.Open;

    /// <summary>Throws <see cref="ArgumentException"/> when the definition is inconsistent.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("Benchmark name must not be empty.");
        }

        if (!Category.Contains(Subcategory))
        {
            throw new ArgumentException(
                $"Benchmark '{Name}': subcategory '{Subcategory}' is not part of category '{Category.Name}'.");
        }

        if (MaxTokens < 1)
        {
            throw new ArgumentException($"Benchmark '{Name}': MaxTokens must be at least 1 (was {MaxTokens}).");
        }

        if (string.IsNullOrWhiteSpace(MainMetric))
        {
            throw new ArgumentException($"Benchmark '{Name}': the main metric must not be empty.");
        }

        if (IsOpen && JuryCriteria.Count == 0)
        {
            throw new ArgumentException($"Benchmark '{Name}': an open benchmark needs at least one jury criterion.");
        }

        if (!IsOpen && JuryCriteria.Count > 0)
        {
            throw new ArgumentException($"Benchmark '{Name}': a closed benchmark has no jury criteria.");
        }

        if (JuryCriteria.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count() != JuryCriteria.Count)
        {
            throw new ArgumentException($"Benchmark '{Name}': jury criterion names must be unique.");
        }

        if (SubRuns.Select(r => r.Name).Distinct(StringComparer.Ordinal).Count() != SubRuns.Count)
        {
            throw new ArgumentException($"Benchmark '{Name}': sub-run names must be unique.");
        }

        if (InputFields.Select(f => f.Key).Distinct(StringComparer.Ordinal).Count() != InputFields.Count)
        {
            throw new ArgumentException($"Benchmark '{Name}': input field keys must be unique.");
        }

        if (PromptTemplate is not null)
        {
            foreach (var slot in Prompts.PromptTemplateSlots.Find(PromptTemplate))
            {
                if (slot is not ("question" or "options") && !InputFields.Any(f => string.Equals(f.Key, slot, StringComparison.Ordinal)))
                {
                    throw new ArgumentException(
                        $"Benchmark '{Name}': the prompt template names the slot '{{{slot}}}', which is neither question, options nor an input field.");
                }
            }
        }

        if (AnswerKind == AnswerKind.Number && Tolerance is { Value: < 0 })
        {
            throw new ArgumentException($"Benchmark '{Name}': the numeric tolerance must not be negative.");
        }
    }
}
