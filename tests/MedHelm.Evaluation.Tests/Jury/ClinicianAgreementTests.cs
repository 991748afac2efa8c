using MedHelm.Core.Statistics;
using MedHelm.Evaluation.Jury;

namespace MedHelm.Evaluation.Tests.Jury;

public sealed class ClinicianAgreementTests
{
    // clinicians r1 and r2 both rate i1..i4; r3 rates i1 and i5 only
    private static readonly ClinicianRating[] s_clinicians =
    [
        new("i1", "aci_bench", "r1", 5, 4, 5), new("i1", "aci_bench", "r2", 4, 4, 4), new("i1", "aci_bench", "r3", 3, 3, 3),
        new("i2", "aci_bench", "r1", 2, 2, 3), new("i2", "aci_bench", "r2", 2, 3, 3),
        new("i3", "aci_bench", "r1", 4, 3, 4), new("i3", "aci_bench", "r2", 3, 3, 4),
        new("i4", "aci_bench", "r1", 1, 2, 1), new("i4", "aci_bench", "r2", 2, 1, 1),
        new("i5", "aci_bench", "r3", 5, 5, 5),
    ];

    private static readonly JuryRating[] s_jury =
    [
        new("i1", "aci_bench", "a", 5, 5, 4), new("i1", "aci_bench", "b", 4, 4, 4),
        new("i2", "aci_bench", "a", 3, 3, 3), new("i2", "aci_bench", "b", 2, 2, 2),
        new("i3", "aci_bench", "a", 4, 4, 4), new("i3", "aci_bench", "b", 4, 3, 3),
        new("i4", "aci_bench", "a", 1, 1, 2), new("i4", "aci_bench", "b", 2, 2, 1),
        new("i5", "aci_bench", "a", 5, 4, 5),
    ];

    [Fact]
    public void The_jury_row_follows_MedHELM_clinician_mean_vs_jury_composite()
    {
        var group = Assert.Single(ClinicianAgreement.Compute(s_clinicians, s_jury));
        var jury = group.Figures.Single(f => f.Comparison == ClinicianAgreement.JuryRow);

        string[] ids = ["i1", "i2", "i3", "i4", "i5"];
        var human = ids.Select(id => s_clinicians.Where(c => c.InstanceId == id).Average(c => c.Composite)).ToArray();
        var llm = ids.Select(id => s_jury.Where(j => j.InstanceId == id).Average(j => j.Composite)).ToArray();
        var expectedIcc = IntraclassCorrelation.Compute(
            IntraclassCorrelation.FromColumns(Standardization.ZScores(human), Standardization.ZScores(llm)), IccForm.Icc3Average);

        Assert.Equal("aci_bench", group.Benchmark);
        Assert.Equal(10, group.ClinicianRatings);
        Assert.Equal(3, group.Raters);
        Assert.Equal(5, jury.Instances);
        Assert.Equal(expectedIcc, jury.Icc3k, 12);
        Assert.Equal(RankCorrelation.Spearman(human, llm), jury.Spearman, 12);
        Assert.Equal(
            WeightedKappa.Quadratic(human.Select(h => Standardization.ToScale(h)).ToArray(), llm.Select(l => Standardization.ToScale(l)).ToArray()),
            jury.WeightedKappa, 12);
        Assert.True(jury.Icc3k > 0.8);
    }

    [Fact]
    public void The_clinician_baseline_uses_the_pair_sharing_the_most_instances()
    {
        var group = Assert.Single(ClinicianAgreement.Compute(s_clinicians, s_jury));
        var baseline = group.Figures.Single(f => f.Comparison == ClinicianAgreement.ClinicianRow);

        Assert.Equal(4, baseline.Instances);
        Assert.Equal("r1 vs r2", baseline.Detail);
        var r1 = s_clinicians.Where(c => c.RaterId == "r1").Select(c => c.Composite).ToArray();
        var r2 = s_clinicians.Where(c => c.RaterId == "r2").Select(c => c.Composite).ToArray();
        var expected = IntraclassCorrelation.Compute(
            IntraclassCorrelation.FromColumns(Standardization.ZScores(r1), Standardization.ZScores(r2)), IccForm.Icc3Average);
        Assert.Equal(expected, baseline.Icc3k, 12);
    }

    [Fact]
    public void Metric_rows_use_only_instances_with_that_metric_and_several_benchmarks_add_a_pooled_row()
    {
        ClinicianRating[] clinicians = [.. s_clinicians, new("m1", "medi_qa", "r9", 4, 4, 4), new("m2", "medi_qa", "r9", 2, 2, 2)];
        MetricScores[] metrics =
        [
            new("i1", "aci_bench", 0.6, 0.9), new("i2", "aci_bench", 0.2, null), new("i3", "aci_bench", 0.5, 0.8),
            new("i4", "aci_bench", 0.1, 0.7), new("m1", "medi_qa", 0.4, 0.5),
        ];

        var groups = ClinicianAgreement.Compute(clinicians, s_jury, metrics);

        Assert.Equal(["aci_bench", "medi_qa", ClinicianAgreement.All], groups.Select(g => g.Benchmark));
        var aci = groups[0].Figures.ToDictionary(f => f.Comparison);
        Assert.Equal(4, aci[ClinicianAgreement.RougeRow].Instances);
        Assert.Equal(3, aci[ClinicianAgreement.BertScoreRow].Instances);
        var medi = groups[1].Figures.ToDictionary(f => f.Comparison);
        Assert.Equal(0, medi[ClinicianAgreement.JuryRow].Instances);
        Assert.True(double.IsNaN(medi[ClinicianAgreement.JuryRow].Icc3k));
        Assert.Equal(0, medi[ClinicianAgreement.ClinicianRow].Instances);
        Assert.Equal(5, groups[2].Figures.Single(f => f.Comparison == ClinicianAgreement.RougeRow).Instances);

        var table = ClinicianAgreement.Format(groups);
        Assert.Contains("ICC(3,k)", table, StringComparison.Ordinal);
        Assert.Contains("n/a", table, StringComparison.Ordinal);
        Assert.Contains("(r1 vs r2)", table, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stored_verdict_maps_the_rubric_criteria_by_position()
    {
        var noteExtract = JuryRubric.For("chw_care_plan").CriterionNames;
        var standard = JuryRubric.For("medication_qa").CriterionNames;

        var structured = ClinicianAgreement.FromVerdict("n1", "chw_care_plan", "j", noteExtract,
            new Dictionary<string, double> { ["accuracy"] = 5, ["structure"] = 2, ["clarity"] = 4 });
        var plain = ClinicianAgreement.FromVerdict("m1", "medication_qa", "j", standard,
            new Dictionary<string, double> { ["clarity"] = 1, ["accuracy"] = 3, ["completeness"] = 4 });

        Assert.Equal(new JuryRating("n1", "chw_care_plan", "j", 5, 2, 4), structured);
        Assert.Equal(new JuryRating("m1", "medication_qa", "j", 3, 4, 1), plain);
        Assert.Null(ClinicianAgreement.FromVerdict("m1", "medication_qa", "j", standard,
            new Dictionary<string, double> { ["accuracy"] = 3, ["clarity"] = 4 }));
        Assert.Null(ClinicianAgreement.FromVerdict("n1", "chw_care_plan", "j", noteExtract,
            new Dictionary<string, double> { ["accuracy"] = 5, ["completeness"] = 2, ["clarity"] = 4 }));
        Assert.Null(ClinicianAgreement.FromVerdict("m1", "b", "j", ["accuracy", "clarity"],
            new Dictionary<string, double> { ["accuracy"] = 3, ["clarity"] = 4 }));
    }

    [Fact]
    public void A_note_explains_a_row_without_figures_in_every_group()
    {
        ClinicianRating[] clinicians = [.. s_clinicians, new("m1", "medi_qa", "r9", 4, 4, 4)];
        var notes = new Dictionary<string, string> { [ClinicianAgreement.BertScoreRow] = "not computed: no model", [ClinicianAgreement.ClinicianRow] = "unused" };

        var groups = ClinicianAgreement.Compute(clinicians, s_jury, [], notes);

        Assert.Equal(3, groups.Count);
        Assert.All(groups, g =>
        {
            var bert = g.Figures.Single(f => f.Comparison == ClinicianAgreement.BertScoreRow);
            Assert.Equal(0, bert.Instances);
            Assert.Equal("not computed: no model", bert.Detail);
        });
        // a row's own detail stays
        Assert.Equal("r1 vs r2", groups[0].Figures.Single(f => f.Comparison == ClinicianAgreement.ClinicianRow).Detail);
        Assert.Contains("(not computed: no model)", ClinicianAgreement.Format(groups), StringComparison.Ordinal);
    }

    [Fact]
    public void Csv_files_are_read_by_header_name_with_quotes_and_extra_columns()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "ratings.csv");
        File.WriteAllText(path, "Benchmark,instance_id,rater_id,accuracy,completeness,clarity,comment\n\naci_bench,\"i,1\",r1,5,4,3,\"said \"\"ok\"\"\"\r\naci_bench,i2,r1,1,2,3.5,\n");

        var ratings = AgreementCsv.ReadClinicianRatings(path);

        Assert.Equal(2, ratings.Count);
        Assert.Equal("i,1", ratings[0].InstanceId);
        Assert.Equal(4.0, ratings[0].Composite, 12);
        Assert.Equal(3.5, ratings[1].Clarity);
    }

    [Theory]
    [InlineData("instance_id,benchmark,judge,accuracy,completeness\n", "line 1: the header has no column 'clarity'")]
    [InlineData("instance_id,benchmark,judge,accuracy,completeness,clarity\ni1,b,j,4,4\n", "line 2: 5 fields, but the header has 6")]
    [InlineData("instance_id,benchmark,judge,accuracy,completeness,clarity\ni1,b,j,4,4,4\ni2,b,j,4,six,4\n", "line 3, column 'completeness': the value is not a number")]
    [InlineData("instance_id,benchmark,judge,accuracy,completeness,clarity\ni1,b,j,0,4,4\n", "line 2, column 'accuracy': the value must be from 1 to 5")]
    [InlineData("instance_id,benchmark,judge,accuracy,completeness,clarity\n,b,j,1,4,4\n", "line 2, column 'instance_id': the value is empty")]
    [InlineData("instance_id,benchmark,judge,accuracy,completeness,clarity\n\"i1,b,j,1,4,4\n", "line 2: a quoted field is not closed")]
    [InlineData("", "the file is empty")]
    public void Bad_csv_names_the_file_line_and_column(string content, string message)
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "jury.csv");
        File.WriteAllText(path, content);

        var e = Assert.Throws<RatingsFormatException>(() => AgreementCsv.ReadJuryRatings(path));

        Assert.StartsWith("jury.csv", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metric_scores_may_be_missing_but_not_out_of_range()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "metrics.csv");
        File.WriteAllText(path, "instance_id,benchmark,rouge_l,bertscore\ni1,b,0.3,\n");
        var scores = AgreementCsv.ReadMetricScores(path);
        Assert.Equal(0.3, scores[0].RougeL);
        Assert.Null(scores[0].BertScore);

        File.WriteAllText(path, "instance_id,benchmark,rouge_l,bertscore\ni1,b,1.3,\n");
        var e = Assert.Throws<RatingsFormatException>(() => AgreementCsv.ReadMetricScores(path));
        Assert.Contains("column 'rouge_l'", e.Message, StringComparison.Ordinal);
    }
}
