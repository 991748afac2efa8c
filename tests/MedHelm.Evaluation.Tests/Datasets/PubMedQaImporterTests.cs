using System.Security.Cryptography;
using MedHelm.Core.Catalog;
using MedHelm.Core.Prompts;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Tests.Support;

namespace MedHelm.Evaluation.Tests.Datasets;

public class PubMedQaImporterTests
{
    [Fact]
    public void Imports_the_committed_excerpt()
    {
        var dataset = PubMedQaImporter.Import(TestData.PubMedQaFolder);

        Assert.Equal("pubmed_qa", dataset.Benchmark);
        Assert.Equal(5, dataset.Count);
        Assert.Equal(["12377809", "26163474", "19100463", "24577079", "18284441"], dataset.Instances.Select(i => i.Id));
        Assert.Equal(["A", "A", "A", "B", "C"], dataset.Instances.Select(i => i.Gold));
        Assert.All(dataset.Instances, i => Assert.Equal("test", i.Split));
        Assert.All(dataset.Instances, i => Assert.Equal("A:yes B:no C:maybe", string.Join(' ', i.Options.Select(o => $"{o.Letter}:{o.Text}"))));

        var first = dataset.Instances[0];
        Assert.Equal("Is anorectal endosonography valuable in dyschesia?", first.Question);
        var context = first.Fields[BuiltInBenchmarks.ContextField];
        var paragraphs = context.Split('\n');
        Assert.Equal(3, paragraphs.Length);
        Assert.StartsWith("Aims. Dyschesia can be provoked", paragraphs[0], StringComparison.Ordinal);
        Assert.StartsWith("Methods. Twenty consecutive patients", paragraphs[1], StringComparison.Ordinal);
        Assert.StartsWith("Results. The anal sphincter", paragraphs[2], StringComparison.Ordinal);

        // Multi-word section labels are title-cased like Python's str.title().
        Assert.StartsWith("Materials And Methods. ", dataset.Instances[4].Fields[BuiltInBenchmarks.ContextField], StringComparison.Ordinal);
    }

    [Fact]
    public void Records_source_files_with_their_sha256()
    {
        var dataset = PubMedQaImporter.Import(TestData.PubMedQaFolder);

        Assert.Equal(["test_set.json", "test_ground_truth.json"], dataset.SourceFiles.Select(f => f.FileName));
        var bytes = File.ReadAllBytes(Path.Combine(TestData.PubMedQaFolder, "test_set.json"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), dataset.SourceFiles[0].Sha256);
        Assert.Equal(bytes.LongLength, dataset.SourceFiles[0].Length);
    }

    [Fact]
    public void Test_set_alone_is_enough()
    {
        using var folder = new TempFolder();
        folder.Write("test_set.json", TestData.TestSetJson);
        var dataset = PubMedQaImporter.Import(folder.Path);
        Assert.Equal(5, dataset.Count);
        Assert.Single(dataset.SourceFiles);
    }

    [Fact]
    public void Falls_back_to_ori_pqal()
    {
        using var folder = new TempFolder();
        folder.Write("ori_pqal.json", TestData.TestSetJson);
        var dataset = PubMedQaImporter.Import(folder.Path);
        Assert.Equal(5, dataset.Count);
        Assert.Equal("ori_pqal.json", dataset.SourceFiles[0].FileName);
        Assert.All(dataset.Instances, i => Assert.Equal("pqa_l", i.Split));
    }

    [Fact]
    public void Instances_render_to_the_expected_prompt()
    {
        var instance = PubMedQaImporter.Import(TestData.PubMedQaFolder).Instances[1];
        var prompt = MultipleChoicePrompt.Build(BuiltInBenchmarks.PubMedQa, instance).User;
        Assert.StartsWith("Answer A for yes, B for no or C for maybe.\n\nContext: Background. Sublingual varices", prompt, StringComparison.Ordinal);
        Assert.EndsWith(
            "\n\nQuestion: Is there a connection between sublingual varices and hypertension?\nA. yes\nB. no\nC. maybe\nAnswer:",
            prompt,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Embedded_sample_has_twenty_records_and_extracts_identically()
    {
        var embedded = BundledSamples.OpenPubMedQa();
        Assert.Equal(20, embedded.Count);
        Assert.Equal("12377809", embedded.Instances[0].Id);

        using var folder = new TempFolder();
        var written = BundledSamples.ExtractPubMedQa(folder.Path);
        Assert.Equal(3, written.Count);
        Assert.Contains("MIT License", File.ReadAllText(Path.Combine(folder.Path, "LICENSE-NOTICE.md")), StringComparison.Ordinal);

        var fromDisk = PubMedQaImporter.Import(folder.Path);
        Assert.Equal(embedded.SourceFiles, fromDisk.SourceFiles);
        Assert.Equal(embedded.Instances.Select(i => (i.Id, i.Gold, i.Question)), fromDisk.Instances.Select(i => (i.Id, i.Gold, i.Question)));

        // The committed test excerpt is a subset of the embedded one, byte for byte per record.
        var small = PubMedQaImporter.Import(TestData.PubMedQaFolder);
        foreach (var instance in small.Instances.Take(3))
        {
            Assert.Equal(instance.Fields[BuiltInBenchmarks.ContextField], embedded.Instances.Single(e => e.Id == instance.Id).Fields[BuiltInBenchmarks.ContextField]);
        }
    }
}
