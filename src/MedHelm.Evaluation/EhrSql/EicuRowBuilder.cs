using System.Globalization;

namespace MedHelm.Evaluation.EhrSql;

/// <summary>Generates the rows of the synthetic eICU tables (column name → value), deterministically from the seed.</summary>
internal sealed partial class EicuRowBuilder
{
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
