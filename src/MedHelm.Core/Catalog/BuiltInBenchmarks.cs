namespace MedHelm.Core.Catalog;

/// <summary>
/// The MedHELM catalog: the 35 benchmarks of the paper plus MedQA and MedMCQA (added for the Nature Medicine
/// version), with taxonomy placement, access tier, prompt layout, limits, answer format and jury criteria.
/// Prompt wording follows the gist of HELM's <c>medhelm_run_specs.py</c> (reference notes §2), all zero-shot.
/// </summary>
public static partial class BuiltInBenchmarks
{
    /// <summary>Key of the abstract text in PubMedQA instances.</summary>
    public const string ContextField = "context";

    /// <summary>The main metric of closed multiple-choice benchmarks.</summary>
    public const string ExactMatchMetric = "exact_match";

    private const string ShcTemplate =
        "Provide an answer to the following question: {question} with the following context: {note}, " +
        "answer A for yes or B for no. Do not provide any additional details or response, just a simple A or B response.";

    private static readonly string[] NewLineStop = ["\n"];

    /// <summary>
    /// PubMedQA (HELM run spec <c>pubmed_qa</c>): multiple-choice joint adapter, instructions
    /// "Answer A for yes, B for no or C for maybe.", max_tokens 1, stop "\n", exact match on the letter.
    /// </summary>
    public static BenchmarkDefinition PubMedQa { get; } = new BenchmarkDefinition(
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
        InputFields: [new InputField(ContextField, "Context")])
    {
        Task = "Answer a research question from a PubMed abstract (yes / no / maybe)",
        AnswerFormat = "one letter: A (yes), B (no) or C (maybe)",
        ReferenceInstanceCount = 1000,
    };

    /// <summary>All built-in definitions, in taxonomy order (category, then subcategory).</summary>
    public static IReadOnlyList<BenchmarkDefinition> All { get; } = BuildAll();

    /// <summary>Finds a definition by run-spec name or display name (case-insensitive).</summary>
    public static BenchmarkDefinition? Find(string name) =>
        All.FirstOrDefault(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? All.FirstOrDefault(b => string.Equals(b.DisplayName, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The definitions in one category (matched by name or abbreviation, case-insensitive).</summary>
    public static IReadOnlyList<BenchmarkDefinition> InCategory(string category) =>
        All.Where(b => string.Equals(b.Category.Name, category, StringComparison.OrdinalIgnoreCase)
                       || string.Equals(b.Category.Abbreviation, category, StringComparison.OrdinalIgnoreCase))
            .ToArray();

    private static List<BenchmarkDefinition> BuildAll()
    {
        List<BenchmarkDefinition> all =
        [
            .. ClinicalDecisionSupport(),
            .. ClinicalNoteGeneration(),
            .. PatientCommunication(),
            .. MedicalResearchAssistance(),
            .. AdministrationAndWorkflow(),
        ];

        // taxonomy order: category, then subcategory, then the order written below
        return all
            .Select((b, i) => (b, i))
            .OrderBy(x => IndexOf(Taxonomy.Categories, x.b.Category))
            .ThenBy(x => IndexOf(x.b.Category.Subcategories, x.b.Subcategory))
            .ThenBy(x => x.i)
            .Select(x => x.b)
            .ToList();
    }

    private static int IndexOf<T>(IReadOnlyList<T> list, T item)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (EqualityComparer<T>.Default.Equals(list[i], item))
            {
                return i;
            }
        }

        return int.MaxValue;
    }

    private static BenchmarkDefinition Letter(
        string name, string display, TaxonomyCategory category, string subcategory, AccessTier access,
        string instructions, InputField[] fields, string task, string answerFormat, int? n) =>
        new(name, display, category, subcategory, access, AnswerKind.Letter, ExactMatchMetric, 1, NewLineStop, instructions, fields)
        {
            Task = task,
            AnswerFormat = answerFormat,
            ReferenceInstanceCount = n,
        };

    private static BenchmarkDefinition Shc(
        string name, string display, TaxonomyCategory category, string subcategory, string task, int n, string answerFormat = "one letter: A (yes) or B (no)") =>
        new(name, display, category, subcategory, AccessTier.Private, AnswerKind.Letter, ExactMatchMetric, 1, NewLineStop, string.Empty,
            [new InputField("note", "Context")])
        {
            Task = task,
            AnswerFormat = answerFormat,
            PromptTemplate = ShcTemplate,
            ReferenceInstanceCount = n,
        };

    private static BenchmarkDefinition Open(
        string name, string display, TaxonomyCategory category, string subcategory, AccessTier access,
        int maxTokens, string instructions, InputField[] fields, string task, string answerFormat, string artifact, int? n) =>
        new(name, display, category, subcategory, access, AnswerKind.FreeText, name + "_accuracy", maxTokens, [], instructions, fields)
        {
            Task = task,
            AnswerFormat = answerFormat,
            Style = EvaluationStyle.Open,
            JuryCriteria = JuryCriteria.Standard(artifact),
            ReferenceInstanceCount = n,
        };
}
