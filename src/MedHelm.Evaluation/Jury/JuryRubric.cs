using System.Text.RegularExpressions;
using MedHelm.Core.Catalog;

namespace MedHelm.Evaluation.Jury;

/// <summary>
/// What a jury judges and how it is told: the artifact under review, the source it was made from (and the tag that
/// holds it), whether a reference answer is shown, and the criteria with their guiding questions. Follows the
/// structure of MedHELM's judge prompts (reference notes §3); the wording is this project's own.
/// </summary>
/// <param name="Benchmark">Run-spec name of the benchmark (e.g. "aci_bench"), or "generic".</param>
/// <param name="Artifact">What the model wrote, e.g. "clinical note".</param>
/// <param name="Source">What it was written from, e.g. "doctor-patient conversation".</param>
/// <param name="SourceTag">The tag that holds the instance input, e.g. "conversation" (lowercase letters and _).</param>
/// <param name="Criteria">The axes scored 1-5; their names are the keys of the verdict's JSON object.</param>
public sealed partial record JuryRubric(string Benchmark, string Artifact, string Source, string SourceTag, IReadOnlyList<JuryCriterion> Criteria)
{
    /// <summary>False when the benchmark has no reference answer to compare with (NoteExtract).</summary>
    public bool UsesGold { get; init; } = true;

    /// <summary>Criterion names, in order.</summary>
    public IReadOnlyList<string> CriterionNames => Criteria.Select(c => c.Name).ToArray();

    /// <summary>Accuracy, completeness and clarity, worded for <paramref name="artifact"/>.</summary>
    public static IReadOnlyList<JuryCriterion> StandardCriteria(string artifact) =>
    [
        new("accuracy", $"Is every statement in the {artifact} correct and supported by the source, with nothing invented?"),
        new("completeness", $"Does the {artifact} include all the clinically important information that the reference includes?"),
        new("clarity", $"Is the {artifact} clearly written and well organised for the person who will read it?"),
    ];

    /// <summary>NoteExtract's axes: accuracy, structure and clarity (no reference answer).</summary>
    public static IReadOnlyList<JuryCriterion> NoteExtractCriteria { get; } =
    [
        new("accuracy", "Does the structured note state only what the original note says, with no invented or altered facts?"),
        new("structure", "Does it follow the required template, with every field present and \"Not mentioned\" where the note is silent?"),
        new("clarity", "Is each field short, unambiguous and easy for a clinician to read?"),
    ];

    /// <summary>The generic rubric: a clinical response judged on accuracy, completeness and clarity.</summary>
    public static JuryRubric Default { get; } = new("generic", "response", "request", "user_request", StandardCriteria("response"));

    /// <summary>
    /// The rubric of an open-ended MedHELM benchmark. <paramref name="criteria"/> (e.g. the catalog's
    /// <see cref="BenchmarkDefinition.JuryCriteria"/>) replaces the built-in wording when given; unknown benchmarks
    /// get the generic framing.
    /// </summary>
    public static JuryRubric For(string benchmark, IReadOnlyList<JuryCriterion>? criteria = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(benchmark);
        var rubric = benchmark.Trim().ToLowerInvariant() switch
        {
            "aci_bench" => Standard(benchmark, "clinical note", "doctor-patient conversation", "conversation"),
            "mtsamples_replicate" => Standard(benchmark, "treatment plan", "patient's clinical report", "patient_information"),
            "mtsamples_procedures" => Standard(benchmark, "procedure summary or plan", "procedure note", "patient_information"),
            "medication_qa" => Standard(benchmark, "answer to a consumer medication question", "consumer's question", "user_request"),
            "medi_qa" => Standard(benchmark, "answer to a consumer health question", "consumer's question", "user_request"),
            "med_dialog" => Standard(benchmark, "one-sentence summary", "patient-doctor conversation", "conversation"),
            "dischargeme" => Standard(benchmark, "discharge documentation section", "hospital discharge record", "patient_record"),
            "mimic_bhc" => Standard(benchmark, "brief hospital course", "discharge note", "clinical_note"),
            "mimic_rrs" => Standard(benchmark, "radiology impression", "radiology findings", "findings"),
            "medalign" => Standard(benchmark, "answer to the clinician's instruction", "clinician's instruction and the patient's health record", "user_request"),
            "starr_patient_instructions" => Standard(benchmark, "patient instructions", "record of the procedure and the patient", "patient_record"),
            "mental_health" => new JuryRubric(benchmark, "counselor reply", "counseling conversation so far", "conversation",
            [
                new("accuracy", "Does the reply use a therapeutic technique that suits this moment of the conversation?"),
                new("completeness", "Does the reply address the concerns the client has raised?"),
                new("clarity", "Is the reply empathetic, respectful and easy for the client to understand?"),
            ]),
            "chw_care_plan" => new JuryRubric(benchmark, "structured care-plan note", "original free-text note", "original_note", NoteExtractCriteria)
            {
                UsesGold = false,
            },
            _ => Default with { Benchmark = benchmark },
        };

        if (criteria is { Count: > 0 })
        {
            rubric = rubric with { Criteria = criteria.ToArray() };
        }

        rubric.Validate();
        return rubric;
    }

    /// <summary>The rubric of a catalog benchmark, with the catalog's criteria when it has them.</summary>
    public static JuryRubric For(BenchmarkDefinition benchmark)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        return For(benchmark.Name, benchmark.JuryCriteria);
    }

    /// <summary>Throws <see cref="ArgumentException"/> when the rubric cannot produce a well-formed prompt and grammar.</summary>
    public void Validate()
    {
        if (Criteria.Count == 0)
        {
            throw new ArgumentException($"Jury rubric '{Benchmark}': at least one criterion is needed.");
        }

        foreach (var c in Criteria)
        {
            if (!SafeName().IsMatch(c.Name))
            {
                throw new ArgumentException($"Jury rubric '{Benchmark}': criterion name '{c.Name}' must be lowercase letters, digits and _ (it is a JSON key).");
            }

            if (string.IsNullOrWhiteSpace(c.Question))
            {
                throw new ArgumentException($"Jury rubric '{Benchmark}': criterion '{c.Name}' needs a guiding question.");
            }
        }

        if (Criteria.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count() != Criteria.Count)
        {
            throw new ArgumentException($"Jury rubric '{Benchmark}': criterion names must be unique.");
        }

        if (!SafeName().IsMatch(SourceTag) || SourceTag is "response" or "gold_response")
        {
            throw new ArgumentException($"Jury rubric '{Benchmark}': source tag '{SourceTag}' must be lowercase letters, digits and _, other than response and gold_response.");
        }
    }

    private static JuryRubric Standard(string benchmark, string artifact, string source, string tag) =>
        new(benchmark, artifact, source, tag, StandardCriteria(artifact));

    [GeneratedRegex("^[a-z][a-z0-9_]{0,39}$")]
    private static partial Regex SafeName();
}
