using MedHelm.Core.Metrics;

namespace MedHelm.Core.Tests.Metrics;

public class MedCalcAccuracyTests
{
    private static double Score(string prediction, string category, string gold, string lower, string upper, ScoringMode mode) =>
        MedCalcAccuracy.Score(prediction, category, gold, lower, upper, mode);

    [Theory]
    [InlineData(ScoringMode.Helm, 0)]
    [InlineData(ScoringMode.Corrected, 1)]
    public void Lab_and_dosage_always_score_zero_in_helm_mode(ScoringMode mode, double expected)
    {
        // Real rows: Creatinine Clearance (lab) and Steroid Conversion (dosage).
        Assert.Equal(expected, Score("25.238", "lab", "25.238", "23.9761", "26.4999", mode));
        Assert.Equal(expected, Score("53.093", "dosage", "53.093", "50.43835", "55.74765", mode));
    }

    [Fact]
    public void Dosage_conversion_and_physical_are_range_checked_in_both_modes()
    {
        Assert.Equal(1, Score("100", "physical", "100", "95", "105", ScoringMode.Helm));
        Assert.Equal(1, Score(" 104.9 ", "physical", "100", "95", "105", ScoringMode.Helm));
        Assert.Equal(0, Score("106", "physical", "100", "95", "105", ScoringMode.Helm));
        Assert.Equal(1, Score("51", "dosage conversion", "53.093", "50.43835", "55.74765", ScoringMode.Helm));
        Assert.Equal(0, Score("106", "physical", "100", "95", "105", ScoringMode.Corrected));
    }

    [Theory]
    [InlineData("4", ScoringMode.Helm, 1)]
    [InlineData("4.0", ScoringMode.Helm, 0)]
    [InlineData("4.", ScoringMode.Helm, 0)]
    [InlineData("Score: 4", ScoringMode.Helm, 0)]
    [InlineData("4.0", ScoringMode.Corrected, 1)]
    [InlineData("CHA2DS2-VASc score: 4", ScoringMode.Corrected, 1)]
    [InlineData("5", ScoringMode.Corrected, 0)]
    public void Risk_is_exact_in_helm_mode_numeric_when_corrected(string prediction, ScoringMode mode, double expected) =>
        Assert.Equal(expected, Score(prediction, "risk", "4", "4", "4", mode));

    [Theory]
    [InlineData("25.2 mL/min", 1)]
    [InlineData("The answer is 25.2", 1)]
    [InlineData("≈ 1,234.5", 0)]
    [InlineData("", 0)]
    [InlineData("   ", 0)]
    [InlineData("unknown", 0)]
    public void Corrected_numbers_tolerate_units_and_lead_ins(string prediction, double expected) =>
        Assert.Equal(expected, Score(prediction, "lab", "25.238", "23.9761", "26.4999", ScoringMode.Corrected));

    [Fact]
    public void Thousands_separators_are_read_in_corrected_mode() =>
        Assert.Equal(1, Score("1,234.5 units", "lab", "1234", "1200", "1300", ScoringMode.Corrected));

    [Theory]
    [InlineData("09/23/2014", ScoringMode.Helm, 1)]
    [InlineData("9/23/2014", ScoringMode.Helm, 1)]
    [InlineData("09/23/2014.", ScoringMode.Helm, 0)]
    [InlineData("2014-09-23", ScoringMode.Helm, 0)]
    [InlineData("09/24/2014", ScoringMode.Helm, 0)]
    [InlineData("Due date: 09/23/2014.", ScoringMode.Corrected, 1)]
    [InlineData("2014-09-23", ScoringMode.Corrected, 1)]
    [InlineData("02/30/2014", ScoringMode.Corrected, 0)]
    public void Dates(string prediction, ScoringMode mode, double expected) =>
        Assert.Equal(expected, Score(prediction, "date", "09/23/2014", "09/23/2014", "09/23/2014", mode));

    [Theory]
    [InlineData("('14 weeks', '1 days')", ScoringMode.Helm, 1)]
    [InlineData("(14 weeks, 1 day)", ScoringMode.Helm, 0)]
    [InlineData("14 weeks 1 day", ScoringMode.Helm, 0)]
    [InlineData("('14 weeks', '1 days')", ScoringMode.Corrected, 1)]
    [InlineData("(14 weeks, 1 day)", ScoringMode.Corrected, 1)]
    [InlineData("14 weeks and 1 day", ScoringMode.Corrected, 1)]
    [InlineData("14w 1d", ScoringMode.Corrected, 1)]
    [InlineData("(14, 1)", ScoringMode.Corrected, 1)]
    [InlineData("14 weeks", ScoringMode.Corrected, 0)]
    public void Gestational_age_is_compared_in_days(string prediction, ScoringMode mode, double expected)
    {
        const string gold = "('14 weeks', '1 days')";
        Assert.Equal(expected, Score(prediction, "date", gold, gold, gold, mode));
    }

    [Fact]
    public void Corrected_mode_rejects_malformed_gold_limits() =>
        Assert.Throws<MetricInputFormatException>(() => Score("3", "lab", "3", "low", "4", ScoringMode.Corrected));

    [Fact]
    public void Metric_reads_gold_fields()
    {
        var gold = GoldRecord.From(("category", "lab"), ("gold", "25.238"), ("lower_limit", 23.9761), ("upper_limit", "26.4999"));
        Assert.Equal(1, new MedCalcAccuracy().Score("25", gold, ScoringMode.Corrected)[MedCalcAccuracy.MetricName]);
        Assert.Equal(0, new MedCalcAccuracy().Score("25", gold, ScoringMode.Helm)[MedCalcAccuracy.MetricName]);
    }
}

public class MedecMetricsTests
{
    [Theory]
    [InlineData("CORRECT", ScoringMode.Helm, 1, 1)]
    [InlineData("  CORRECT\n", ScoringMode.Helm, 1, 1)]
    [InlineData("CORRECT.", ScoringMode.Helm, 0, 0)]
    [InlineData("Correct", ScoringMode.Helm, 0, 0)]
    [InlineData("**CORRECT**", ScoringMode.Helm, 0, 0)]
    [InlineData("CORRECT.", ScoringMode.Corrected, 1, 1)]
    [InlineData("Correct", ScoringMode.Corrected, 1, 1)]
    [InlineData("**CORRECT**\nNo errors found.", ScoringMode.Corrected, 1, 1)]
    [InlineData("3 The patient has pneumonia.", ScoringMode.Corrected, 0, 0)]
    [InlineData("", ScoringMode.Helm, 0, 0)]
    [InlineData("", ScoringMode.Corrected, 0, 0)]
    public void Correct_notes(string prediction, ScoringMode mode, double flag, double sentence) =>
        Assert.Equal((flag, sentence), MedecMetrics.Score(prediction, "CORRECT", mode));

    [Theory]
    // HELM converts the whole gold text (periods deleted) with int(): "5 Patient is given azithromycin" is not an
    // integer, so the gold id is -1 and no answer gets sentence accuracy on an error note in helm mode.
    [InlineData("5 Patient is given amoxicillin.", ScoringMode.Helm, 1, 0)]
    [InlineData("5 Patient is given amoxicillin.", ScoringMode.Corrected, 1, 1)]
    [InlineData("4 Patient is given amoxicillin.", ScoringMode.Helm, 1, 0)]
    [InlineData("Sentence 5: Patient is given amoxicillin.", ScoringMode.Helm, 1, 0)]
    [InlineData("Sentence 5: Patient is given amoxicillin.", ScoringMode.Corrected, 1, 1)]
    [InlineData("**5** Patient is given amoxicillin.", ScoringMode.Corrected, 1, 1)]
    [InlineData("[5] fix", ScoringMode.Corrected, 1, 1)]
    [InlineData("There is an error somewhere", ScoringMode.Corrected, 1, 0)]
    [InlineData("CORRECT", ScoringMode.Helm, 0, 0)]
    [InlineData("99999999999999999999 x", ScoringMode.Helm, 1, 0)]
    public void Error_notes(string prediction, ScoringMode mode, double flag, double sentence) =>
        Assert.Equal((flag, sentence), MedecMetrics.Score(prediction, "5 Patient is given azithromycin.", mode));

    [Fact]
    public void Aggregate_is_the_mean_of_both_statistics()
    {
        var metric = new MedecMetrics();
        var a = metric.Score("CORRECT", GoldRecord.From(("gold", "CORRECT")), ScoringMode.Helm);
        var b = metric.Score("2 x", GoldRecord.From(("gold", "3 y")), ScoringMode.Corrected);
        var agg = metric.Aggregate([a, b], ScoringMode.Corrected);
        Assert.Equal(1.0, agg[MedecMetrics.FlagAccuracy]);
        Assert.Equal(0.5, agg[MedecMetrics.SentenceAccuracy]);
    }
}

public class BillingCodeF1Tests
{
    [Fact]
    public void Helm_regex_drops_undotted_and_suffixed_codes()
    {
        Assert.Equal(["J18.9", "E11"], BillingCodeF1.ExtractCodes("**J18.9**, E11.", ScoringMode.Helm));
        Assert.Empty(BillingCodeF1.ExtractCodes("E1165", ScoringMode.Helm));
        Assert.Equal(["S72"], BillingCodeF1.ExtractCodes("S72.001A", ScoringMode.Helm));
        Assert.Equal(["E1165", "S72001A", "T360X1A", "J189"], BillingCodeF1.ExtractCodes("E11.65, S72.001A; t36.0x1a\nJ18.9.", ScoringMode.Corrected));
    }

    [Fact]
    public void Helm_mode_scores_correct_suffixed_codes_by_their_category()
    {
        // Gold S72.001A and S72.002A both shrink to S72, so a wrong S72.009A still "matches" in helm mode.
        var helm = BillingCodeF1.Score("S72.009A", "S72.001A, S72.002A", ScoringMode.Helm);
        Assert.Equal(1, helm.F1);
        var corrected = BillingCodeF1.Score("S72.009A", "S72.001A, S72.002A", ScoringMode.Corrected);
        Assert.Equal(0, corrected.F1);
    }

    [Fact]
    public void Undotted_prediction_counts_only_when_corrected()
    {
        // gold {E11.65, I10}, pred {E1165, I10}.
        var helm = BillingCodeF1.Score("E1165, I10", "E11.65, I10", ScoringMode.Helm);
        Assert.Equal((1.0, 0.5, 2.0 / 3), (helm.Precision, helm.Recall, helm.F1));
        var corrected = BillingCodeF1.Score("E1165, I10", "E11.65, I10", ScoringMode.Corrected);
        Assert.Equal((1.0, 1.0, 1.0), (corrected.Precision, corrected.Recall, corrected.F1));
    }

    [Fact]
    public void Hand_computed_precision_recall_f1_and_averaging()
    {
        // gold {A01, B02, C03}, pred {A01, B02, D04, D04}: tp 2, fp 1, fn 1.
        var s = BillingCodeF1.Score("A01 B02 D04 D04", "A01, B02, C03", ScoringMode.Corrected);
        Assert.Equal((2.0 / 3, 2.0 / 3, 2.0 / 3), (s.Precision, s.Recall, s.F1));
        var metric = new BillingCodeF1();
        var one = metric.Score("A01", GoldRecord.From(("gold", "A01")), ScoringMode.Helm);
        var zero = metric.Score("", GoldRecord.From(("gold", new[] { "A01", "B02" })), ScoringMode.Helm);
        Assert.Equal(0.5, metric.Aggregate([one, zero], ScoringMode.Helm)[BillingCodeF1.F1Name]);
    }

    [Fact]
    public void Empty_prediction_scores_zero() =>
        Assert.Equal(0, BillingCodeF1.Score("", "I10", ScoringMode.Corrected).F1);
}

public class MicroF1Tests
{
    [Fact]
    public void Micro_averages_over_instances()
    {
        // inst1: gold {a,b}, pred {a}: tp1 fn1. inst2: gold {c}, pred {c,d}: tp1 fp1. micro F1 = 2*2/(4+1+1) = 2/3.
        var metric = new MicroF1();
        var s1 = metric.Score("a", GoldRecord.From(("gold", "a, b")), ScoringMode.Helm);
        var s2 = metric.Score("c; d", GoldRecord.From(("gold", new[] { "c" })), ScoringMode.Helm);
        var agg = metric.Aggregate([s1, s2], ScoringMode.Helm);
        Assert.Equal(2.0 / 3, agg[MicroF1.MetricName], 12);
        Assert.Equal(2.0 / 3, agg["micro_precision"], 12);
        Assert.Equal(2.0 / 3, agg["micro_recall"], 12);
    }

    [Fact]
    public void Corrected_mode_ignores_case_list_markers_and_lead_ins()
    {
        Assert.Equal(["Diabetes", "Hypertension."], MicroF1.ParseLabels("Diabetes, Hypertension.", ScoringMode.Helm));
        Assert.Equal(["diabetes", "hypertension"], MicroF1.ParseLabels("Labels:\n- Diabetes\n2. **Hypertension**.", ScoringMode.Corrected));
        Assert.Equal(1, MicroF1.Compute([MicroF1.ParseLabels("diabetes", ScoringMode.Corrected)], [MicroF1.ParseLabels("Answer: Diabetes.", ScoringMode.Corrected)]));
        Assert.Equal(0, MicroF1.Compute([MicroF1.ParseLabels("", ScoringMode.Corrected)], [MicroF1.ParseLabels("", ScoringMode.Corrected)]));
    }
}

public class LabelMatchTests
{
    private static readonly string[] YesNoMaybe = ["yes", "no", "maybe"];

    [Theory]
    [InlineData("yes", ScoringMode.Helm, 1)]
    [InlineData(" yes\n", ScoringMode.Helm, 1)]
    [InlineData("Yes", ScoringMode.Helm, 0)]
    [InlineData("yes.", ScoringMode.Helm, 0)]
    [InlineData("Yes.", ScoringMode.Corrected, 1)]
    [InlineData("Answer: **yes** — the trial showed benefit", ScoringMode.Corrected, 1)]
    [InlineData("yesterday", ScoringMode.Corrected, 0)]
    [InlineData("no", ScoringMode.Corrected, 0)]
    [InlineData("", ScoringMode.Corrected, 0)]
    public void Yes_no_maybe(string prediction, ScoringMode mode, double expected) =>
        Assert.Equal(expected, LabelMatch.Score(prediction, "yes", mode, YesNoMaybe));

    [Fact]
    public void Not_is_not_no() => Assert.Equal(0, LabelMatch.Score("Not sure", "no", ScoringMode.Corrected, YesNoMaybe));
}

public class MetricRegistryTests
{
    [Theory]
    [InlineData("exact_match")]
    [InlineData("medcalc_bench_accuracy")]
    [InlineData("medec")]
    [InlineData("mimiciv_billing_code_f1")]
    [InlineData("micro_f1")]
    [InlineData("rouge-l")]
    [InlineData("ROUGE_1")]
    [InlineData("rouge_2")]
    [InlineData("bleu_4")]
    [InlineData("label_match")]
    public void Finds_metrics_by_name(string name) => Assert.True(MetricRegistry.TryGet(name, out _));

    [Fact]
    public void Unknown_name_is_not_found() => Assert.False(MetricRegistry.TryGet("bertscore", out _));

    [Fact]
    public void Missing_gold_field_names_the_field()
    {
        MetricRegistry.TryGet("medcalc_bench_accuracy", out var metric);
        var e = Assert.Throws<MetricInputFormatException>(() => metric.Score("1", GoldRecord.From(("category", "lab")), ScoringMode.Corrected));
        Assert.Equal("gold", e.Field);
    }

    [Fact]
    public void Exact_match_metric_accepts_valid_letters()
    {
        MetricRegistry.TryGet("exact_match", out var metric);
        Assert.Equal(1, metric.Score("A.", GoldRecord.From(("gold", "A"), ("valid_letters", "ABC")), ScoringMode.Corrected)["exact_match"]);
        Assert.Equal(0, metric.Score("A.", GoldRecord.From(("gold", "A"), ("valid_letters", new[] { "A", "B" })), ScoringMode.Helm)["exact_match"]);
    }
}
