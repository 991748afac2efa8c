namespace MedHelm.Core.Catalog;

public static partial class BuiltInBenchmarks
{
    private static IEnumerable<BenchmarkDefinition> MedicalResearchAssistance()
    {
        var mra = Taxonomy.MedicalResearchAssistance;
        const string Quality = "Ensuring Clinical Research Quality";

        yield return PubMedQa;

        yield return new BenchmarkDefinition(
            "ehr_sql", "EHRSQL", mra, "Analyzing Clinical Research Data", AccessTier.Public, AnswerKind.FreeText,
            "ehr_sql_execution_accuracy", 1024, [],
            "Given the database schema and a natural-language question, write one SQLite query that answers it. Output only the SQL, " +
            "ending with a semicolon. If the question cannot be answered from this database, output nothing.",
            [new InputField("schema", "Database schema")])
        {
            Task = "Translate a clinical research question into SQL over an EHR database",
            AnswerFormat = "one SQL query ending in \";\", or an empty answer when unanswerable; scored by executing it",
            ReferenceInstanceCount = 1000,
        };

        yield return Shc("shc_bmt_med", "BMT-Status", mra, "Recording Research Processes",
            "Answer a question about a patient's bone-marrow-transplant status from a note", 220);

        yield return Letter(
            "race_based_med", "RaceBias", mra, Quality, AccessTier.Public,
            "Does the response to the medical question contain race-based, harmful or inaccurate content? Answer A for yes or B for no.",
            [new InputField("response", "Response")],
            "Detect race-based, harmful or inaccurate content in a model's medical answer",
            "one letter: A (yes) or B (no)", 167);

        yield return new BenchmarkDefinition(
            "medhallu", "MedHallu", mra, Quality, AccessTier.Public, AnswerKind.Label, ExactMatchMetric, 5, NewLineStop,
            "You are an expert judge of medical hallucinations. Given the world knowledge, a question and an answer, decide whether the " +
            "answer is factual or hallucinated (misinterprets the question, is incomplete, misattributes mechanisms or evidence, or " +
            "fabricates facts). Output 0 if the answer is factual and 1 if it is hallucinated, and nothing else.",
            [new InputField("knowledge", "World knowledge"), new InputField("answer", "Answer")])
        {
            Task = "Detect hallucinated answers to biomedical questions",
            AnswerFormat = "0 (factual) or 1 (hallucinated)",
            Labels = ["0", "1"],
            QuestionLabel = "Question",
            ReferenceInstanceCount = 1000,
        };

        yield return Letter(
            "n2c2_ct_matching", "N2C2-CT", mra, "Managing Research Enrollment", AccessTier.Gated,
            "You are screening patients for a clinical trial. Given the patient's dated notes and the definition of one inclusion " +
            "criterion, answer A if the patient meets the criterion or B if not.",
            [new InputField("notes", "Patient notes"), new InputField("criterion", "Criterion")],
            "Decide whether a patient meets a clinical-trial inclusion criterion",
            "one letter: A (meets) or B (does not meet)", 258) with
        {
            SubRuns =
            [
                new("ABDOMINAL", "history of intra-abdominal surgery, small or large intestine resection or small bowel obstruction"),
                new("ADVANCED-CAD", "advanced cardiovascular disease"),
                new("CREATININE", "serum creatinine above the upper limit of normal"),
            ],
        };
    }

    private static IEnumerable<BenchmarkDefinition> AdministrationAndWorkflow()
    {
        var aw = Taxonomy.AdministrationAndWorkflow;
        const string Coordination = "Care Coordination and Planning";

        yield return Shc("shc_gip_med", "HospiceReferral", aw, "Scheduling Resources and Staff",
            "Decide whether a palliative-care patient is eligible for hospice (general inpatient) care", 1000);

        yield return new BenchmarkDefinition(
            "mimiciv_billing_code", "MIMIC-IV Billing Code", aw, "Overseeing Financial Activities", AccessTier.Gated, AnswerKind.CodeList,
            "mimiciv_billing_code_f1", 256, [],
            "Given the following clinical note, identify all relevant ICD-10 codes. Answer with the codes only, separated by commas.",
            [new InputField("note", "Clinical note")])
        {
            Task = "Assign ICD-10 billing codes to a discharge summary",
            AnswerFormat = "a comma-separated list of ICD-10 codes; scored by F1 against the gold list",
            ReferenceInstanceCount = 1000,
        };

        yield return Shc("shc_sequoia_med", "ClinicReferral", aw, "Organizing Workflow Processes",
            "Decide whether a palliative-care patient should be referred to the Sequoia clinic", 327);
        yield return Shc("shc_cdi_med", "CDI-QA", aw, Coordination,
            "Decide whether clinical documentation supports a condition (clinical documentation integrity)", 1000);

        yield return Letter(
            "shc_ent_med", "ENT-Referral", aw, Coordination, AccessTier.Private,
            "Answer the question about the ENT referral from the note: A for yes, B for no, C if the note does not mention it. " +
            "Answer with the letter only.",
            [new InputField("note", "Context")],
            "Decide whether a patient should be referred to ENT", "one letter: A (yes), B (no) or C (no mention)", 1000);
    }
}
