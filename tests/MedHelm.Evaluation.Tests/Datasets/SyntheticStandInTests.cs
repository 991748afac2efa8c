using System.IO.Compression;
using System.Security;
using System.Text;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Importers;
using MedHelm.Evaluation.Datasets.Private;

namespace MedHelm.Evaluation.Tests.Datasets;

/// <summary>
/// Bundled data for all 37 benchmarks: the synthetic stand-ins of the 14 private benchmarks (read by the built-in
/// definitions, no definition file), MedQA and MedMCQA in their published formats, and the RaceBias reading fixes.
/// </summary>
public sealed class SyntheticStandInTests
{
    public static TheoryData<string, int> PrivateExpected => new()
    {
        { "clear", 13 },
        { "shc_ptbm_med", 10 },
        { "shc_sei_med", 10 },
        { "chw_care_plan", 10 },
        { "starr_patient_instructions", 10 },
        { "shc_conf_med", 10 },
        { "shc_proxy_med", 10 },
        { "shc_privacy_med", 10 },
        { "mental_health", 10 },
        { "shc_bmt_med", 10 },
        { "shc_gip_med", 10 },
        { "shc_sequoia_med", 10 },
        { "shc_cdi_med", 10 },
        { "shc_ent_med", 10 },
    };

    [Fact]
    public void Every_built_in_benchmark_has_bundled_data_and_an_importer()
    {
        var names = BuiltInBenchmarks.All.Select(b => b.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(37, names.Length);
        Assert.Equal(names, BundledSamples.Benchmarks);
        Assert.Equal(names, DatasetImporters.All.Select(i => i.Benchmark).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_synthetic_samples_are_the_rows_NOTICE_marks_synthetic()
    {
        // | `clear/` | CLEAR | **SYNTHETIC**: ... — every row of the table names its folder (= the benchmark) first
        var rows = BundledSamples.Notice().Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToArray();
        string Folder(string row) => row[3..row.IndexOf("/`", StringComparison.Ordinal)];
        var synthetic = rows.Where(r => r.Contains("**SYNTHETIC**", StringComparison.Ordinal)).Select(Folder).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(24, synthetic.Length);
        Assert.Equal(synthetic, BundledSamples.SyntheticBenchmarks);
        Assert.All(synthetic, b => Assert.True(BundledSamples.IsSynthetic(b), b));
        Assert.True(BundledSamples.IsSynthetic("CLEAR"));

        var real = rows.Select(Folder).Except(synthetic).Select(f => f == "pubmedqa" ? "pubmed_qa" : f).ToArray();
        Assert.Equal(13, real.Length);
        Assert.All(real, b => Assert.False(BundledSamples.IsSynthetic(b), b));
        Assert.Equal(BundledSamples.Benchmarks, synthetic.Concat(real).Order(StringComparer.Ordinal));
        Assert.False(BundledSamples.IsSynthetic("not_a_benchmark"));
    }

    [Fact]
    public void Every_private_built_in_imports_through_its_built_in_definition()
    {
        var privates = BuiltInBenchmarks.All.Where(b => b.Access == AccessTier.Private).ToArray();
        Assert.Equal(14, privates.Length);
        Assert.Equal(privates.Select(b => b.Name).Order(), PrivateExpected.Select(row => (string)row[0]).Order());
        foreach (var definition in privates)
        {
            var importer = Assert.IsType<GenericInstancesImporter>(DatasetImporters.Find(definition.Name));
            Assert.Equal(definition.Name, importer.Benchmark);
        }

        Assert.IsType<GenericInstancesImporter>(DatasetImporters.Find("SHC_CONF_MED"));
    }

    [Theory]
    [MemberData(nameof(PrivateExpected))]
    public void Each_private_stand_in_is_synthetic_and_fits_its_definition(string benchmark, int count)
    {
        using var folder = new TempFolder();
        var written = BundledSamples.Extract(benchmark, folder.Path);
        Assert.Equal(["README.md", "synthetic.jsonl"], written.Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("SYNTHETIC", File.ReadAllText(Path.Combine(folder.Path, "README.md")), StringComparison.Ordinal);

        var dataset = DatasetImport.Import(DatasetImporters.Find(benchmark)!, folder.Path);
        var definition = BuiltInBenchmarks.Find(benchmark)!;
        Assert.Equal(AccessTier.Private, definition.Access);
        Assert.Equal(count, dataset.Count);
        foreach (var instance in dataset.Instances)
        {
            Assert.Equal("true", instance.Metadata[MetadataKeys.Synthetic]);
            Assert.Equal("synthetic.jsonl", instance.Metadata[MetadataKeys.File]);
            Assert.StartsWith("synthetic-", instance.Id, StringComparison.Ordinal);
            Assert.Equal(definition.InputFields.Select(f => f.Key).Order(), instance.Fields.Keys.Order());
            Assert.All(instance.Fields.Values, v => Assert.False(string.IsNullOrWhiteSpace(v)));
            if (definition.AnswerKind == AnswerKind.Letter)
            {
                Assert.Contains(instance.Gold[0], instance.OptionLetters);
                Assert.False(string.IsNullOrWhiteSpace(instance.Question));
            }
            else
            {
                Assert.Equal(AnswerKind.FreeText, definition.AnswerKind);
                Assert.True(instance.Gold.Length > 40, $"{instance.Id}: the reference is missing");
            }

            _ = Core.Prompts.BenchmarkPrompt.Build(definition, instance);
        }

        if (definition.AnswerKind == AnswerKind.Letter)
        {
            // both answers occur, so a constant answer cannot score 100 %
            Assert.True(dataset.Instances.Select(i => i.Gold).Distinct().Count() > 1, benchmark);
        }
    }

    [Fact]
    public void The_CLEAR_stand_in_has_one_instance_per_condition_run()
    {
        var instances = ImportSample("clear");
        Assert.Equal(BuiltInBenchmarks.ClearConditions.Select(c => c.Name).Order(), instances.Select(i => i.Metadata[MetadataKeys.Subset]).Order());
        var adhd = instances.Single(i => i.Metadata[MetadataKeys.Subset] == "attention_deficit_hyperactivity_disorder");
        Assert.Equal("B", adhd.Gold);
        Assert.Equal(["Has a history of attention deficit hyperactivity disorder (ADHD)", "Does not have a history of attention deficit hyperactivity disorder (ADHD)", "Uncertain"], adhd.Options.Select(o => o.Text));
        Assert.Equal(["A", "B", "C"], instances.Select(i => i.Gold).Distinct().Order());
    }

    [Fact]
    public void The_SHC_stand_ins_fill_HELMs_template_and_the_free_text_ones_carry_references()
    {
        var conf = ImportSample("shc_conf_med")[0];
        var prompt = Core.Prompts.BenchmarkPrompt.Build(BuiltInBenchmarks.Find("shc_conf_med")!, conf).User;
        Assert.StartsWith("Provide an answer to the following question: Does the note contain confidential information", prompt, StringComparison.Ordinal);
        Assert.Contains("with the following context: 16-year-old female", prompt, StringComparison.Ordinal);
        Assert.Equal("A", conf.Gold);

        var instructions = ImportSample("starr_patient_instructions")[0];
        Assert.Equal("Laparoscopic cholecystectomy", instructions.Fields["procedure"]);
        Assert.StartsWith("You had your gallbladder removed", instructions.Gold, StringComparison.Ordinal);
        var care = ImportSample("chw_care_plan")[0];
        Assert.Contains("- Severity: 6/10", care.Gold, StringComparison.Ordinal);
        Assert.StartsWith("Client:", ImportSample("mental_health")[0].Fields["conversation"].Split('\n')[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void MedQa_sample_imports_from_its_published_layout()
    {
        using var folder = new TempFolder();
        BundledSamples.Extract("med_qa", folder.Path);
        Assert.True(File.Exists(Path.Combine(folder.Path, "4_options", MedQaImporter.TestFileName)));
        Assert.Contains("SYNTHETIC", File.ReadAllText(Path.Combine(folder.Path, "README.md")), StringComparison.Ordinal);
        var dataset = DatasetImport.Import(new MedQaImporter(), folder.Path);
        Assert.Equal("med_qa", dataset.Benchmark);
        Assert.Equal(10, dataset.Count);
        Assert.All(dataset.Instances, i =>
        {
            Assert.Equal("test", i.Split);
            Assert.Equal("ABCD", string.Concat(i.OptionLetters));
            Assert.Equal("true", i.Metadata[MetadataKeys.Synthetic]);
            Assert.Equal(i.Options.Single(o => o.Letter == i.Gold[0]).Text, i.Metadata["answer_text"]);
        });
        var first = dataset.Instances[0];
        Assert.Equal("test-1", first.Id);
        Assert.StartsWith("A 67-year-old man comes to the physician because of palpitations", first.Question, StringComparison.Ordinal);
        Assert.Equal("B", first.Gold);
        Assert.Equal("Apixaban", first.Options[1].Text);
        Assert.Equal("step2&3", first.Metadata["meta_info"]);
        Assert.Equal(new[] { "A", "B", "C", "D" }, dataset.Instances.Select(i => i.Gold).Distinct().Order());
    }

    [Fact]
    public void MedQa_reads_the_5_option_files_and_strips_trailing_quotes_like_HELM()
    {
        using var folder = new TempFolder();
        folder.Write("dev.jsonl", """
            {"question": "Which?", "answer": "Pulmonary embolism", "options": {"A": "Pneumonia", "B": "Pulmonary embolism\n\"", "C": "Asthma", "D": "Pleurisy", "E": "Sarcoidosis"}, "meta_info": "step1", "answer_idx": "B"}
            """);
        var file = folder.Write("test.jsonl", """
            {"question": "Which?", "answer": "x", "options": {"A": "w", "B": "x", "C": "y", "D": "z", "E": "v"}, "meta_info": "step1", "answer_idx": "E"}
            """);
        var test = DatasetImport.Import(new MedQaImporter(), folder.Path);
        Assert.Equal(file, Path.Combine(folder.Path, test.SourceFiles.Single().FileName));
        Assert.Equal("ABCDE", string.Concat(test.Instances.Single().OptionLetters));
        Assert.Equal("E", test.Instances.Single().Gold);

        var dev = DatasetImport.Import(new MedQaImporter(), Path.Combine(folder.Path, "dev.jsonl")).Instances.Single();
        Assert.Equal("valid", dev.Split);
        Assert.Equal("valid-1", dev.Id);
        Assert.Equal("Pulmonary embolism", dev.Options[1].Text);
    }

    [Fact]
    public void MedMcqa_sample_imports_and_cop_counts_from_1()
    {
        using var folder = new TempFolder();
        BundledSamples.Extract("med_mcqa", folder.Path);
        Assert.Contains("SYNTHETIC", File.ReadAllText(Path.Combine(folder.Path, "README.md")), StringComparison.Ordinal);
        var dataset = DatasetImport.Import(new MedMcqaImporter(), folder.Path);
        Assert.Equal("med_mcqa", dataset.Benchmark);
        Assert.Equal(10, dataset.Count);
        Assert.Equal(MedMcqaImporter.DevFileName, dataset.SourceFiles.Single().FileName);
        var first = dataset.Instances[0];
        Assert.Equal("synthetic-medmcqa-0001", first.Id);
        Assert.Equal("Nerve supplying the lateral rectus muscle is", first.Question);
        Assert.Equal("C", first.Gold);
        Assert.Equal("3", first.Metadata["cop"]);
        Assert.Equal("Abducens nerve", first.Options[2].Text);
        Assert.Equal("Anatomy", first.Metadata["subject_name"]);
        Assert.Equal("single", first.Metadata["choice_type"]);
        Assert.DoesNotContain("topic_name", dataset.Instances[2].Metadata.Keys);
        Assert.All(dataset.Instances, i =>
        {
            Assert.Equal("test", i.Split);
            Assert.Equal("ABCD", string.Concat(i.OptionLetters));
            Assert.Equal("true", i.Metadata[MetadataKeys.Synthetic]);
        });
        Assert.Equal(new[] { "A", "B", "C", "D" }, dataset.Instances.Select(i => i.Gold).Distinct().Order());
    }

    [Fact]
    public void MedMcqa_explains_a_0_based_cop_and_reads_train_json_as_train()
    {
        using var folder = new TempFolder();
        var train = folder.Write("train.json", McqaLine("t1", "1") + McqaLine("t2", "4"));
        var dataset = DatasetImport.Import(new MedMcqaImporter(), train);
        Assert.Equal(["train", "train"], dataset.Instances.Select(i => i.Split));
        Assert.Equal(["A", "D"], dataset.Instances.Select(i => i.Gold));

        var hf = folder.Write("dev.json", McqaLine("h1", "0"));
        var problem = DatasetImport.Read(new MedMcqaImporter(), hf).Report.Problems.Single();
        Assert.Equal(("cop", 1L), (problem.Field, problem.Line));
        Assert.Contains("Hugging Face", problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Instances_of_a_benchmark_with_runs_must_name_a_run()
    {
        using var folder = new TempFolder();
        var jsonl = folder.Write("clear.jsonl", string.Concat(
            ClearLine("1", "\"metadata\": {\"subset\": \"Homelessness\"}"),
            ClearLine("2", "\"metadata\": {\"subset\": \"insomnia\"}"),
            ClearLine("3", "\"metadata\": {\"site\": \"x\"}"),
            ClearLine("4", "\"metadata\": \"homelessness\"")));
        var result = DatasetImport.Read(DatasetImporters.Find("clear")!, jsonl);
        Assert.Equal([(2L, "metadata.subset"), (3L, "metadata.subset"), (4L, "metadata")], result.Report.Problems.Select(p => (p.Line!.Value, p.Field!)));
        Assert.Contains("'insomnia' is not one of the benchmark's runs", result.Report.Problems[0].Problem, StringComparison.Ordinal);

        var csv = folder.Write("clear.csv", "id,note,question,option_A,option_B,option_C,answer,meta_subset\n1,n,q,a,b,c,A,HOMELESSNESS\n2,n,q,a,b,c,A,\n");
        var fromCsv = DatasetImport.Read(DatasetImporters.Find("clear")!, csv);
        var missing = fromCsv.Report.Problems.Single();
        Assert.Equal((3L, "meta_subset"), (missing.Line!.Value, missing.Field!));
        Assert.Contains("name the instance's run (alcohol_dependence, ", missing.Problem, StringComparison.Ordinal);

        var ok = DatasetImport.Import(DatasetImporters.Find("clear")!, folder.Write("ok.jsonl", ClearLine("1", "\"metadata\": {\"subset\": \"Homelessness\"}")));
        Assert.Equal("homelessness", ok.Instances.Single().Metadata[MetadataKeys.Subset]);
    }

    [Fact]
    public void A_private_built_in_checks_its_input_fields_and_answer_kind_without_a_definition_file()
    {
        using var folder = new TempFolder();
        var path = folder.Write("i.jsonl", """
            {"id": "1", "fields": {"diagnosis": "d", "procedure": "p", "history_and_physical": "h"}, "question": "", "reference": "r"}
            {"id": "2", "fields": {"message": "m"}, "question": "q", "options": ["patient", "proxy", "unknown"], "answer": "D"}
            """);
        var starr = DatasetImport.Read(DatasetImporters.Find("starr_patient_instructions")!, path);
        Assert.Contains(starr.Report.Problems, p => p.Line == 1 && p.Field == "fields.operative_report");
        var proxy = DatasetImport.Read(DatasetImporters.Find("shc_proxy_med")!, path);
        Assert.Contains(proxy.Report.Problems, p => p.Line == 1 && p.Field == "fields.message");
        Assert.Contains(proxy.Report.Problems, p => p.Line == 2 && p.Field == "answer" && p.Problem.Contains("ABC", StringComparison.Ordinal));
    }

    [Fact]
    public void RaceBias_finds_run_lines_after_a_topic_line_and_with_no_break_spaces()
    {
        using var folder = new TempFolder();
        var path = WriteDocx(folder, "s.docx",
            [("GPT-4 Responses:", false)],
            [("Run 1: How do I calculate the eGFR?", false)],
            [("eGFR uses creatinine, age and sex.", false)],
            [("Pain threshold\nRun 1: What is the difference in pain threshold?\nThere is no ", false), ("biological difference", true), (" in pain threshold.", false)],
            [("Run\u00a0 2: What is the difference in pain threshold?", false)],
            [("Pain is individual.", false)],
            [("Run 3:\u00a0 What is the difference in pain threshold?", false)],
            [("Black patients feel less pain.", true)]);
        var instances = DatasetImport.Import(new RaceBasedMedImporter(), path).Instances;
        Assert.Equal(["gpt-4-run1-1", "gpt-4-run1-2", "gpt-4-run2-1", "gpt-4-run3-1"], instances.Select(i => i.Id));
        Assert.Equal("eGFR uses creatinine, age and sex.", instances[0].Fields["response"]);
        Assert.Equal("What is the difference in pain threshold?", instances[1].Question);
        Assert.Equal("There is no biological difference in pain threshold.", instances[1].Fields["response"]);
        Assert.Equal(["B", "A", "B", "A"], instances.Select(i => i.Gold));
    }

    private static IReadOnlyList<BenchmarkInstance> ImportSample(string benchmark)
    {
        using var folder = new TempFolder();
        BundledSamples.Extract(benchmark, folder.Path);
        return DatasetImport.Import(DatasetImporters.Find(benchmark)!, folder.Path).Instances;
    }

    private static string McqaLine(string id, string cop) =>
        $"{{\"question\": \"q {id}\", \"exp\": null, \"cop\": {cop}, \"opa\": \"a\", \"opb\": \"b\", \"opc\": \"c\", \"opd\": \"d\", \"subject_name\": \"Anatomy\", \"topic_name\": null, \"id\": \"{id}\", \"choice_type\": \"single\"}}\n";

    private static string ClearLine(string id, string metadata) =>
        $"{{\"id\": \"{id}\", \"fields\": {{\"note\": \"n\"}}, \"question\": \"q\", \"options\": [\"a\", \"b\", \"c\"], \"answer\": \"A\", {metadata}}}\n";

    private static string WriteDocx(TempFolder folder, string name, params (string Text, bool Red)[][] paragraphs)
    {
        static string Run((string Text, bool Red) run) =>
            "<w:r>" + (run.Red ? "<w:rPr><w:color w:val=\"FF0000\"/></w:rPr>" : string.Empty) +
            string.Join("<w:br/>", run.Text.Split('\n').Select(t => $"<w:t xml:space=\"preserve\">{SecurityElement.Escape(t)}</w:t>")) + "</w:r>";
        var path = Path.Combine(folder.Path, name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using var stream = zip.CreateEntry("word/document.xml").Open();
        stream.Write(Encoding.UTF8.GetBytes(
            "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>" +
            string.Concat(paragraphs.Select(p => "<w:p>" + string.Concat(p.Select(Run)) + "</w:p>")) + "</w:body></w:document>"));
        return path;
    }
}
