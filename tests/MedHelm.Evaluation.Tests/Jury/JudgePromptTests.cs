using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Jury;

namespace MedHelm.Evaluation.Tests.Jury;

public sealed class JudgePromptTests
{
    [Fact]
    public void The_rubric_comes_first_and_is_byte_identical_across_instances()
    {
        var builder = new JudgePromptBuilder(JuryRubric.For("aci_bench"));

        var first = builder.Build("Doctor: how are you? Patient: chest pain.", "HPI: chest pain.", "HPI: chest pain for 2 days.");
        var second = builder.Build("Doctor: any allergies? Patient: penicillin.", "Allergies: penicillin.", "Allergy: penicillin (rash).");

        Assert.Equal(first.Rubric, second.Rubric);
        Assert.Equal(builder.RubricText, first.Rubric);
        Assert.StartsWith(first.Rubric, first.Text, StringComparison.Ordinal);
        Assert.StartsWith(second.Rubric, second.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("chest pain", first.Rubric, StringComparison.Ordinal);
        Assert.DoesNotContain("penicillin", second.Rubric, StringComparison.Ordinal);
    }

    [Fact]
    public void The_prompt_has_role_goal_tagged_blocks_criteria_and_the_answer_format()
    {
        var prompt = new JudgePromptBuilder(JuryRubric.For("aci_bench")).Build("SOURCE-TEXT", "RESPONSE-TEXT", "GOLD-TEXT");

        Assert.StartsWith("You are a medical expert", prompt.Text, StringComparison.Ordinal);
        Assert.Contains("Your goal is", prompt.Rubric, StringComparison.Ordinal);
        Assert.Contains("<conversation>\nSOURCE-TEXT\n</conversation>", prompt.Instance, StringComparison.Ordinal);
        Assert.Contains("<response>\nRESPONSE-TEXT\n</response>", prompt.Instance, StringComparison.Ordinal);
        Assert.Contains("<gold_response>\nGOLD-TEXT\n</gold_response>", prompt.Instance, StringComparison.Ordinal);
        foreach (var c in new[] { "accuracy (1-5)", "completeness (1-5)", "clarity (1-5)" })
        {
            Assert.Contains(c, prompt.Rubric, StringComparison.Ordinal);
        }

        Assert.Contains("\"accuracy\": {\"score\": 3, \"explanation\":", prompt.Rubric, StringComparison.Ordinal);
        Assert.True(prompt.Text.IndexOf("SOURCE-TEXT", StringComparison.Ordinal) > prompt.Text.IndexOf("Answer format", StringComparison.Ordinal));
    }

    [Fact]
    public void NoteExtract_rates_accuracy_structure_clarity_and_shows_no_reference()
    {
        var rubric = JuryRubric.For("chw_care_plan");
        var prompt = new JudgePromptBuilder(rubric).Build("note", "structured", "ignored gold");

        Assert.Equal(["accuracy", "structure", "clarity"], rubric.CriterionNames);
        Assert.False(rubric.UsesGold);
        Assert.DoesNotContain("gold_response", prompt.Text, StringComparison.Ordinal);
        Assert.Contains("<original_note>\nnote\n</original_note>", prompt.Instance, StringComparison.Ordinal);
    }

    [Fact]
    public void Catalog_criteria_replace_the_built_in_wording_and_unknown_benchmarks_get_the_generic_rubric()
    {
        IReadOnlyList<JuryCriterion> custom = [new("accuracy", "Q1?"), new("empathy", "Q2?")];

        var rubric = JuryRubric.For("mental_health", custom);
        var generic = JuryRubric.For("my_hospital_task");

        Assert.Equal(["accuracy", "empathy"], rubric.CriterionNames);
        Assert.Equal("conversation", rubric.SourceTag);
        Assert.Equal(["accuracy", "completeness", "clarity"], generic.CriterionNames);
        Assert.Equal("my_hospital_task", generic.Benchmark);
        Assert.Throws<ArgumentException>(() => JuryRubric.For("x", [new JuryCriterion("Bad Name", "?")]));
    }

    [Fact]
    public void A_missing_reference_is_said_rather_than_left_blank()
    {
        var prompt = new JudgePromptBuilder(JuryRubric.For("medi_qa")).Build("q", "a", null);

        Assert.Contains("<gold_response>\n(no reference response is available for this instance)\n</gold_response>", prompt.Instance, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("aci_bench")]
    [InlineData("mtsamples_replicate")]
    [InlineData("mtsamples_procedures")]
    [InlineData("medication_qa")]
    [InlineData("medi_qa")]
    [InlineData("med_dialog")]
    [InlineData("dischargeme")]
    [InlineData("mimic_bhc")]
    [InlineData("mimic_rrs")]
    [InlineData("medalign")]
    [InlineData("starr_patient_instructions")]
    [InlineData("mental_health")]
    [InlineData("chw_care_plan")]
    public void Every_open_benchmark_has_a_valid_rubric(string benchmark)
    {
        var rubric = JuryRubric.For(benchmark);

        rubric.Validate();
        Assert.NotEqual("response", rubric.Artifact);
        Assert.Equal(3, rubric.Criteria.Count);
    }
}

public sealed class CatalogRubricTests
{
    [Fact]
    public void Every_open_catalog_benchmark_gets_a_rubric_with_its_catalog_criteria()
    {
        var open = BuiltInBenchmarks.All.Where(b => b.IsOpen).ToArray();

        Assert.True(open.Length >= 13, $"{open.Length} open benchmarks");
        foreach (var definition in open)
        {
            var rubric = JuryRubric.For(definition);
            Assert.Equal(definition.JuryCriteria.Select(c => c.Name), rubric.CriterionNames);
            Assert.NotEqual("response", rubric.Artifact);
            _ = new JudgePromptBuilder(rubric).Build("s", "r", "g");
        }
    }
}
