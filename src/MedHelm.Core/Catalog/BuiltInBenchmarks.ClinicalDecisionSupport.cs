namespace MedHelm.Core.Catalog;

public static partial class BuiltInBenchmarks
{
    /// <summary>The 13 conditions of CLEAR (HELM <c>clear:condition=…</c>).</summary>
    public static IReadOnlyList<BenchmarkSubRun> ClearConditions { get; } =
    [
        new("alcohol_dependence", "alcohol dependence"),
        new("attention_deficit_hyperactivity_disorder", "attention deficit hyperactivity disorder (ADHD)"),
        new("bipolar_disorder", "bipolar disorder"),
        new("chronic_pain", "chronic pain"),
        new("homelessness", "homelessness"),
        new("liver_disease", "liver disease"),
        new("major_depression", "major depression"),
        new("personality_disorder", "personality disorder"),
        new("post_traumatic_stress_disorder", "post-traumatic stress disorder (PTSD)"),
        new("substance_use_disorder", "substance use disorder"),
        new("suicidal_behavior", "suicidal behavior"),
        new("tobacco_dependence", "tobacco dependence"),
        new("unemployment", "unemployment"),
    ];

    private static IEnumerable<BenchmarkDefinition> ClinicalDecisionSupport()
    {
        var cds = Taxonomy.ClinicalDecisionSupport;
        const string Diagnostic = "Supporting Diagnostic Decisions";
        const string Treatment = "Planning Treatments";
        const string Risk = "Predicting Patient Risks and Outcomes";
        const string Knowledge = "Providing Clinical Knowledge Support";

        yield return new BenchmarkDefinition(
            "medcalc_bench", "MedCalc-Bench", cds, Diagnostic, AccessTier.Public, AnswerKind.Number, "medcalc_bench_accuracy", 10, NewLineStop,
            "Given a patient note and a clinical question, compute the requested medical value. Answer with the value only: " +
            "a number, a date (MM/DD/YYYY) or a duration as (weeks, days); no units and no explanation.",
            [new InputField("patient_note", "Patient note")])
        {
            Task = "Compute a clinical score, dose or date from a patient note",
            AnswerFormat = "a number, date or (weeks, days); decimals pass inside the instance's lower/upper limits, risk/severity/diagnosis scores need an exact match",
            ReferenceInstanceCount = 1000,
        };

        yield return Letter(
            "clear", "CLEAR", cds, Diagnostic, AccessTier.Private,
            "You are a helpful medical assistant. Determine whether the patient has a history of the condition named in the question.",
            [new InputField("note", "Text")],
            "Detect a history of a medical or social condition in a clinical note",
            "one letter: A (has a history), B (no history) or C (uncertain)", 1022) with
        {
            SubRuns = ClearConditions,
        };

        yield return Open(
            "mtsamples_replicate", "MTSamples", cds, Treatment, AccessTier.Public, 512,
            "Given the following patient information, return a reasonable treatment plan for the patient.",
            [new InputField("note", "Patient information")],
            "Propose a treatment plan from a transcribed clinical report",
            "free text: a treatment plan", "treatment plan", 78);

        yield return new BenchmarkDefinition(
            "medec", "Medec", cds, Treatment, AccessTier.Public, AnswerKind.Label, "medec_error_flag_accuracy", 256, [],
            "The following is a medical narrative about a patient; each sentence starts with its sentence ID. Check every sentence " +
            "for a clinical error in diagnosis, management, treatment, pharmacotherapy or causal organism. If the text is correct, " +
            "answer CORRECT. If one sentence has an error, answer with its sentence ID followed by the corrected sentence.",
            [new InputField("sentences", "Clinical note")])
        {
            Task = "Find and correct a medical error in a clinical note",
            AnswerFormat = "CORRECT, or \"<sentence id> <corrected sentence>\"",
            ReferenceInstanceCount = 597,
        };

        yield return Letter(
            "ehrshot", "EHRSHOT", cds, Risk, AccessTier.Gated,
            "You are given a patient's structured electronic health record as a timeline of coded events, followed by a question about a " +
            "future event. Answer A for yes or B for no.",
            [new InputField("timeline", "Patient timeline")],
            "Predict a future clinical event from a structured EHR timeline",
            "one letter: A (yes) or B (no)", 3000) with
        {
            SubRuns =
            [
                new("guo_readmission", "30-day readmission after discharge"),
                new("new_hypertension", "new diagnosis of hypertension within a year"),
                new("lab_anemia", "the next hemoglobin result shows anemia"),
            ],
        };

        yield return Letter(
            "head_qa", "HeadQA", cds, Knowledge, AccessTier.Public,
            "You are a highly knowledgeable biomedical expert. Answer the multiple-choice question by giving only the letter of the correct option.",
            [], "Answer biomedical exam questions (Spanish specialist examinations, English version)",
            "one letter, A-D or A-E", 1000);

        yield return Letter(
            "medbullets", "Medbullets", cds, Knowledge, AccessTier.Public,
            "Answer the USMLE-style clinical question with the letter of the best option (A, B, C, D or E) only.",
            [], "Answer USMLE Step 2/3 clinical vignettes", "one letter A-E", 308);

        yield return Open(
            "medalign", "MedAlign", cds, Knowledge, AccessTier.Gated, 256,
            string.Empty,
            [new InputField("ehr", "EHR")],
            "Follow a clinician's instruction over a patient's longitudinal EHR",
            "free text: the answer a clinician would write", "response", 149);

        yield return Shc("shc_ptbm_med", "ADHD-Behavior", cds, Knowledge,
            "Decide whether parent behaviour-management training was recommended for a child with ADHD", 423);
        yield return Shc("shc_sei_med", "ADHD-MedEffects", cds, Knowledge,
            "Decide whether medication side effects were asked about at an ADHD visit", 915);

        yield return Letter(
            "med_qa", "MedQA", cds, Knowledge, AccessTier.Public,
            "Answer the USMLE-style medical question with the letter of the correct option only.",
            [], "Answer medical licensing exam questions (USMLE)", "one letter A-D", null);

        yield return Letter(
            "med_mcqa", "MedMCQA", cds, Knowledge, AccessTier.Public,
            "Answer the medical entrance exam question with the letter of the correct option only.",
            [], "Answer medical entrance exam questions (AIIMS / NEET PG)", "one letter A-D", null);
    }
}
