using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Private;

namespace MedHelm.Evaluation.Tests.Datasets;

/// <summary>A definition whose prompt_template has unbalanced braces is refused naming the field and the character.</summary>
public sealed class PromptTemplateBraceTests
{
    [Theory]
    [InlineData("Note: {note", "character 7")]
    [InlineData("Note: note}\\n{question}", "character 11")]
    [InlineData("{question} {", "character 12")]
    [InlineData("{ note }", "character 1")]
    [InlineData("{note}}", "character 7")]
    [InlineData("{}", "character 1")]
    public void Unbalanced_braces_are_refused(string template, string where)
    {
        using var folder = new TempFolder();
        var path = folder.Write("d.json", $$"""
            {"name": "my_task", "category": "CDS", "subcategory": "Predicting Patient Risks and Outcomes",
             "prompt_template": "{{template}}", "fields": [{"key": "note", "label": "Note"}],
             "answer": {"type": "yes_no"}, "metric": "label_match", "max_tokens": 2}
            """);
        var report = new DatasetValidationReport();

        Assert.Null(BenchmarkDefinitionFile.Read(path, report));

        var problem = Assert.Single(report.Problems);
        Assert.Equal("prompt_template", problem.Field);
        Assert.Contains(where, problem.Problem, StringComparison.Ordinal);
        Assert.Contains("unbalanced", problem.Problem, StringComparison.Ordinal);
    }
}
