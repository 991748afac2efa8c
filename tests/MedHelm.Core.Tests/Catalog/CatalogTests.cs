using MedHelm.Core.Catalog;

namespace MedHelm.Core.Tests.Catalog;

public class CatalogTests
{
    [Fact]
    public void PubMedQa_definition_matches_the_HELM_run_spec()
    {
        var def = BuiltInBenchmarks.PubMedQa;
        def.Validate();
        Assert.Equal("pubmed_qa", def.Name);
        Assert.Equal("PubMedQA", def.DisplayName);
        Assert.Equal("Medical Research Assistance", def.Category.Name);
        Assert.Equal("Conducting Literature Research", def.Subcategory);
        Assert.Equal(AccessTier.Public, def.Access);
        Assert.Equal(AnswerKind.Letter, def.AnswerKind);
        Assert.Equal("exact_match", def.MainMetric);
        Assert.Equal(1, def.MaxTokens);
        Assert.Equal(["\n"], def.StopSequences);
        Assert.Same(def, BuiltInBenchmarks.Find("PUBMED_QA"));
        Assert.Null(BuiltInBenchmarks.Find("nope"));
    }

    [Fact]
    public void Taxonomy_has_five_categories_and_22_subcategories()
    {
        Assert.Equal(5, Taxonomy.Categories.Count);
        Assert.Equal(22, Taxonomy.Categories.Sum(c => c.Subcategories.Count));
    }

    [Fact]
    public void Validate_rejects_a_subcategory_of_another_category()
    {
        var wrong = BuiltInBenchmarks.PubMedQa with { Subcategory = "Planning Treatments" };
        Assert.Throws<ArgumentException>(wrong.Validate);
        Assert.Throws<ArgumentException>((BuiltInBenchmarks.PubMedQa with { MaxTokens = 0 }).Validate);
    }
}
