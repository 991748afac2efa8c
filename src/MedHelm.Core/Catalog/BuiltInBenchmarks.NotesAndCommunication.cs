namespace MedHelm.Core.Catalog;

public static partial class BuiltInBenchmarks
{
    private static IEnumerable<BenchmarkDefinition> ClinicalNoteGeneration()
    {
        var cng = Taxonomy.ClinicalNoteGeneration;
        const string Visits = "Documenting Patient Visits";

        yield return Open(
            "dischargeme", "DischargeMe", cng, Visits, AccessTier.Gated, 300,
            "Generate the requested section of the discharge documentation (the Brief Hospital Course or the Discharge " +
            "Instructions) from the discharge text, with that section removed, and the radiology reports.",
            [new InputField("discharge_text", "Discharge text"), new InputField("radiology", "Radiology reports")],
            "Write the brief hospital course or the discharge instructions of a hospital stay",
            "free text: the target section", "discharge document", 1000);

        yield return Open(
            "aci_bench", "ACI-Bench", cng, Visits, AccessTier.Public, 768,
            "Summarize the conversation between the doctor and the patient into a clinical note with four sections: " +
            "HISTORY OF PRESENT ILLNESS, PHYSICAL EXAM, RESULTS, ASSESSMENT AND PLAN.",
            [new InputField("conversation", "Conversation")],
            "Write a visit note from a doctor-patient conversation",
            "free text: a four-section clinical note", "clinical note", 120);

        yield return Open(
            "mimic_bhc", "MIMIC-IV-BHC", cng, Visits, AccessTier.Gated, 1024,
            "Summarize the clinical note into a brief hospital course.",
            [new InputField("note", "Clinical note")],
            "Summarize a discharge note into a brief hospital course",
            "free text: a brief hospital course", "brief hospital course", 100);

        yield return Open(
            "mtsamples_procedures", "MTSamples Procedures", cng, "Recording Procedures", AccessTier.Public, 512,
            "Here are information about a patient, return a reasonable summary or plan for the procedure and the patient.",
            [new InputField("note", "Patient information")],
            "Write the plan, summary or findings of a procedure report",
            "free text: the plan / summary / findings line", "procedure summary", 128);

        yield return Open(
            "mimic_rrs", "MIMIC-RRS", cng, "Documenting Diagnostic Reports", AccessTier.Gated, 128,
            "Generate the impression section of the radiology report from its findings section. Be concise.",
            [new InputField("findings", "Findings")],
            "Write the impression of a radiology report from its findings",
            "free text: a radiology impression", "impression", 1000);

        yield return Open(
            "chw_care_plan", "NoteExtract", cng, "Documenting Care Plans", AccessTier.Private, 768,
            "Restructure the free-text care-plan note into the fixed template (chief complaint; history of present illness: onset, " +
            "provoking factors, quality, region, severity, timing, related symptoms). Extract only what the note states; write " +
            "\"Not mentioned\" for anything it does not.",
            [new InputField("note", "Note")],
            "Restructure a community health worker's care-plan note into a template",
            "free text in the template's fields", "structured note", 487) with
        {
            JuryCriteria =
            [
                new("accuracy", "Does the structured note state only what the original note says, without invented facts?"),
                new("structure", "Does it follow the template, with every field present and \"Not mentioned\" where the note is silent?"),
                new("clarity", "Is it clear and easy for a clinician to read?"),
            ],
        };
    }

    private static IEnumerable<BenchmarkDefinition> PatientCommunication()
    {
        var pce = Taxonomy.PatientCommunication;
        const string Messaging = "Patient-Provider Messaging";

        yield return Open(
            "medication_qa", "MedicationQA", pce, "Providing Patient Education Resources", AccessTier.Public, 512,
            "Please answer the following consumer question about medications.",
            [], "Answer consumers' questions about their medications",
            "free text: an answer a pharmacist would give", "answer", 689);

        yield return Open(
            "starr_patient_instructions", "PatientInstruct", pce, "Delivering Personalized Care Instructions", AccessTier.Private, 256,
            "Write clear, actionable post-procedure instructions for the patient from the diagnosis, the procedure, the history and " +
            "physical and the operative report.",
            [new InputField("diagnosis", "Diagnosis"), new InputField("procedure", "Procedure"),
             new InputField("history_and_physical", "History and physical"), new InputField("operative_report", "Operative report")],
            "Write personalised post-procedure instructions for a patient",
            "free text: patient instructions", "patient instructions", 361);

        yield return Open(
            "med_dialog", "MedDialog", pce, Messaging, AccessTier.Public, 80,
            "Generate a one sentence summary of this patient-doctor conversation.",
            [new InputField("conversation", "Conversation")],
            "Summarize a patient-doctor conversation in one sentence",
            "free text: one sentence", "summary", 2000) with
        {
            SubRuns =
            [
                new("healthcaremagic", "HealthCareMagic conversations"),
                new("icliniq", "iCliniq conversations"),
            ],
        };

        yield return Shc("shc_conf_med", "MedConfInfo", pce, Messaging,
            "Decide whether an adolescent's note holds confidential information to hide from parents", 1000);

        yield return Letter(
            "shc_proxy_med", "ProxySender", pce, Messaging, AccessTier.Private,
            "Answer A if the portal message was sent by the patient, B if it was sent by a proxy (someone else on the patient's behalf), " +
            "or C if it cannot be determined. Answer with the letter only.",
            [new InputField("message", "Message")],
            "Decide whether a patient-portal message was written by a proxy",
            "one letter: A, B or C", 300);

        yield return Shc("shc_privacy_med", "PrivacyDetection", pce, Messaging,
            "Decide whether a patient-portal message leaks confidential information", 300);

        yield return Open(
            "medi_qa", "MEDIQA", pce, "Enhancing Patient Understanding and Accessibility in Health Communication", AccessTier.Public, 1024,
            "Answer the following consumer health question.",
            [], "Answer a consumer health question",
            "free text: an answer at the level of a reference answer", "answer", 150);

        yield return Open(
            "mental_health", "MentalHealth", pce, "Facilitating Patient Engagement and Support", AccessTier.Private, 512,
            "You are a counselor. Given the conversation so far, write the counselor's next reply: empathetic, appropriate and helpful.",
            [new InputField("conversation", "Conversation")],
            "Write the next turn of a counselling conversation",
            "free text: one counselor turn", "counselor reply", 67) with
        {
            JuryCriteria =
            [
                new("accuracy", "Does the reply use an appropriate therapeutic technique for this moment of the conversation?"),
                new("completeness", "Does it address the client's stated concerns?"),
                new("clarity", "Is it empathetic, clear and respectful?"),
            ],
        };
    }
}
