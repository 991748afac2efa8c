using MedHelm.Core.Catalog;
using MedHelm.Core.Decision;

namespace MedHelm.Core.Tests.Decision;

public class DecisionAggregationTests
{
    private static readonly BenchmarkDefinition PubMed = BuiltInBenchmarks.Find("pubmed_qa")!;   // MRA, closed
    private static readonly BenchmarkDefinition HeadQa = BuiltInBenchmarks.Find("head_qa")!;     // CDS, closed
    private static readonly BenchmarkDefinition Clear = BuiltInBenchmarks.Find("clear")!;        // CDS, closed, sub-runs
    private static readonly BenchmarkDefinition Aci = BuiltInBenchmarks.Find("aci_bench")!;      // CNG, jury
    private static readonly BenchmarkDefinition MedAlign = BuiltInBenchmarks.Find("medalign")!;  // CDS, jury

    private static readonly DecisionOptions NoBootstrap = new() { BootstrapReplicates = 0 };

    [Fact]
    public void Jury_scores_are_normalized_as_x_minus_1_over_4_and_the_rest_kept()
    {
        var table = ScoreTable.CreateBuilder(JuryScale.OneToFive).Add("m", Aci, 4.2).Add("m", PubMed, 0.7).Build();

        var row = DecisionAggregation.Compute(table, NoBootstrap).Rows.Single();

        Assert.Equal(0.8, row.Cell("aci_bench")!.Normalized, 12);
        Assert.Equal(4.2, row.Cell("aci_bench")!.Score);
        Assert.Equal(0.7, row.Cell("pubmed_qa")!.Normalized);
        Assert.Equal(0.75, row.MacroAverage, 12);
        Assert.Equal(Math.Sqrt(2 * 0.05 * 0.05), row.MacroSd!.Value, 12); // sample SD of {0.8, 0.7}
    }

    [Fact]
    public void Already_normalized_jury_scores_are_kept()
    {
        var table = ScoreTable.CreateBuilder(JuryScale.ZeroToOne).Add("m", Aci, 0.8).Build();

        Assert.Equal(0.8, DecisionAggregation.Compute(table, NoBootstrap).Rows.Single().Cell("aci_bench")!.Normalized);
    }

    [Fact]
    public void A_benchmark_with_sub_runs_scores_the_mean_of_the_sub_run_means()
    {
        var entry = ScoreEntry.FromSubRuns(
        [
            new SubRunScores("alcohol_dependence", [new("1", 1), new("2", 1), new("3", 1), new("4", 0)]), // 0.75
            new SubRunScores("homelessness", [new("5", 0), new("6", 1)]),                                // 0.5
        ]);

        Assert.Equal(0.625, entry.Score, 12); // not the pooled 4/6
        Assert.Equal(6, entry.InstanceCount);
        var cell = DecisionAggregation.Compute(ScoreTable.CreateBuilder(JuryScale.ZeroToOne).Add("m", Clear, entry).Build(), NoBootstrap).Rows.Single().Cells.Single();
        Assert.Equal((0.625, 6, 2), (cell.Normalized, cell.Instances, cell.SubRuns));
    }

    [Fact]
    public void Table_1_has_win_rates_macro_averages_and_category_means_in_rank_order()
    {
        var table = ScoreTable.CreateBuilder(JuryScale.OneToFive)
            .Add("low", PubMed, 0.5).Add("low", HeadQa, 0.4).Add("low", Aci, 3.0)
            .Add("high", PubMed, 0.9).Add("high", HeadQa, 0.4).Add("high", Aci, 4.0)
            .Add("mid", PubMed, 0.7).Add("mid", HeadQa, 0.4).Add("mid", Aci, 3.0)
            .Build();

        var result = DecisionAggregation.Compute(table, NoBootstrap);

        Assert.Equal(["high", "mid", "low"], result.Rows.Select(r => r.Model));
        Assert.Equal(["CDS", "CNG", "MRA"], result.CategoryColumns); // taxonomy order
        Assert.Equal(["head_qa", "aci_bench", "pubmed_qa"], result.Benchmarks.Select(b => b.Name)); // catalog order
        var high = result.Row("high")!;
        Assert.Equal((1.0 + 0.5 + 1.0) / 3, high.MeanWinRate!.Value, 12);
        var mid = result.Row("mid")!;
        Assert.Equal((0.5 + 0.5 + 0.25) / 3, mid.MeanWinRate!.Value, 12); // pubmed 1/2, head_qa all tied, aci tie with low
        var low = result.Row("low")!;
        Assert.Equal((0.0 + 0.5 + 0.25) / 3, low.MeanWinRate!.Value, 12);
        Assert.Equal(0.4, high.Category("CDS")!.Mean, 12);
        Assert.Equal(0.75, high.Category("CNG")!.Mean, 12);
        Assert.Equal(0.9, high.Category("MRA")!.Mean, 12);
        Assert.Equal((0.9 + 0.4 + 0.75) / 3, high.MacroAverage, 12);
        Assert.Equal("Providing Clinical Knowledge Support", high.Subcategories[0].Name);
        Assert.Empty(result.Notes);
    }

    [Fact]
    public void Category_means_average_the_normalized_scores_inside_the_category()
    {
        var table = ScoreTable.CreateBuilder(JuryScale.OneToFive).Add("m", HeadQa, 0.6).Add("m", MedAlign, 2.0).Add("m", Clear, 0.3).Build();

        var row = DecisionAggregation.Compute(table, NoBootstrap).Rows.Single();

        Assert.Equal((0.6 + 0.25 + 0.3) / 3, row.Category("CDS")!.Mean, 12);
        Assert.Equal(3, row.Category("CDS")!.Benchmarks);
        // taxonomy order: diagnostic (clear), then knowledge support (head_qa, medalign)
        Assert.Equal(["Supporting Diagnostic Decisions", "Providing Clinical Knowledge Support"], row.Subcategories.Select(s => s.Name));
        Assert.Equal(0.3, row.Subcategories[0].Mean, 12);
        Assert.Equal((0.6 + 0.25) / 2, row.Subcategories[1].Mean, 12);
    }

    [Fact]
    public void A_single_model_has_no_win_rate_and_the_report_says_why()
    {
        var table = ScoreTable.CreateBuilder(JuryScale.OneToFive).Add("only", PubMed, 0.6).Add("only", HeadQa, 0.4).Build();

        var result = DecisionAggregation.Compute(table, NoBootstrap);

        var row = result.Rows.Single();
        Assert.Null(row.MeanWinRate);
        Assert.Null(row.WinRateSd);
        Assert.Equal(0.5, row.MacroAverage, 12);
        Assert.Contains(result.Notes, n => n.Contains("only one model", StringComparison.Ordinal));
    }

    [Fact]
    public void One_benchmark_has_a_macro_average_but_no_macro_sd()
    {
        var table = ScoreTable.CreateBuilder(JuryScale.OneToFive).Add("a", PubMed, 0.6).Add("b", PubMed, 0.4).Build();

        var result = DecisionAggregation.Compute(table, NoBootstrap);

        Assert.Equal((1.0, 0.6), (result.Rows[0].MeanWinRate!.Value, result.Rows[0].MacroAverage));
        Assert.Null(result.Rows[0].MacroSd);
        Assert.Equal(0.0, result.Rows[0].WinRateSd); // one opponent: one fraction, SD 0
    }

    [Fact]
    public void Missing_cells_are_left_out_and_lonely_benchmarks_are_named()
    {
        var table = ScoreTable.CreateBuilder(JuryScale.OneToFive)
            .Add("a", PubMed, 0.6).Add("a", HeadQa, 0.9)
            .Add("b", PubMed, 0.4)
            .Build();

        var result = DecisionAggregation.Compute(table, NoBootstrap);

        var a = result.Row("a")!;
        Assert.Equal(1.0, a.MeanWinRate); // head_qa (only a) is skipped
        Assert.Equal(1, a.WinRateBenchmarks);
        Assert.Equal(0.75, a.MacroAverage, 12); // but it still counts in the macro average
        Assert.Null(result.Row("b")!.Cell("head_qa"));
        Assert.Contains(result.Notes, n => n.Contains("head_qa", StringComparison.Ordinal));
    }

    [Fact]
    public void An_empty_table_or_duplicate_cell_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => DecisionAggregation.Compute(ScoreTable.CreateBuilder(JuryScale.OneToFive).Build()));
        Assert.Throws<ArgumentException>(() => ScoreTable.CreateBuilder(JuryScale.OneToFive).Add("a", PubMed, 0.1).Add("a", PubMed, 0.2));
        Assert.Throws<ArgumentException>(() => ScoreEntry.FromScore(double.NaN));
        Assert.Throws<ArgumentException>(() => ScoreEntry.FromInstances([new("1", 1), new("1", 0)]));
    }
}
