using System.IO.Compression;
using System.Text;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Importers;

namespace MedHelm.Evaluation.Tests.Datasets;

/// <summary>The gated formats: each synthetic stand-in imports with its importer; malformed files are rejected with file, line and field.</summary>
public sealed class GatedFormatImportTests
{
    public static TheoryData<string, int> Expected => new()
    {
        { "dischargeme", 10 },
        { "mimic_bhc", 6 },
        { "mimic_rrs", 8 },
        { "mimiciv_billing_code", 6 },
        { "n2c2_ct_matching", 9 },
        { "medalign", 6 },
        { "ehrshot", 8 },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void Each_synthetic_stand_in_imports_and_builds_prompts(string benchmark, int count)
    {
        var dataset = ImportSample(benchmark, out var readme);
        Assert.Equal(benchmark, dataset.Benchmark);
        Assert.Equal(count, dataset.Count);
        Assert.Contains("SYNTHETIC", readme, StringComparison.Ordinal);
        var definition = BuiltInBenchmarks.Find(benchmark)!;
        Assert.Equal(AccessTier.Gated, definition.Access);
        foreach (var instance in dataset.Instances)
        {
            Assert.False(string.IsNullOrWhiteSpace(instance.Gold), $"{benchmark} {instance.Id} has no gold");
            foreach (var field in definition.InputFields)
            {
                Assert.False(string.IsNullOrWhiteSpace(instance.Fields[field.Key]), $"{benchmark} {instance.Id} lacks {field.Key}");
            }

            if (definition.SubRuns.Count > 0)
            {
                Assert.Contains(instance.Metadata["subset"], definition.SubRuns.Select(r => r.Name));
            }

            _ = Core.Prompts.BenchmarkPrompt.Build(definition, instance);
        }

        if (definition.SubRuns.Count > 0)
        {
            Assert.Equal(definition.SubRuns.Select(r => r.Name).Order(), dataset.Instances.Select(i => i.Metadata["subset"]).Distinct().Order());
        }
    }

    [Fact]
    public void DischargeMe_removes_both_target_sections_and_joins_radiology()
    {
        var instances = ImportSample("dischargeme", out _).Instances;
        var bhc = instances.Single(i => i.Id == "29000001/brief_hospital_course");
        var di = instances.Single(i => i.Id == "29000001/discharge_instructions");
        Assert.Equal("Brief Hospital Course", bhc.Question);
        Assert.StartsWith("72 year old man", bhc.Gold, StringComparison.Ordinal);
        Assert.StartsWith("You were admitted", di.Gold, StringComparison.Ordinal);
        var input = bhc.Fields["discharge_text"];
        Assert.DoesNotContain("Brief Hospital Course:", input, StringComparison.Ordinal);
        Assert.DoesNotContain("drug-eluting stent to the mid LAD", bhc.Gold, StringComparison.Ordinal);
        Assert.DoesNotContain("Troponin rose", input, StringComparison.Ordinal);
        Assert.DoesNotContain("Call 911", input, StringComparison.Ordinal);
        Assert.Contains("Chief Complaint:\nChest pain", input, StringComparison.Ordinal);
        Assert.Contains("Followup Instructions:", input, StringComparison.Ordinal);
        Assert.Equal("verbatim", bhc.Metadata["target_removal"]);
        Assert.Contains("TTE: Left ventricular", bhc.Fields["radiology"], StringComparison.Ordinal);
        Assert.Equal("2", bhc.Metadata["radiology_reports"]);
    }

    [Fact]
    public void DischargeMe_falls_back_to_the_heading_when_the_target_is_not_verbatim()
    {
        var note = "Chief Complaint:\nfever\n\nBrief Hospital Course:\nText written differently.\nSecond line.\n\nMedications on Admission:\nnone\n";
        var (text, how) = DischargeMeImporter.RemoveTargets(note, [("Brief Hospital Course", "A summary that is not in the note")]);
        Assert.Equal("heading", how);
        Assert.DoesNotContain("written differently", text, StringComparison.Ordinal);
        Assert.Contains("Medications on Admission:\nnone", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Billing_codes_parse_from_json_python_numpy_and_plain_lists()
    {
        Assert.Equal(["I10", "E119"], MimicIvBillingCodeImporter.ParseCodes("['I10' 'E119']"));
        Assert.Equal(["I10", "E119"], MimicIvBillingCodeImporter.ParseCodes("[\"I10\", \"E119\"]"));
        Assert.Equal(["I10", "E11.9"], MimicIvBillingCodeImporter.ParseCodes("I10, E11.9"));
        Assert.True(MimicIvBillingCodeImporter.IsIcd10("S72001A"));
        Assert.False(MimicIvBillingCodeImporter.IsIcd10("hypertension"));
        var first = ImportSample("mimiciv_billing_code", out _).Instances[0];
        Assert.Equal("28000001", first.Id);
        Assert.Equal("J189,E1122,N183,I129", first.Gold);
    }

    [Fact]
    public void Billing_codes_import_from_a_csv_export()
    {
        using var folder = new TempFolder();
        var path = folder.Write("mimiciv_icd10.csv", "text,target\n\"A note, with a comma.\",\"['I10' 'E119']\"\nAnother note,\"[\"\"K851\"\"]\"\n");
        var dataset = DatasetImport.Import(new MimicIvBillingCodeImporter(), path);
        Assert.Equal(["I10,E119", "K851"], dataset.Instances.Select(i => i.Gold));
        Assert.Equal("line2", dataset.Instances[0].Id);
    }

    [Fact]
    public void N2c2_gold_follows_the_met_attribute_per_criterion()
    {
        var instances = ImportSample("n2c2_ct_matching", out _).Instances;
        Assert.Equal("A", instances.Single(i => i.Id == "test/901/ADVANCED-CAD").Gold);
        Assert.Equal("B", instances.Single(i => i.Id == "test/901/CREATININE").Gold);
        Assert.Equal("A", instances.Single(i => i.Id == "test/902/CREATININE").Gold);
        var one = instances[0];
        Assert.Equal(["yes", "no"], one.Options.Select(o => o.Text));
        Assert.StartsWith("Record date:", one.Fields["notes"], StringComparison.Ordinal);
    }

    [Fact]
    public void MedAlign_dedupes_reviewed_rows_and_reads_the_ehr_xml()
    {
        var instances = ImportSample("medalign", out _).Instances;
        Assert.Equal(["1001", "1002", "1003", "1004", "1005", "1006"], instances.Select(i => i.Id));
        Assert.Contains("<eventstream>", instances[0].Fields["ehr"], StringComparison.Ordinal);
        Assert.Equal("9000001", instances[0].Metadata["person_id"]);
        Assert.StartsWith("The most recent HbA1c", instances[0].Gold, StringComparison.Ordinal);
    }

    [Fact]
    public void Ehrshot_timeline_stops_at_the_prediction_time()
    {
        var instances = ImportSample("ehrshot", out _).Instances;
        var anemia = instances.Single(i => i.Id == "lab_anemia/1003/2018-01-16T07:59:00");
        Assert.Equal("A", anemia.Gold);
        Assert.Contains("LOINC/718-7 = 12.9 g/dL", anemia.Fields["timeline"], StringComparison.Ordinal);
        Assert.DoesNotContain("8.7", anemia.Fields["timeline"], StringComparison.Ordinal);
        Assert.StartsWith("(static) Gender/F", anemia.Fields["timeline"], StringComparison.Ordinal);
        Assert.Equal("test", anemia.Split);
        Assert.Equal("tuning", instances.First(i => i.Metadata["subject_id"] == "1004").Split);
        Assert.Equal("B", instances.Single(i => i.Id == "lab_anemia/1004/2019-09-05T05:59:00").Gold);
        var readmission = instances.Single(i => i.Id == "guo_readmission/1001/2014-03-06T23:59:00");
        Assert.DoesNotContain("2014-03-20", readmission.Fields["timeline"], StringComparison.Ordinal);
    }

    [Fact]
    public void Mimic_rrs_files_of_unequal_length_are_an_error_naming_both()
    {
        using var folder = new TempFolder();
        folder.Write("test.findings.tok", "a .\nb .\nc .\n");
        folder.Write("test.impression.tok", "x .\ny .\n");
        var result = DatasetImport.Read(new MimicRrsImporter(), folder.Path);
        Assert.Null(result.Dataset);
        var problem = result.Report.Problems.Single();
        Assert.Contains("test.findings.tok has 3 lines", problem.Problem, StringComparison.Ordinal);
        Assert.Contains("test.impression.tok has 2", problem.Problem, StringComparison.Ordinal);
        Assert.Equal(3, problem.Line);
    }

    public static TheoryData<string, string, Func<TempFolder, string>, string, long?, string?> Cases => new()
    {
        // benchmark, case, writes the files and returns the path to import, expected file name, line, field
        { "mimic_bhc", "invalid JSON on line 3", f => f.Write("mimic_iv_bhc.json", "{\"input\":\"a\",\"target\":\"b\"}\n{\"input\":\"c\",\"target\":\"d\"}\n{\"input\": \"oops\n"), "mimic_iv_bhc.json", 3, null },
        { "mimic_bhc", "missing target", f => f.Write("mimic_iv_bhc.json", "{\"input\":\"a\",\"target\":\"b\"}\n{\"input\":\"c\"}\n"), "mimic_iv_bhc.json", 2, "target" },
        { "mimic_rrs", "empty findings line", f => { f.Write("test.impression.tok", "x .\ny .\n"); return f.Write("test.findings.tok", "a .\n \n"); }, "test.findings.tok", 2, "findings" },
        { "mimic_rrs", "impression file missing", f => f.Write("test.findings.tok", "a .\n"), "test.impression.tok", null, null },
        { "mimiciv_billing_code", "not an ICD-10 code", f => f.Write("mimiciv_icd10.jsonl", "{\"text\":\"n\",\"target\":[\"I10\"]}\n{\"text\":\"n\",\"target\":[\"I10\",\"high blood pressure\"]}\n"), "mimiciv_icd10.jsonl", 2, "target" },
        { "mimiciv_billing_code", "target of the wrong type", f => f.Write("mimiciv_icd10.jsonl", "{\"text\":\"n\",\"target\":{\"a\":1}}\n"), "mimiciv_icd10.jsonl", 1, "target" },
        { "mimiciv_billing_code", "csv without text column", f => f.Write("mimiciv_icd10.csv", "note,target\nx,I10\n"), "mimiciv_icd10.csv", 1, "text" },
        { "mimiciv_billing_code", "feather file", f => f.Write("mimiciv_icd10.feather", "ARROW1"), "mimiciv_icd10.feather", null, null },
        { "n2c2_ct_matching", "bad met value", f => { Directory.CreateDirectory(Path.Combine(f.Path, "test")); f.Write("test/100.xml", N2c2Xml("met", "maybe")); return f.Path; }, "100.xml", 7, "ADVANCED-CAD" },
        { "n2c2_ct_matching", "missing criterion tag", f => f.Write("101.xml", N2c2Xml("met", "met").Replace("<CREATININE met=\"met\" />\n", "", StringComparison.Ordinal)), "101.xml", 5, "CREATININE" },
        { "n2c2_ct_matching", "malformed XML", f => f.Write("102.xml", "<?xml version=\"1.0\"?>\n<PatientMatching>\n<TEXT>notes</TEXT>\n<TAGS>\n</PatientMatching>\n"), "102.xml", 5, null },
        { "medalign", "missing EHR file", f => WriteMedAlign(f, "1\t42\tWhat?\n", "1\tAnswer.\n", ehr: null), "clinician-reviewed-model-responses.tsv", 2, "person_id" },
        { "medalign", "EHR that is not XML", f => WriteMedAlign(f, "1\t42\tWhat?\n", "1\tAnswer.\n", ehr: "<a><b></a>"), "EHR_42.xml", 1, null },
        { "medalign", "conflicting person", f => WriteMedAlign(f, "1\t42\tWhat?\n1\t43\tWhat?\n", "1\tAnswer.\n", ehr: "<e/>"), "clinician-reviewed-model-responses.tsv", 3, "person_id" },
        { "medalign", "empty response", f => WriteMedAlign(f, "1\t42\tWhat?\n", "1\t \n", ehr: "<e/>"), "clinician-instruction-responses.tsv", 2, "clinician_response" },
        { "ehrshot", "bad prediction time", f => WriteEhrshot(f, "subject_id,prediction_time,label\n1,2020-01-01 00:00:00,true\n1,yesterday,false\n"), "labels.csv", 3, "prediction_time" },
        { "ehrshot", "bad label", f => WriteEhrshot(f, "subject_id,prediction_time,label\n1,2020-01-01 00:00:00,perhaps\n"), "labels.csv", 2, "label" },
        { "ehrshot", "bad event time", f => WriteEhrshot(f, "subject_id,prediction_time,label\n1,2020-01-01 00:00:00,true\n", "subject_id,time,code\n1,2019-01-01,ICD10CM/I10\n1,someday,ICD10CM/E11.9\n"), "data.csv", 3, "time" },
        { "ehrshot", "subject without events", f => WriteEhrshot(f, "subject_id,prediction_time,label\n1,2020-01-01 00:00:00,true\n7,2020-01-01 00:00:00,true\n"), "labels.csv", 3, "subject_id" },
        { "dischargeme", "corrupt gzip", f => WriteDischargeMe(f, corruptRadiology: true), "radiology.csv.gz", null, null },
        { "dischargeme", "target without discharge note", f => WriteDischargeMe(f, extraTarget: true), "discharge_target.csv.gz", 3, "hadm_id" },
        { "dischargeme", "non-numeric hadm_id", f => WriteDischargeMe(f, badId: true), "discharge.csv.gz", 2, "hadm_id" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_gated_input_is_rejected_naming_file_line_and_field(
        string benchmark, string name, Func<TempFolder, string> write, string file, long? line, string? field)
    {
        using var folder = new TempFolder();
        var path = write(folder);
        var result = DatasetImport.Read(DatasetImporters.Find(benchmark)!, path);
        Assert.Null(result.Dataset);
        var problem = result.Report.Problems[0];
        Assert.True(Path.GetFileName(problem.File) == file, $"{name}: {result.Report.Format()}");
        Assert.True(problem.Line == line, $"{name}: expected line {line}: {result.Report.Format()}");
        if (field is not null)
        {
            Assert.True(problem.Field == field, $"{name}: expected field {field}: {result.Report.Format()}");
        }

        var e = Assert.Throws<DatasetFormatException>(() => DatasetImport.Import(DatasetImporters.Find(benchmark)!, path));
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
    }

    private static ImportedDataset ImportSample(string benchmark, out string readme)
    {
        using var folder = new TempFolder();
        BundledSamples.Extract(benchmark, folder.Path);
        readme = File.ReadAllText(Path.Combine(folder.Path, "README.md"));
        return DatasetImport.Import(DatasetImporters.Find(benchmark)!, folder.Path);
    }

    private static string N2c2Xml(string abdominal, string cad) =>
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<PatientMatching>\n<TEXT><![CDATA[Record date: 2090-01-01\nnotes]]></TEXT>\n<TAGS>\n" +
        $"<ABDOMINAL met=\"{abdominal}\" />\n<ADVANCED-CAD met=\"{cad}\" />\n<CREATININE met=\"met\" />\n</TAGS>\n</PatientMatching>\n";

    private static string WriteMedAlign(TempFolder f, string instructionRows, string responseRows, string? ehr)
    {
        f.Write(MedAlignImporter.InstructionsFileName, "instruction_id\tperson_id\tquestion\n" + instructionRows);
        f.Write(MedAlignImporter.ResponsesFileName, "instruction_id\tclinician_response\n" + responseRows);
        Directory.CreateDirectory(Path.Combine(f.Path, MedAlignImporter.EhrFolderName));
        if (ehr is not null)
        {
            f.Write(Path.Combine(MedAlignImporter.EhrFolderName, "EHR_42.xml"), ehr);
        }

        return f.Path;
    }

    private static string WriteEhrshot(TempFolder f, string labels, string data = "subject_id,time,code\n1,2019-01-01,ICD10CM/I10\n")
    {
        Directory.CreateDirectory(Path.Combine(f.Path, "data"));
        Directory.CreateDirectory(Path.Combine(f.Path, "labels", "guo_readmission"));
        f.Write(Path.Combine("data", "data.csv"), data);
        f.Write(Path.Combine("labels", "guo_readmission", "labels.csv"), labels);
        return f.Path;
    }

    private static string WriteDischargeMe(TempFolder f, bool corruptRadiology = false, bool extraTarget = false, bool badId = false)
    {
        const string NoteHeader = "note_id,subject_id,hadm_id,note_type,note_seq,charttime,storetime,text\n";
        Gzip(f, "discharge.csv.gz", NoteHeader + $"n1,1,{(badId ? "abc" : "100")},DS,1,,,\"Brief Hospital Course:\nbhc\n\nDischarge Instructions:\ndi\n\"\n");
        Gzip(f, "discharge_target.csv.gz", "note_id,hadm_id,discharge_instructions,brief_hospital_course\nn1,100,di,bhc\n" + (extraTarget ? "n2,200,di2,bhc2\n" : string.Empty));
        if (corruptRadiology)
        {
            File.WriteAllBytes(Path.Combine(f.Path, "radiology.csv.gz"), [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5]);
        }
        else
        {
            Gzip(f, "radiology.csv.gz", NoteHeader + "r1,1,100,RR,1,,,\"CHEST: clear.\"\n");
        }

        return f.Path;
    }

    private static void Gzip(TempFolder f, string name, string text)
    {
        using var file = File.Create(Path.Combine(f.Path, name));
        using var gzip = new GZipStream(file, CompressionLevel.Optimal);
        gzip.Write(Encoding.UTF8.GetBytes(text));
    }
}
