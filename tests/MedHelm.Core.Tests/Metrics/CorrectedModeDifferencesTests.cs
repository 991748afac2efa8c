using MedHelm.Core.Metrics;

namespace MedHelm.Core.Tests.Metrics;

/// <summary>
/// Each named difference of corrected mode from helm mode (docs/metrics.md, "Corrected mode: the named differences"),
/// with the example printed there: the helm value (HELM's, see the reference fixtures) and the corrected value.
/// </summary>
public sealed class CorrectedModeDifferencesTests
{
    private static void Differs(Func<ScoringMode, double> score, double helm, double corrected, int digits = 4)
    {
        Assert.Equal(helm, score(ScoringMode.Helm), digits);
        Assert.Equal(corrected, score(ScoringMode.Corrected), digits);
    }

    [Fact]
    public void Letter_extraction() => Differs(m => ExactMatch.Score("A.", "A", m), 0, 1);

    [Fact]
    public void Label_extraction() => Differs(m => LabelMatch.Score("Yes.", "yes", m), 0, 1);

    [Fact]
    public void MedCalc_numeric_comparison_of_risk_scores() => Differs(m => MedCalcAccuracy.Score("4.0", "risk", "4", "4", "4", m), 0, 1);

    [Fact]
    public void MedCalc_lab_and_dosage_categories_are_range_checked() =>
        Differs(m => MedCalcAccuracy.Score("25.238", "lab", "25.238", "23.9761", "26.4999", m), 0, 1);

    [Fact]
    public void MedCalc_first_number_with_units() =>
        Differs(m => MedCalcAccuracy.Score("25.2 mL/min", "physical", "25.238", "23.9761", "26.4999", m), 0, 1);

    [Fact]
    public void MedCalc_dates_anywhere_and_iso() =>
        Differs(m => MedCalcAccuracy.Score("2014-09-23", "date", "09/23/2014", "09/16/2014", "09/30/2014", m), 0, 1);

    [Fact]
    public void MedCalc_gestational_age_forms() =>
        Differs(m => MedCalcAccuracy.Score("14 weeks and 1 day", "date", "('14 weeks', '1 days')", "('14 weeks', '0 days')", "('14 weeks', '6 days')", m), 0, 1);

    [Fact]
    public void MedCalc_category_case() => Differs(m => MedCalcAccuracy.Score("4", "Risk", "4", "4", "4", m), 0, 1);

    [Fact]
    public void Medec_correct_variants() => Differs(m => MedecMetrics.Score("CORRECT.", "CORRECT", m).Flag, 0, 1);

    [Fact]
    public void Medec_gold_sentence_id_is_its_leading_number() =>
        Differs(m => MedecMetrics.Score("5 Patient is given amoxicillin.", "5 Patient is given azithromycin.", m).Sentence, 0, 1);

    [Fact]
    public void Medec_id_formats() =>
        Differs(m => MedecMetrics.Score("Sentence 5: Patient is given amoxicillin.", "5 Patient is given azithromycin.", m).Sentence, 0, 1);

    [Fact]
    public void Billing_full_icd10_codes() => Differs(m => BillingCodeF1.Score("E1165, I10", "E11.65, I10", m).F1, 2.0 / 3, 1);

    [Fact]
    public void Billing_letter_suffixed_codes_stay_distinct() => Differs(m => BillingCodeF1.Score("S72.009A", "S72.001A, S72.002A", m).F1, 1, 0);

    [Fact]
    public void Billing_no_code_on_either_side_is_scored_not_undefined()
    {
        Assert.Throws<ReferenceUndefinedException>(() => BillingCodeF1.Score("none", "none", ScoringMode.Helm));
        Assert.Equal(0, BillingCodeF1.Score("none", "none", ScoringMode.Corrected).F1);
    }

    [Fact]
    public void Rouge_keeps_every_script() => Differs(m => Rouge.RougeN("пациент здоров", "пациент здоров", 1, m).FMeasure, 0, 1);

    [Fact]
    public void Bleu_is_conventional_bleu_4()
    {
        Differs(m => Bleu.Score("a b c d e f", "a b c d x", m), 0.4094, 0.5475);
        Differs(m => Bleu.Score("a b c d", "a b c", m), 0, 0.4029);
    }
}
