using System.Text;
using MedHelm.Core.Catalog;
using MedHelm.Core.Prompts;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Private;

namespace MedHelm.Evaluation.Tests.Datasets;

/// <summary>What <c>benchmarks list</c> and <c>benchmarks show</c> print: built-in and file-defined benchmarks, and the prompt of one instance.</summary>
public sealed class BenchmarkBrowserTests
{
    private const string SepsisDefinition = """
        {"name": "my_hospital_sepsis", "category": "CDS", "subcategory": "Predicting Patient Risks and Outcomes",
         "instructions": "Answer yes or no.", "prompt_template": "Note: {note}\n{question}\nAnswer:", "fields": [{"key": "note", "label": "Note"}],
         "answer": {"type": "yes_no"}, "metric": "label_match", "max_tokens": 2}
        """;

    private static BenchmarkInstance Instance(string id, string note, string split = "test") =>
        new(id, new Dictionary<string, string> { ["note"] = note }, "Sepsis within 24 h?", [], "yes", split);

    [Fact]
    public async Task The_listing_holds_the_built_ins_then_the_benchmarks_defined_by_imported_files()
    {
        var imports = new FakeImports
        {
            Definitions =
            [
                new StoredDefinition("my_hospital_sepsis", SepsisDefinition),
                new StoredDefinition("shc_bmt_med", SepsisDefinition.Replace("my_hospital_sepsis", "shc_bmt_med", StringComparison.Ordinal)),
                new StoredDefinition("broken", "{\"name\": \"broken\"}"),
            ],
        };
        var listing = await new BenchmarkBrowser(imports).ListAsync();
        Assert.Equal(BuiltInBenchmarks.All.Count + 1, listing.Benchmarks.Count);
        Assert.All(listing.Benchmarks.Take(BuiltInBenchmarks.All.Count), b => Assert.Equal(DefinitionOrigin.BuiltIn, b.Origin));
        var defined = listing.Benchmarks[^1];
        Assert.Equal(("my_hospital_sepsis", DefinitionOrigin.DefinitionFile, "definition_file"), (defined.Definition.Name, defined.Origin, defined.OriginName));

        // a definition file naming a built-in does not replace it; one that no longer validates is reported, not listed
        Assert.Same(BuiltInBenchmarks.Find("shc_bmt_med"), listing.Benchmarks.Single(b => b.Definition.Name == "shc_bmt_med").Definition);
        Assert.StartsWith("broken: the stored definition is not valid", Assert.Single(listing.Problems), StringComparison.Ordinal);

        var none = await new BenchmarkBrowser(null).ListAsync();
        Assert.Equal(BuiltInBenchmarks.All.Count, none.Benchmarks.Count);
    }

    [Fact]
    public async Task The_json_listing_is_one_definition_file_per_benchmark_marked_with_its_origin()
    {
        var imports = new FakeImports { Definitions = [new StoredDefinition("my_hospital_sepsis", SepsisDefinition)] };
        var listing = await new BenchmarkBrowser(imports).ListAsync();
        var json = BenchmarkBrowser.ToJson(listing.Benchmarks);
        Assert.Equal("built_in", json[0]![BenchmarkDefinitionFile.DefinedByKey]!.GetValue<string>());
        Assert.Equal("definition_file", json[^1]![BenchmarkDefinitionFile.DefinedByKey]!.GetValue<string>());

        // an element saved to a file is read back by the definition reader, defined_by and all
        var report = new DatasetValidationReport();
        var parsed = BenchmarkDefinitionFile.Parse("saved.json", Encoding.UTF8.GetBytes(BenchmarkDefinitionFile.Write(json[^1]!)), report);
        Assert.True(report.IsValid, report.Format());
        Assert.Equal("Note: {note}\n{question}\nAnswer:", parsed!.PromptTemplate);
        Assert.Equal(["yes", "no"], parsed.Labels);
    }

    [Fact]
    public async Task Unknown_benchmarks_are_named_in_a_one_line_error()
    {
        var browser = new BenchmarkBrowser(new FakeImports());
        var e = await Assert.ThrowsAsync<ArgumentException>(() => browser.FindAsync("no_such_task"));
        Assert.Contains("'no_such_task'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal("PubMedQA", (await browser.FindAsync("PUBMED_QA")).Definition.DisplayName);
    }

    [Fact]
    public async Task A_benchmark_not_imported_shows_the_prompt_of_its_bundled_sample()
    {
        var browser = new BenchmarkBrowser(new FakeImports());
        var preview = await browser.PreviewAsync("shc_bmt_med", null);
        Assert.False(preview.Imported);
        using var folder = new TempFolder();
        BundledSamples.Extract("shc_bmt_med", folder.Path);
        var first = DatasetImport.Import(DatasetImporters.Find("shc_bmt_med")!, folder.Path).Instances[0];
        Assert.Equal(first.Id, preview.Instance.Id);
        var expected = BenchmarkPrompt.Build(BuiltInBenchmarks.Find("shc_bmt_med")!, first);
        Assert.Equal([new PromptMessage("user", expected.User)], preview.Messages);

        var text = preview.ToText();
        Assert.StartsWith($"# shc_bmt_med, instance {first.Id} (10 instances), from its bundled sample, not imported\n[user]\nProvide an answer to the following question:", text, StringComparison.Ordinal);
        Assert.Equal(1, text.Split('\n').Count(l => l.StartsWith('#')));

        var chosen = await browser.PreviewAsync("pubmed_qa", "26163474");
        Assert.Equal("26163474", chosen.Instance.Id);
        Assert.Equal("bundled", chosen.ToJson()["data"]!.GetValue<string>());

        var e = await Assert.ThrowsAsync<ArgumentException>(() => browser.PreviewAsync("pubmed_qa", "no-such-id"));
        Assert.Contains("'no-such-id'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task An_imported_benchmark_shows_the_prompt_of_its_imported_data_test_split_first()
    {
        var imports = new FakeImports { Definitions = [new StoredDefinition("my_hospital_sepsis", SepsisDefinition)] };
        imports.Instances["my_hospital_sepsis"] = new ImportedInstances(
            new string('a', 64), "/data/sepsis.jsonl", [Instance("t1", "train note", "train"), Instance("s1", "lactate 4.1"), Instance("s2", "routine")]);
        var browser = new BenchmarkBrowser(imports);

        var preview = await browser.PreviewAsync("my_hospital_sepsis", null);
        Assert.True(preview.Imported);
        Assert.Equal("s1", preview.Instance.Id);
        Assert.Equal("Answer yes or no.\n\nNote: lactate 4.1\nSepsis within 24 h?\nAnswer:", Assert.Single(preview.Messages).Text);
        Assert.StartsWith("# my_hospital_sepsis, instance s1 (3 instances), from the imported data, sha256 aaaaaaaaaaaaaaaa, from /data/sepsis.jsonl\n", preview.ToText(), StringComparison.Ordinal);

        Assert.Equal("routine", (await browser.PreviewAsync("my_hospital_sepsis", "s2")).Instance.Fields["note"]);
        Assert.Equal("imported", preview.ToJson()["data"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_built_in_that_was_imported_shows_its_imported_data()
    {
        var imports = new FakeImports();
        imports.Instances["pubmed_qa"] = new ImportedInstances(new string('b', 64), null,
        [
            new BenchmarkInstance("p1", new Dictionary<string, string> { [BuiltInBenchmarks.ContextField] = "An abstract." }, "Does it work?",
                [new AnswerOption('A', "yes"), new AnswerOption('B', "no"), new AnswerOption('C', "maybe")], "A", "test"),
        ]);
        var preview = await new BenchmarkBrowser(imports).PreviewAsync("pubmed_qa", null);
        Assert.Equal("p1", preview.Instance.Id);
        Assert.Contains("An abstract.", preview.Messages[^1].Text, StringComparison.Ordinal);
    }

    private sealed class FakeImports : IImportedBenchmarks
    {
        public IReadOnlyList<StoredDefinition> Definitions { get; init; } = [];

        public Dictionary<string, ImportedInstances> Instances { get; } = new(StringComparer.Ordinal);

        public Task<IReadOnlyList<StoredDefinition>> ListImportedDefinitionsAsync(CancellationToken cancellationToken = default) => Task.FromResult(Definitions);

        public Task<ImportedInstances?> GetImportedInstancesAsync(string benchmark, CancellationToken cancellationToken = default) =>
            Task.FromResult(Instances.TryGetValue(benchmark, out var found) ? found : null);
    }
}
