
namespace MedHelm.Evaluation.EhrSql;

/// <summary>The value pools the synthetic eICU rows draw from (all invented, eICU-shaped).</summary>
internal sealed partial class EicuRowBuilder
{
    private static readonly string[] Ethnicities = ["caucasian", "caucasian", "caucasian", "african american", "hispanic", "asian", "native american", "other/unknown"];
    private static readonly string[] AdmitSources = ["emergency department", "operating room", "floor", "direct admit", "step-down unit (sdu)", "recovery room", "other hospital", "acute care/floor", "pacu", "icu to sdu"];
    private static readonly string[] Organisms = ["escherichia coli", "staphylococcus aureus", "klebsiella pneumoniae", "pseudomonas aeruginosa", "enterococcus faecalis", "candida albicans", "streptococcus pneumoniae", "proteus mirabilis", "coagulase negative staphylococci", "enterobacter cloacae", "serratia marcescens", "mixed flora", "no growth"];
    private static readonly string[] CultureSites = ["blood, venipuncture", "urine, catheter specimen", "urine, voided specimen", "sputum, tracheal specimen", "sputum, expectorated", "wound, decubitus", "abscess", "bronchial lavage", "nasopharynx", "other", "stool", "catheter tip", "blood, central line"];
    private static readonly (string Allergy, string? Drug)[] Allergies =
    [
        ("penicillins", "penicillin"), ("sulfa (sulfonamide antibiotics)", "bactrim"), ("codeine", "codeine"), ("morphine", "morphine"),
        ("latex", null), ("iodine", null), ("shellfish", null), ("aspirin", "aspirin"), ("cephalosporins", "cephalexin"),
        ("vancomycin", "vancomycin"), ("ciprofloxacin", "cipro"), ("lisinopril", "lisinopril"), ("nsaids", "ibuprofen"),
        ("contrast media", null), ("hydrocodone", "norco"), ("levofloxacin", "levaquin"), ("tape", null), ("egg", null),
    ];

    private static readonly string[] Routes = ["iv", "intravenous", "po", "oral", "iv push", "subcut", "subcutaneous", "ivpb", "inhalation", "ng", "topical", "pr", "sl", "im", "g tube"];
    private static readonly string[] Doses = ["1 mg", "2 mg", "4 mg", "5 mg", "10 mg", "20 mg", "25 mg", "40 mg", "50 mg", "100 mg", "250 mg", "500 mg", "1000 mg", "0.5 mg", "12.5 mg", "1 tab", "2 tab", "5 ml", "10 ml", "100 ml", "250 ml", "1000 ml", "3 units", "5 units", "10 units", "20 meq", "40 meq", "1 g", "2 g", "3.375 g", "0.4 mg", "81 mg", "325 mg", "650 mg"];
    private static readonly string[] IntakeLabels = ["p.o.", "po fluids", "enteral formula volume/bolus amt (ml)", "ns ivf", "lactated ringers volume", "propofol", "saline flush (ml)", "volume (ml)-norepinephrine", "d5w", "prbcs"];
    private static readonly string[] OutputLabels = ["urine", "foley", "voided amount", "stool", "emesis", "chest tube a", "drain 1 output ml", "ng tube output", "blood loss", "urine catheter"];

    private static readonly Dictionary<string, (double Min, double Max, int Digits)> LabRanges = new(StringComparer.Ordinal)
    {
        ["bun"] = (5, 70, 0), ["creatinine"] = (0.4, 5.5, 2), ["potassium"] = (2.8, 6.2, 1), ["sodium"] = (124, 152, 0),
        ["glucose"] = (55, 380, 0), ["bedside glucose"] = (55, 380, 0), ["hgb"] = (6, 17, 1), ["hct"] = (19, 50, 1),
        ["wbc x 1000"] = (1.5, 28, 1), ["platelets x 1000"] = (40, 480, 0), ["chloride"] = (88, 118, 0), ["bicarbonate"] = (14, 34, 0),
        ["hco3"] = (14, 34, 1), ["total co2"] = (14, 34, 0), ["calcium"] = (6.8, 11, 1), ["magnesium"] = (1.2, 3.2, 1),
        ["phosphate"] = (1.4, 6.5, 1), ["albumin"] = (1.6, 5, 1), ["total bilirubin"] = (0.2, 9, 1), ["direct bilirubin"] = (0.1, 5, 1),
        ["ast (sgot)"] = (10, 400, 0), ["alt (sgpt)"] = (8, 400, 0), ["alkaline phos."] = (35, 350, 0), ["pt - inr"] = (0.9, 4.5, 1),
        ["pt"] = (10, 42, 1), ["ptt"] = (22, 95, 1), ["lactate"] = (0.5, 9, 1), ["troponin - i"] = (0.01, 12, 2), ["troponin - t"] = (0.01, 5, 2),
        ["bnp"] = (15, 3500, 0), ["ph"] = (7.05, 7.58, 2), ["paco2"] = (24, 75, 0), ["pao2"] = (48, 320, 0), ["fio2"] = (21, 100, 0),
        ["mcv"] = (72, 108, 0), ["rbc"] = (2.4, 6.1, 2), ["mch"] = (24, 35, 1), ["mchc"] = (29, 36, 1), ["rdw"] = (11, 21, 1), ["mpv"] = (7, 12.5, 1),
        ["-polys"] = (40, 92, 0), ["-lymphs"] = (3, 45, 0), ["-monos"] = (1, 14, 0), ["-eos"] = (0, 7, 0), ["-basos"] = (0, 2, 0),
        ["anion gap"] = (4, 24, 0), ["triglycerides"] = (45, 450, 0), ["total cholesterol"] = (90, 300, 0), ["ldl"] = (40, 200, 0), ["hdl"] = (20, 90, 0),
        ["lipase"] = (8, 600, 0), ["amylase"] = (20, 400, 0), ["total protein"] = (4.2, 8.6, 1), ["methemoglobin"] = (0.1, 3, 1),
        ["folate"] = (2.5, 22, 1), ["base excess"] = (-12, 9, 1), ["o2 sat (%)"] = (82, 100, 0), ["ionized calcium"] = (0.9, 1.4, 2),
        ["ammonia"] = (10, 180, 0), ["cpk"] = (25, 2500, 0), ["ck-mb"] = (0.5, 40, 1), ["tsh"] = (0.05, 12, 2), ["free t4"] = (0.5, 3, 2),
        ["urinary specific gravity"] = (1.003, 1.035, 3), ["urinary creatinine"] = (20, 250, 0), ["vitamin b12"] = (150, 1500, 0),
        ["ferritin"] = (10, 1200, 0), ["fibrinogen"] = (120, 600, 0), ["crp"] = (0.3, 30, 1), ["esr"] = (2, 110, 0), ["cortisol"] = (2, 40, 1),
        ["-bands"] = (0, 20, 0), ["protein - total"] = (4.2, 8.6, 1), ["base deficit"] = (0, 12, 1), ["24 h urine protein"] = (50, 3500, 0),
    };

    private static readonly Dictionary<string, string> Icd9 = new(StringComparer.Ordinal)
    {
        ["acute respiratory failure"] = "518.81, j96.00", ["sepsis"] = "038.9, a41.9", ["pneumonia"] = "486, j18.9", ["hypertension"] = "401.9, i10",
        ["congestive heart failure"] = "428.0, i50.9", ["acute renal failure"] = "584.9, n17.9", ["diabetes mellitus"] = "250.00, e11.9",
        ["hypokalemia"] = "276.8, e87.6", ["anemia"] = "285.9, d64.9", ["atrial fibrillation"] = "427.31, i48.0", ["hyperglycemia"] = "790.6, r73.9",
        ["hypotension"] = "458.9, i95.9", ["copd"] = "491.20, j44.9", ["hyponatremia"] = "276.1, e87.1", ["altered mental status"] = "780.09, r41.82",
        ["change in mental status"] = "780.09, r41.82", ["acute coronary syndrome"] = "411.1, i24.9", ["stroke"] = "434.91, i63.50",
        ["upper gi bleeding"] = "578.9, k92.2", ["lower gi bleeding"] = "578.9, k92.2", ["pancreatitis"] = "577.0, k85.9", ["hypothyroidism"] = "244.9, e03.9",
        ["obstructive sleep apnea"] = "327.23, g47.33", ["coronary artery disease"] = "414.00, i25.10", ["pulmonary embolism"] = "415.19, i26.99",
        ["seizures"] = "780.39, r56.9", ["asthma"] = "493.90, j45.909", ["cellulitis"] = "682.9, l03.90", ["urinary tract infection"] = "599.0, n39.0",
        ["hyperlipidemia"] = "272.4, e78.5", ["leukocytosis"] = "288.60, d72.829", ["thrombocytopenia"] = "287.5, d69.6", ["encephalopathy"] = "348.30, g93.40",
        ["chronic kidney disease"] = "585.9, n18.9", ["depression"] = "311, f32.9", ["obesity"] = "278.00, e66.9", ["cardiac arrest"] = "427.5, i46.9",
        ["shock"] = "785.50, r57.9", ["hypoxemia"] = "799.02, r09.02", ["metabolic acidosis"] = "276.2, e87.2", ["alcohol withdrawal"] = "291.81, f10.239",
        ["s/p"] = "v45.89, z98.89", ["ards"] = "518.82, j80",
    };
}
