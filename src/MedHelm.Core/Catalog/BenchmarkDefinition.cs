namespace MedHelm.Core.Catalog;

/// <summary>A named context field of an instance, shown in the prompt as "Label: value".</summary>
/// <param name="Key">Key in <see cref="BenchmarkInstance.Fields"/>.</param>
/// <param name="Label">Prefix shown in the prompt (e.g. "Context").</param>
public sealed record InputField(string Key, string Label);

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
    }
}
