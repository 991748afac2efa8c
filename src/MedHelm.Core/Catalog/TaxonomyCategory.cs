namespace MedHelm.Core.Catalog;

/// <summary>A top-level MedHELM category and its subcategories.</summary>
/// <param name="Name">Full name, e.g. "Medical Research Assistance".</param>
/// <param name="Abbreviation">Short form used in tables, e.g. "MRA".</param>
/// <param name="Subcategories">Subcategory names in taxonomy order.</param>
public sealed record TaxonomyCategory(string Name, string Abbreviation, IReadOnlyList<string> Subcategories)
{
    /// <summary>True when <paramref name="subcategory"/> belongs to this category (ordinal comparison).</summary>
    public bool Contains(string subcategory) => Subcategories.Contains(subcategory, StringComparer.Ordinal);
}

/// <summary>The five MedHELM categories with their 22 subcategories (reference notes §1).</summary>
public static class Taxonomy
{
    public static TaxonomyCategory ClinicalDecisionSupport { get; } = new(
        "Clinical Decision Support", "CDS",
        [
            "Supporting Diagnostic Decisions",
            "Planning Treatments",
            "Predicting Patient Risks and Outcomes",
            "Providing Clinical Knowledge Support",
        ]);

    public static TaxonomyCategory ClinicalNoteGeneration { get; } = new(
        "Clinical Note Generation", "CNG",
        [
            "Documenting Patient Visits",
            "Recording Procedures",
            "Documenting Diagnostic Reports",
            "Documenting Care Plans",
        ]);

    public static TaxonomyCategory PatientCommunication { get; } = new(
        "Patient Communication and Education", "PCE",
        [
            "Providing Patient Education Resources",
            "Delivering Personalized Care Instructions",
            "Patient-Provider Messaging",
            "Enhancing Patient Understanding and Accessibility in Health Communication",
            "Facilitating Patient Engagement and Support",
        ]);

    public static TaxonomyCategory MedicalResearchAssistance { get; } = new(
        "Medical Research Assistance", "MRA",
        [
            "Conducting Literature Research",
            "Analyzing Clinical Research Data",
            "Recording Research Processes",
            "Ensuring Clinical Research Quality",
            "Managing Research Enrollment",
        ]);

    public static TaxonomyCategory AdministrationAndWorkflow { get; } = new(
        "Administration and Workflow", "AW",
        [
            "Scheduling Resources and Staff",
            "Overseeing Financial Activities",
            "Organizing Workflow Processes",
            "Care Coordination and Planning",
        ]);

    /// <summary>All categories in taxonomy order.</summary>
    public static IReadOnlyList<TaxonomyCategory> Categories { get; } =
    [
        ClinicalDecisionSupport,
        ClinicalNoteGeneration,
        PatientCommunication,
        MedicalResearchAssistance,
        AdministrationAndWorkflow,
    ];
}
