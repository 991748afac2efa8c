using MedHelm.Application.Reports.Decision;
using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;

namespace MedHelm.Application.Tests.Reports.Decision;

/// <summary>The floors on hand-built instances, scored with the project's metrics.</summary>
public sealed class BaselinesTests
{
    private static BenchmarkInstance Letter(string id, char gold, int options = 4) => new(
        id, new Dictionary<string, string>(), "Q?", Enumerable.Range(0, options).Select(i => new AnswerOption((char)('A' + i), "option " + i)).ToArray(), gold.ToString(), "test");

    private static BenchmarkInstance Text(string id, string input, string gold, string field) =>
        new(id, new Dictionary<string, string> { [field] = input }, "Q?", [], gold, "test");

    [Fact]
    public void Letters_random_choice_is_the_exact_expectation_and_majority_class_the_commonest_gold()
    {
        var medQa = BuiltInBenchmarks.Find("med_qa")!;
        var instances = new[] { Letter("1", 'A'), Letter("2", 'A'), Letter("3", 'B'), Letter("4", 'C', options: 5) };
        var floors = Baselines.Compute(medQa, instances, ScoringMode.Corrected);

        var random = floors.Single(f => f.Name == Baselines.RandomChoice);
        Assert.Equal((0.25 * 3 + 0.2) / 4, random.Score, 12);
        Assert.Equal("exact expectation", random.Method);
        var majority = floors.Single(f => f.Name == Baselines.MajorityClass);
        Assert.Equal(0.5, majority.Score, 12); // always "A": right on 2 of 4
        Assert.Equal("always \"A\"", majority.Prediction);
        Assert.Equal(medQa.MainMetric, majority.Metric);
    }

    [Fact]
    public void Medec_always_flags_an_error_and_scores_the_share_of_notes_with_one()
    {
        var medec = BuiltInBenchmarks.Find("medec")!;
        var instances = new[]
        {
            new BenchmarkInstance("1", new Dictionary<string, string>(), "note", [], "CORRECT", "test"),
            new BenchmarkInstance("2", new Dictionary<string, string>(), "note", [], "3 The patient was given aspirin.", "test"),
            new BenchmarkInstance("3", new Dictionary<string, string>(), "note", [], "5 Dose corrected.", "test"),
        };
        var floor = Assert.Single(Baselines.Compute(medec, instances, ScoringMode.Corrected));
        Assert.Equal((Baselines.AlwaysFlag, MedecMetrics.FlagAccuracy), (floor.Name, floor.Metric));
        Assert.Equal(2.0 / 3, floor.Score, 12);
    }

    [Fact]
    public void Copy_the_input_is_scored_with_rouge_l_against_the_reference()
    {
        var definition = BuiltInBenchmarks.All.First(b => b.IsOpen && b.InputFields.Count > 0);
        var field = definition.InputFields[0].Key;
        var instances = new[]
        {
            Text("1", "the patient walked home", "the patient walked home", field),
            Text("2", "alpha beta", "gamma delta", field),
        };
        var floor = Assert.Single(Baselines.Compute(definition, instances, ScoringMode.Corrected));
        Assert.Equal((Baselines.CopyInput, Baselines.CopyInputMetric), (floor.Name, floor.Metric));
        Assert.Equal(0.5, floor.Score, 12);
        Assert.Equal("the patient walked home", Baselines.InputText(definition, instances[0]));
    }

    [Fact]
    public void Numeric_benchmarks_and_empty_instance_lists_get_no_floor()
    {
        Assert.Empty(Baselines.Compute(BuiltInBenchmarks.Find("medcalc_bench")!, [Letter("1", 'A')], ScoringMode.Corrected));
        Assert.Empty(Baselines.Compute(BuiltInBenchmarks.Find("med_qa")!, [], ScoringMode.Corrected));
    }
}
