using System.Globalization;

namespace MedHelm.Evaluation.EhrSql;

/// <summary>Generates the rows of the synthetic eICU tables (column name → value), deterministically from the seed.</summary>
internal sealed class EicuRowBuilder
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

    private readonly SyntheticEicuOptions _options;
    private readonly EicuVocabulary _vocabulary;
    private readonly SeededRandom _random;
    private readonly Dictionary<string, List<Dictionary<string, object?>>> _rows = new(StringComparer.Ordinal);
    private readonly List<Stay> _stays = [];
    private readonly Dictionary<string, List<Stay>> _staysByPid = new(StringComparer.Ordinal);
    private readonly string[] _diagnoses;
    private readonly string[] _treatments;
    private readonly string[] _labs;
    private readonly string[] _drugs;
    private readonly string[] _routes;
    private readonly string[] _intakes;
    private readonly string[] _outputs;
    private readonly string[] _sites;
    private readonly string[] _admitSources;
    private readonly int[] _wards;
    private long _diagnosisId = 1, _treatmentId = 1, _labId = 1, _medicationId = 1, _costId = 1, _allergyId = 1, _ioId = 1, _microId = 1, _vitalId = 1;

    public EicuRowBuilder(SyntheticEicuOptions options, EicuVocabulary vocabulary)
    {
        _options = options;
        _vocabulary = vocabulary;
        _random = new SeededRandom(options.Seed);
        _diagnoses = Union(vocabulary.Values("diagnosis.diagnosisname"), Icd9.Keys);
        _treatments = Union(vocabulary.Values("treatment.treatmentname"), ["chest x-ray", "mechanical ventilation", "oxygen therapy (< 40%)", "antibacterials - penicillins", "vasopressors - norepinephrine > 0.1 micrograms/kg/min", "stress ulcer prophylaxis - pantoprazole", "vte prophylaxis - conventional heparin therapy", "physical therapy consult"]);
        _labs = Union(vocabulary.Values("lab.labname"), LabRanges.Keys);
        _drugs = Union(vocabulary.Values("medication.drugname"), ["acetaminophen", "pantoprazole", "heparin", "insulin", "furosemide", "metoprolol", "ondansetron", "potassium chloride", "magnesium sulfate", "vancomycin", "piperacillin-tazobactam", "lorazepam", "fentanyl", "propofol", "normal saline"]);
        _routes = Union(vocabulary.Values("medication.routeadmin"), Routes);
        var labels = vocabulary.Values("intakeoutput.celllabel");
        _intakes = Union(labels.Where(l => !IsOutputLabel(l)), IntakeLabels);
        _outputs = Union(labels.Where(IsOutputLabel), OutputLabels);
        _sites = Union(vocabulary.Values("microlab.culturesite"), CultureSites);
        _admitSources = Union(vocabulary.Values("patient.hospitaladmitsource"), AdmitSources);
        _wards = Union(vocabulary.Values("patient.wardid"), ["95", "236", "425", "613", "822", "1003"])
            .Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToArray();
    }

    public Dictionary<string, List<Dictionary<string, object?>>> Build()
    {
        var pids = _vocabulary.Values("patient.uniquepid").Take(_options.Patients).ToList();
        var taken = new HashSet<string>(pids, StringComparer.Ordinal);
        while (pids.Count < _options.Patients)
        {
            var pid = $"{_random.Int(1, 36):000}-{_random.Int(1, 260000)}";
            if (taken.Add(pid))
            {
                pids.Add(pid);
            }
        }

        var current = new HashSet<string>(_vocabulary.CurrentPatientIds, StringComparer.Ordinal);
        long healthSystemStay = 129000;
        long unitStay = 141000;
        foreach (var pid in pids)
        {
            var gender = _random.Chance(0.54) ? "male" : "female";
            var ethnicity = _random.Pick(Ethnicities);
            var baseAge = _random.Chance(0.04) ? 90 : _random.Int(18, 90);
            var hospitalStays = _random.Chance(0.3) ? _random.Int(2, 4) : 1;
            var firstAdmit = RandomTime(SyntheticEicuDatabase.RangeStart, SyntheticEicuDatabase.RangeEnd.AddDays(-30 * hospitalStays));
            var admit = firstAdmit;
            for (var h = 0; h < hospitalStays; h++)
            {
                healthSystemStay += _random.Int(1, 40);
                var isLast = h == hospitalStays - 1;
                var ongoing = isLast && (current.Contains(pid) || _random.Chance(0.03));
                if (ongoing)
                {
                    admit = SyntheticEicuDatabase.RangeEnd.AddHours(-_random.Int(30, 24 * 8));
                }

                var hospitalId = _random.Int(60, 460);
                var source = _random.Pick(_admitSources);
                var units = _random.Chance(0.2) ? 2 : 1;
                var unitAdmit = admit.AddMinutes(_random.Int(10, 60 * 20));
                var height = _random.Chance(0.9) ? Math.Round(gender == "male" ? _random.Range(160, 195) : _random.Range(148, 180), 1) : (double?)null;
                var weight = Math.Round(_random.Range(42, 145), 1);
                var expired = !ongoing && _random.Chance(0.09);
                DateTime? hospitalDischarge = null;
                for (var u = 0; u < units; u++)
                {
                    unitStay += _random.Int(1, 90);
                    var length = TimeSpan.FromHours(_random.Int(14, 24 * 9));
                    DateTime? unitDischarge = unitAdmit + length;
                    if (unitDischarge > SyntheticEicuDatabase.RangeEnd || (ongoing && u == units - 1))
                    {
                        unitDischarge = null;
                    }

                    var stay = new Stay(pid, healthSystemStay, unitStay, unitAdmit, unitDischarge ?? SyntheticEicuDatabase.RangeEnd);
                    _stays.Add(stay);
                    if (!_staysByPid.TryGetValue(pid, out var list))
                    {
                        _staysByPid[pid] = list = [];
                    }

                    list.Add(stay);
                    Add("patient", new()
                    {
                        ["uniquepid"] = pid,
                        ["patienthealthsystemstayid"] = healthSystemStay,
                        ["patientunitstayid"] = unitStay,
                        ["gender"] = gender,
                        ["age"] = AgeText(baseAge + (admit.Year - firstAdmit.Year)),
                        ["ethnicity"] = ethnicity,
                        ["hospitalid"] = (long)hospitalId,
                        ["wardid"] = (long)_random.Pick(_wards),
                        ["admissionheight"] = height,
                        ["admissionweight"] = _random.Chance(0.93) ? weight : null,
                        ["dischargeweight"] = unitDischarge is null || _random.Chance(0.3) ? null : Math.Round(weight + _random.Range(-4, 3), 1),
                        ["hospitaladmittime"] = SyntheticEicuDatabase.Time(admit),
                        ["hospitaladmitsource"] = source,
                        ["unitadmittime"] = SyntheticEicuDatabase.Time(unitAdmit),
                        ["unitdischargetime"] = unitDischarge is { } ud ? SyntheticEicuDatabase.Time(ud) : null,
                        ["hospitaldischargetime"] = null,
                        ["hospitaldischargestatus"] = null,
                    });
                    hospitalDischarge = unitDischarge?.AddHours(_random.Int(2, 24 * 5));
                    unitAdmit = (unitDischarge ?? unitAdmit).AddHours(_random.Int(2, 48));
                }

                if (hospitalDischarge > SyntheticEicuDatabase.RangeEnd)
                {
                    hospitalDischarge = null;
                }

                // the hospital discharge time and status are the health-system stay's, repeated on each unit stay
                foreach (var row in _rows["patient"].Where(r => (long)r["patienthealthsystemstayid"]! == healthSystemStay))
                {
                    row["hospitaldischargetime"] = hospitalDischarge is { } hd ? SyntheticEicuDatabase.Time(hd) : null;
                    row["hospitaldischargestatus"] = hospitalDischarge is null ? null : expired ? "expired" : "alive";
                }

                admit = (hospitalDischarge ?? admit).AddDays(_random.Int(20, 200));
                if (admit > SyntheticEicuDatabase.RangeEnd.AddDays(-10))
                {
                    break;
                }
            }
        }

        foreach (var stay in _stays)
        {
            FillStay(stay);
        }

        Coverage();
        Hints();
        return _rows;
    }

    private void FillStay(Stay stay)
    {
        for (int i = 0, n = _random.Int(2, 7); i < n; i++)
        {
            AddDiagnosis(stay, _random.Pick(_diagnoses));
        }

        for (int i = 0, n = _random.Int(2, 9); i < n; i++)
        {
            AddTreatment(stay, _random.Pick(_treatments));
        }

        // a daily panel plus random other labs
        var days = Math.Max(1, (int)Math.Ceiling((stay.End - stay.Start).TotalDays));
        string[] panel = ["sodium", "potassium", "chloride", "bicarbonate", "bun", "creatinine", "glucose", "hgb", "wbc x 1000", "platelets x 1000"];
        for (var d = 0; d < Math.Min(days, 6); d++)
        {
            var at = stay.Start.AddDays(d).AddHours(_random.Int(1, 8));
            if (at > stay.End)
            {
                break;
            }

            foreach (var lab in panel)
            {
                AddLab(stay, lab, at);
            }
        }

        for (int i = 0, n = _random.Int(8, 30); i < n; i++)
        {
            AddLab(stay, _random.Pick(_labs), null);
        }

        for (int i = 0, n = _random.Int(4, 13); i < n; i++)
        {
            AddMedication(stay, _random.Pick(_drugs), null);
        }

        for (int i = 0, n = _random.Chance(0.7) ? _random.Int(1, 3) : 0; i < n; i++)
        {
            AddAllergy(stay);
        }

        for (int i = 0, n = _random.Int(6, 20); i < n; i++)
        {
            AddIntakeOutput(stay, _random.Chance(0.55) ? _random.Pick(_intakes) : _random.Pick(_outputs));
        }

        for (int i = 0, n = _random.Chance(0.5) ? _random.Int(1, 3) : 0; i < n; i++)
        {
            AddCulture(stay, _random.Pick(_sites));
        }

        // periodic vitals every 5 minutes in bursts, like eICU's vitalperiodic, capped per stay
        var t = stay.Start.AddMinutes(_random.Int(0, 30));
        var hr = _random.Range(65, 115);
        var sys = _random.Range(95, 160);
        var count = 0;
        while (t <= stay.End && count < 60)
        {
            hr = Math.Clamp(hr + _random.Range(-6, 6), 38, 170);
            sys = Math.Clamp(sys + _random.Range(-8, 8), 70, 210);
            var dia = Math.Clamp(sys * _random.Range(0.5, 0.65), 35, 120);
            Add("vitalperiodic", new()
            {
                ["vitalperiodicid"] = _vitalId++,
                ["patientunitstayid"] = stay.UnitStayId,
                ["temperature"] = _random.Chance(0.35) ? Math.Round(_random.Range(35.8, 39.4), 1) : null,
                ["sao2"] = _random.Chance(0.95) ? (long)_random.Int(86, 101) : null,
                ["heartrate"] = (long)Math.Round(hr),
                ["respiration"] = _random.Chance(0.9) ? (long)_random.Int(9, 32) : null,
                ["systemicsystolic"] = _random.Chance(0.6) ? (long)Math.Round(sys) : null,
                ["systemicdiastolic"] = _random.Chance(0.6) ? (long)Math.Round(dia) : null,
                ["systemicmean"] = _random.Chance(0.6) ? (long)Math.Round((sys + (2 * dia)) / 3) : null,
                ["observationtime"] = SyntheticEicuDatabase.Time(t),
            });
            count++;
            t = t.AddMinutes(count % 6 == 0 ? _random.Int(120, 600) : 5);
        }
    }

    // every vocabulary entity occurs at least three times, so that population questions find rows
    private void Coverage()
    {
        foreach (var name in _diagnoses)
        {
            Repeat(3, s => AddDiagnosis(s, name));
        }

        foreach (var name in _treatments)
        {
            Repeat(3, s => AddTreatment(s, name));
        }

        foreach (var name in _labs)
        {
            Repeat(4, s => AddLab(s, name, null));
        }

        foreach (var name in _drugs)
        {
            Repeat(3, s => AddMedication(s, name, null));
        }

        foreach (var route in _routes)
        {
            Repeat(3, s => AddMedication(s, _random.Pick(_drugs), route));
        }

        foreach (var label in _intakes.Concat(_outputs))
        {
            Repeat(3, s => AddIntakeOutput(s, label));
        }

        foreach (var site in _sites)
        {
            Repeat(3, s => AddCulture(s, site));
        }

        void Repeat(int times, Action<Stay> add)
        {
            for (var i = 0; i < times; i++)
            {
                add(_random.Pick(_stays));
            }
        }
    }

    // the entity a question names together with a patient id is given to that patient (twice, in different stays when there are several)
    private void Hints()
    {
        foreach (var (pid, table, column, value) in _vocabulary.Hints)
        {
            if (!_staysByPid.TryGetValue(pid, out var stays))
            {
                continue;
            }

            for (var i = 0; i < 2; i++)
            {
                var stay = stays[(i + _random.Int(0, stays.Count)) % stays.Count];
                switch ($"{table}.{column}")
                {
                    case "diagnosis.diagnosisname": AddDiagnosis(stay, value); break;
                    case "treatment.treatmentname": AddTreatment(stay, value); break;
                    case "lab.labname": AddLab(stay, value, null); break;
                    case "medication.drugname": AddMedication(stay, value, null); break;
                    case "medication.routeadmin": AddMedication(stay, _random.Pick(_drugs), value); break;
                    case "intakeoutput.celllabel": AddIntakeOutput(stay, value); break;
                    case "microlab.culturesite": AddCulture(stay, value); break;
                    default: break;
                }
            }
        }
    }

    private void AddDiagnosis(Stay stay, string name)
    {
        var id = _diagnosisId++;
        var at = RandomTime(stay.Start, stay.End);
        Add("diagnosis", new()
        {
            ["diagnosisid"] = id,
            ["patientunitstayid"] = stay.UnitStayId,
            ["diagnosisname"] = name,
            ["diagnosistime"] = SyntheticEicuDatabase.Time(at),
            ["icd9code"] = Icd9Code(name),
        });
        AddCost(stay, "diagnosis", id, at, _random.Range(20, 700));
    }

    private void AddTreatment(Stay stay, string name)
    {
        var id = _treatmentId++;
        var at = RandomTime(stay.Start, stay.End);
        Add("treatment", new()
        {
            ["treatmentid"] = id,
            ["patientunitstayid"] = stay.UnitStayId,
            ["treatmentname"] = name,
            ["treatmenttime"] = SyntheticEicuDatabase.Time(at),
        });
        AddCost(stay, "treatment", id, at, _random.Range(50, 2500));
    }

    private void AddLab(Stay stay, string name, DateTime? time)
    {
        var id = _labId++;
        var at = time ?? RandomTime(stay.Start, stay.End);
        var (min, max, digits) = LabRanges.TryGetValue(name, out var r) ? r : (1.0, 100.0, 1);
        Add("lab", new()
        {
            ["labid"] = id,
            ["patientunitstayid"] = stay.UnitStayId,
            ["labname"] = name,
            ["labresult"] = Math.Round(_random.Range(min, max), digits),
            ["labresulttime"] = SyntheticEicuDatabase.Time(at),
        });
        AddCost(stay, "lab", id, at, _random.Range(3, 120));
    }

    private void AddMedication(Stay stay, string drug, string? route)
    {
        var id = _medicationId++;
        var start = RandomTime(stay.Start, stay.End);
        var stop = start.AddHours(_random.Int(1, 24 * 6));
        var dose = SyntheticEicuDatabase.DoseInName().Match(drug) is { Success: true } m ? $"{m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal)} {m.Groups[2].Value.ToLowerInvariant()}" : _random.Pick(Doses);
        route ??= drug.Contains(" po ", StringComparison.Ordinal) || drug.Contains("tab", StringComparison.Ordinal) ? (_random.Chance(0.5) ? "po" : "oral")
            : drug.Contains("inj", StringComparison.Ordinal) || drug.Contains(" iv", StringComparison.Ordinal) ? (_random.Chance(0.5) ? "iv" : "intravenous")
            : _random.Pick(_routes);
        Add("medication", new()
        {
            ["medicationid"] = id,
            ["patientunitstayid"] = stay.UnitStayId,
            ["drugname"] = drug,
            ["dosage"] = dose,
            ["routeadmin"] = route,
            ["drugstarttime"] = SyntheticEicuDatabase.Time(start),
            ["drugstoptime"] = stop > SyntheticEicuDatabase.RangeEnd ? null : SyntheticEicuDatabase.Time(stop),
        });
        AddCost(stay, "medication", id, start, _random.Range(2, 250));
    }

    private void AddAllergy(Stay stay)
    {
        var (allergy, drug) = _random.Pick(Allergies);
        Add("allergy", new()
        {
            ["allergyid"] = _allergyId++,
            ["patientunitstayid"] = stay.UnitStayId,
            ["drugname"] = drug,
            ["allergyname"] = allergy,
            ["allergytime"] = SyntheticEicuDatabase.Time(RandomTime(stay.Start, stay.Start.AddHours(12))),
        });
    }

    private void AddIntakeOutput(Stay stay, string label)
    {
        var output = IsOutputLabel(label);
        var input = _vocabulary.CellLabelPaths.TryGetValue(label, out var kinds) && kinds.Contains("input");
        var path = output
            ? $"flowsheet|Flowsheet Cell Labels|I&O|Output (ml)|{label}"
            : $"flowsheet|Flowsheet Cell Labels|I&O|Intake (ml)|{(input ? "Input" : "Infusions")}|{label}";
        Add("intakeoutput", new()
        {
            ["intakeoutputid"] = _ioId++,
            ["patientunitstayid"] = stay.UnitStayId,
            ["cellpath"] = path,
            ["celllabel"] = label,
            ["cellvaluenumeric"] = Math.Round(output ? _random.Range(20, 900) : _random.Range(1, 1000), 2),
            ["intakeoutputtime"] = SyntheticEicuDatabase.Time(RandomTime(stay.Start, stay.End)),
        });
    }

    private void AddCulture(Stay stay, string site) =>
        Add("microlab", new()
        {
            ["microlabid"] = _microId++,
            ["patientunitstayid"] = stay.UnitStayId,
            ["culturesite"] = site,
            ["organism"] = _random.Pick(Organisms),
            ["culturetakentime"] = SyntheticEicuDatabase.Time(RandomTime(stay.Start, stay.End)),
        });

    private void AddCost(Stay stay, string type, long eventId, DateTime at, double cost) =>
        Add("cost", new()
        {
            ["costid"] = _costId++,
            ["uniquepid"] = stay.Pid,
            ["patienthealthsystemstayid"] = stay.HealthSystemStayId,
            ["eventtype"] = type,
            ["eventid"] = eventId,
            ["chargetime"] = SyntheticEicuDatabase.Time(at),
            ["cost"] = Math.Round(cost, 2),
        });

    private string? Icd9Code(string name)
    {
        foreach (var (key, code) in Icd9)
        {
            if (name.StartsWith(key, StringComparison.Ordinal) || name.Contains(" " + key, StringComparison.Ordinal))
            {
                return code;
            }
        }

        // a stable pseudo-code per name, in ICD-9 shape (some diagnoses have none, as in eICU)
        var h = 0u;
        foreach (var ch in name)
        {
            h = (h * 31) + ch;
        }

        return h % 7 == 0 ? null : string.Create(CultureInfo.InvariantCulture, $"{(h % 900) + 1:000}.{h / 900 % 10}");
    }

    private bool IsOutputLabel(string label) =>
        _vocabulary.CellLabelPaths.TryGetValue(label, out var kinds) ? kinds.Contains("output") && !kinds.Contains("intake")
            : label.Contains("output", StringComparison.Ordinal) || label.Contains("urine", StringComparison.Ordinal) || label.Contains("drain", StringComparison.Ordinal);

    private DateTime RandomTime(DateTime from, DateTime to)
    {
        if (to <= from)
        {
            return from;
        }

        var minutes = (int)Math.Min(int.MaxValue - 1, (to - from).TotalMinutes);
        return from.AddMinutes(_random.Int(0, minutes + 1));
    }

    private static string AgeText(int age) => age >= 90 ? "> 89" : age.ToString(CultureInfo.InvariantCulture);

    private void Add(string table, Dictionary<string, object?> row)
    {
        if (!_rows.TryGetValue(table, out var list))
        {
            _rows[table] = list = [];
        }

        list.Add(row);
    }

    private static string[] Union(IEnumerable<string> first, IEnumerable<string> second) =>
        first.Concat(second).Distinct(StringComparer.Ordinal).ToArray();

    private sealed record Stay(string Pid, long HealthSystemStayId, long UnitStayId, DateTime Start, DateTime End);
}
