using MedHelm.Core.Catalog;
using MedHelm.Core.Prompts;

namespace MedHelm.Core.Tests.Catalog;

public class FullCatalogTests
{
    [Fact]
    public void The_catalog_has_37_benchmarks_in_5_categories_and_uses_all_22_subcategories()
    {
        var all = BuiltInBenchmarks.All;
        Assert.Equal(37, all.Count);
        Assert.Equal(37, all.Select(b => b.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(37, all.Select(b => b.DisplayName).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(5, all.Select(b => b.Category).Distinct().Count());
        var used = all.Select(b => (b.Category.Name, b.Subcategory)).Distinct().ToArray();
        Assert.Equal(22, used.Length);
        foreach (var category in Taxonomy.Categories)
        {
            foreach (var subcategory in category.Subcategories)
            {
                Assert.Contains((category.Name, subcategory), used);
            }
        }

        foreach (var b in all)
        {
            b.Validate();
            Assert.False(string.IsNullOrWhiteSpace(b.Task), b.Name);
            Assert.False(string.IsNullOrWhiteSpace(b.AnswerFormat), b.Name);
        }
    }

    [Fact]
    public void Access_tiers_match_the_paper_14_private_7_gated_16_public()
    {
        // 35 = 14 private + 7 gated + 14 public; MedQA and MedMCQA add two public ones.
        var all = BuiltInBenchmarks.All;
        Assert.Equal(14, all.Count(b => b.Access == AccessTier.Private));
        Assert.Equal(7, all.Count(b => b.Access == AccessTier.Gated));
        Assert.Equal(16, all.Count(b => b.Access == AccessTier.Public));
    }

    [Fact]
    public void Open_benchmarks_carry_jury_criteria_and_closed_ones_do_not()
    {
        foreach (var b in BuiltInBenchmarks.All)
        {
            if (b.IsOpen)
            {
                Assert.Equal(AnswerKind.FreeText, b.AnswerKind);
                Assert.EndsWith("_accuracy", b.MainMetric, StringComparison.Ordinal);
                Assert.Equal(3, b.JuryCriteria.Count);
            }
            else
            {
                Assert.Empty(b.JuryCriteria);
            }
        }

        Assert.Equal(["accuracy", "structure", "clarity"], BuiltInBenchmarks.Find("chw_care_plan")!.JuryCriteria.Select(c => c.Name));
        Assert.Equal(13, BuiltInBenchmarks.All.Count(b => b.IsOpen));
    }

    [Theory]
    [InlineData("clear", 13)]
    [InlineData("ehrshot", 3)]
    [InlineData("n2c2_ct_matching", 3)]
    [InlineData("med_dialog", 2)]
    public void Multi_run_benchmarks_keep_their_runs(string name, int runs)
    {
        var b = BuiltInBenchmarks.Find(name)!;
        Assert.Equal(runs, b.SubRuns.Count);
        Assert.Equal(4, BuiltInBenchmarks.All.Count(x => x.SubRuns.Count > 0));
    }

    [Fact]
    public void PubMedQa_is_unchanged_and_reachable_by_display_name_and_category()
    {
        Assert.Same(BuiltInBenchmarks.PubMedQa, BuiltInBenchmarks.Find("pubmedqa"));
        Assert.Contains(BuiltInBenchmarks.PubMedQa, BuiltInBenchmarks.InCategory("MRA"));
        Assert.Equal(12, BuiltInBenchmarks.InCategory("Clinical Decision Support").Count);
        Assert.Null(BuiltInBenchmarks.PubMedQa.PromptTemplate);
    }

    [Fact]
    public void Shc_template_fills_the_question_and_note_slots()
    {
        var def = BuiltInBenchmarks.Find("shc_bmt_med")!;
        var instance = new BenchmarkInstance(
            "1", new Dictionary<string, string> { ["note"] = "Day +100 after allogeneic transplant." }, "Has the patient had a BMT?",
            [new AnswerOption('A', "yes"), new AnswerOption('B', "no")], "A", "test");
        var prompt = BenchmarkPrompt.Build(def, instance);
        Assert.Null(prompt.System);
        Assert.StartsWith("Provide an answer to the following question: Has the patient had a BMT? with the following context: Day +100", prompt.User, StringComparison.Ordinal);
    }

    [Fact]
    public void Free_text_prompt_lists_fields_question_and_answer_line()
    {
        var def = BuiltInBenchmarks.Find("aci_bench")!;
        var instance = new BenchmarkInstance("e1", new Dictionary<string, string> { ["conversation"] = "[doctor] hi" }, string.Empty, [], "NOTE", "test");
        var prompt = BenchmarkPrompt.Build(def, instance);
        Assert.EndsWith("\n\nConversation: [doctor] hi\n\nAnswer:", prompt.User, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => BenchmarkPrompt.Build(def, instance with { Fields = new Dictionary<string, string>() }));
    }

    [Fact]
    public void A_template_naming_an_unknown_slot_is_rejected()
    {
        var def = BuiltInBenchmarks.Find("shc_bmt_med")! with { PromptTemplate = "{question} {nope}" };
        var e = Assert.Throws<ArgumentException>(def.Validate);
        Assert.Contains("nope", e.Message, StringComparison.Ordinal);
        Assert.Equal("a {b} c", PromptTemplateSlots.Fill("a {{b}} {x}", new Dictionary<string, string> { ["x"] = "c" }));
    }

    [Fact]
    public void Docs_benchmarks_md_is_generated_from_the_catalog()
    {
        var path = RepositoryPaths.Combine("docs", "benchmarks.md");
        Assert.True(File.Exists(path), $"{path} is missing; run scripts/medhelm benchmarks list --markdown > docs/benchmarks.md");
        var expected = CatalogMarkdown.Render();
        var actual = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.True(
            expected == actual,
            "docs/benchmarks.md differs from the catalog; regenerate it with scripts/medhelm benchmarks list --markdown > docs/benchmarks.md");
    }
}
