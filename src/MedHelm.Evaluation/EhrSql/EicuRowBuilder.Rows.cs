
namespace MedHelm.Evaluation.EhrSql;

/// <summary>One writer per eICU table: each adds a row for a stay with its next id.</summary>
internal sealed partial class EicuRowBuilder
{
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
}
