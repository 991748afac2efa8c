namespace MedHelm.Core.Catalog;

/// <summary>Benchmark definitions shipped with the appliance.</summary>
public static class BuiltInBenchmarks
{
    /// <summary>Key of the abstract text in PubMedQA instances.</summary>
    public const string ContextField = "context";

    /// <summary>
    /// PubMedQA (HELM run spec <c>pubmed_qa</c>): multiple-choice joint adapter, instructions
    /// "Answer A for yes, B for no or C for maybe.", max_tokens 1, stop "\n", exact match on the letter.
    /// </summary>
    public static BenchmarkDefinition PubMedQa { get; } = new(
        Name: "pubmed_qa",
        DisplayName: "PubMedQA",
        Category: Taxonomy.MedicalResearchAssistance,
        Subcategory: "Conducting Literature Research",
        Access: AccessTier.Public,
        AnswerKind: AnswerKind.Letter,
        MainMetric: "exact_match",
        MaxTokens: 1,
        StopSequences: ["\n"],
        Instructions: "Answer A for yes, B for no or C for maybe.",
        InputFields: [new InputField(ContextField, "Context")]);

    /// <summary>All built-in definitions.</summary>
    public static IReadOnlyList<BenchmarkDefinition> All { get; } = [PubMedQa];

    /// <summary>Finds a definition by run-spec name (case-insensitive).</summary>
    public static BenchmarkDefinition? Find(string name) =>
        All.FirstOrDefault(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase));
}
