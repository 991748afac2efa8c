using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Importers;

namespace MedHelm.Evaluation.Tests.Datasets;

/// <summary>One test per original format, on the committed excerpts (extracted from the embedded resources).</summary>
public sealed class BundledExcerptImportTests
{
    public static TheoryData<string, int> Expected => new()
    {
        { "pubmed_qa", 20 },
        { "medcalc_bench", 14 },
        { "medec", 15 },
        { "aci_bench", 12 },
        { "medication_qa", 15 },
        { "medbullets", 15 },
        { "ehr_sql", 15 },
        { "mtsamples_replicate", 12 },
        { "mtsamples_procedures", 12 },
        { "race_based_med", 15 },
        { "head_qa", 14 },
        { "medhallu", 16 },
        { "medi_qa", 12 },
        { "med_dialog", 12 },
        { "med_qa", 10 },
        { "med_mcqa", 10 },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void Each_excerpt_imports_with_its_importer(string benchmark, int count)
    {
        using var folder = new TempFolder();
        BundledSamples.Extract(benchmark, folder.Path);
        var dataset = DatasetImport.Import(DatasetImporters.Find(benchmark)!, folder.Path);
        Assert.Equal(benchmark, dataset.Benchmark);
        Assert.Equal(count, dataset.Count);
        Assert.NotEmpty(dataset.SourceFiles);
        Assert.All(dataset.SourceFiles, f => Assert.Equal(64, f.Sha256.Length));
        var definition = BuiltInBenchmarks.Find(benchmark)!;
        foreach (var instance in dataset.Instances)
        {
            foreach (var field in definition.InputFields)
            {
                Assert.True(instance.Fields.ContainsKey(field.Key), $"{benchmark} {instance.Id} lacks {field.Key}");
            }

            _ = Core.Prompts.BenchmarkPrompt.Build(definition, instance);
        }
    }

    [Fact]
    public void Every_benchmark_with_an_importer_has_an_excerpt_and_a_notice()
    {
        Assert.Equal(DatasetImporters.All.Select(i => i.Benchmark).Order(StringComparer.Ordinal), BundledSamples.Benchmarks);
        var notice = BundledSamples.Notice();
        foreach (var benchmark in BundledSamples.Benchmarks.Where(b => b != "pubmed_qa"))
        {
            Assert.Contains($"`{benchmark}/`", notice, StringComparison.Ordinal);
        }

        Assert.Contains("SYNTHETIC", notice, StringComparison.Ordinal);
    }

    [Fact]
    public void MedCalc_keeps_limits_and_calculator_as_metadata()
    {
        var first = Import("medcalc_bench")[0];
        Assert.Equal("1", first.Id);
        Assert.Contains("Cockcroft-Gault", first.Metadata["calculator_name"], StringComparison.Ordinal);
        Assert.Equal("decimal", first.Metadata["output_type"]);
        Assert.True(double.Parse(first.Metadata["lower_limit"], System.Globalization.CultureInfo.InvariantCulture) < double.Parse(first.Metadata["upper_limit"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("2", first.Metadata[MetadataKeys.Line]);
    }

    [Fact]
    public void Medec_gold_is_CORRECT_or_sentence_id_and_fix_and_blank_rows_are_skipped()
    {
        var instances = Import("medec");
        Assert.Equal(7, instances.Count(i => i.Gold == "CORRECT"));
        var withError = instances.First(i => i.Gold != "CORRECT");
        Assert.Matches(@"^\d+ \S", withError.Gold);
        Assert.Equal("1", withError.Metadata["error_flag"]);
    }

    [Fact]
    public void AciBench_reads_the_csv_layout_too()
    {
        using var folder = new TempFolder();
        BundledSamples.Extract("aci_bench", folder.Path);
        var dataset = DatasetImport.Import(new AciBenchImporter(), Path.Combine(folder.Path, "challenge_data"));
        Assert.Equal(5, dataset.Count);
        Assert.All(dataset.Instances, i => Assert.StartsWith("[doctor]", i.Fields["conversation"].TrimStart(), StringComparison.Ordinal));
        Assert.All(dataset.Instances, i => Assert.Equal("test", i.Split));
    }

    [Fact]
    public void EhrSql_puts_the_create_tables_in_the_schema_field_and_empties_unanswerable_gold()
    {
        var instances = Import("ehr_sql");
        Assert.Equal(5, instances.Count(i => i.Gold.Length == 0 && i.Metadata["is_impossible"] == "true"));
        var schema = instances[0].Fields["schema"];
        Assert.Equal(10, schema.Split("CREATE TABLE").Length - 1);
        Assert.DoesNotContain("DROP TABLE", schema, StringComparison.Ordinal);
        Assert.StartsWith("select", instances[0].Gold, StringComparison.Ordinal);
    }

    [Fact]
    public void MtSamples_reference_is_the_section_line_and_is_removed_from_the_input()
    {
        foreach (var instance in Import("mtsamples_replicate"))
        {
            Assert.DoesNotContain("PLAN:", instance.Fields["note"], StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(instance.Gold));
        }

        foreach (var instance in Import("mtsamples_procedures"))
        {
            var note = instance.Fields["note"];
            Assert.DoesNotContain("PLAN:", note, StringComparison.Ordinal);
            Assert.DoesNotContain("SUMMARY:", note, StringComparison.Ordinal);
            Assert.DoesNotContain("FINDINGS:", note, StringComparison.Ordinal);
        }

        var extracted = MtSamplesImporter.Extract("Sample Name: X\nHISTORY: cough.\nPLAN:  Start amoxicillin.\nKeywords: x", procedures: false);
        Assert.Equal(("Sample Name: X\nHISTORY: cough.", "Start amoxicillin.", "PLAN"), extracted);
        Assert.Null(MtSamplesImporter.Extract("no sections here", procedures: true));
    }

    [Fact]
    public void RaceBias_reads_runs_and_red_text_from_the_docx()
    {
        var instances = Import("race_based_med");
        Assert.All(instances, i => Assert.Contains(i.Gold, new[] { "A", "B" }));
        Assert.Contains(instances, i => i.Gold == "A");
        Assert.Contains(instances, i => i.Gold == "B");
        Assert.Equal("How do I estimate the eGFR of a black woman?", instances[0].Question);
        Assert.Equal("BARD", instances[0].Metadata["model"]);
    }

    [Fact]
    public void HeadQa_letters_the_answers_splits_by_year_and_skips_images()
    {
        var instances = Import("head_qa");
        Assert.Equal(9, instances.Count(i => i.Split == "test"));
        Assert.Equal(5, instances.Count(i => i.Split == "train"));
        Assert.All(instances, i => Assert.Contains(i.Gold[0], i.OptionLetters));
    }

    [Fact]
    public void MedHallu_gives_a_factual_and_a_hallucinated_instance_per_row()
    {
        var instances = Import("medhallu");
        Assert.Equal(8, instances.Count(i => i.Gold == "0"));
        Assert.Equal(8, instances.Count(i => i.Gold == "1"));
        Assert.NotEqual(instances[0].Fields["answer"], instances[1].Fields["answer"]);
        Assert.Equal(instances[0].Question, instances[1].Question);
    }

    [Fact]
    public void MediQa_reference_is_the_rank_1_answer_and_ground_truth_ids_are_kept()
    {
        var first = Import("medi_qa")[0];
        Assert.Equal("1", first.Id);
        Assert.StartsWith("abetalipoproteimemia", first.Question, StringComparison.Ordinal);
        Assert.Contains("1_Answer", first.Metadata["correct_answer_ids"], StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(first.Gold));
    }

    [Fact]
    public void MedicationQa_and_MedDialog_keep_their_metadata()
    {
        var medication = Import("medication_qa")[0];
        Assert.Equal("how does rivatigmine and otc sleep medicine interact", medication.Question);
        Assert.Equal("rivastigmine", medication.Metadata["Focus (Drug)"]);
        var dialog = Import("med_dialog");
        Assert.Equal(6, dialog.Count(i => i.Metadata["subset"] == "icliniq"));
    }

    private static IReadOnlyList<BenchmarkInstance> Import(string benchmark)
    {
        using var folder = new TempFolder();
        BundledSamples.Extract(benchmark, folder.Path);
        return DatasetImport.Import(DatasetImporters.Find(benchmark)!, folder.Path).Instances;
    }
}
