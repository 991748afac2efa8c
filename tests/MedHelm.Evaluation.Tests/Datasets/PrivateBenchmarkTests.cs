using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Private;
using MedHelm.Evaluation.Running;

namespace MedHelm.Evaluation.Tests.Datasets;

/// <summary>Benchmarks defined only by a definition file plus instances, run end to end through the evaluation runner.</summary>
public sealed class PrivateBenchmarkTests
{
    private static string Examples => RepositoryPaths.Combine("docs", "examples", "private");

    [Fact]
    public async Task The_BMT_Status_worked_example_imports_and_runs_end_to_end()
    {
        var report = new DatasetValidationReport();
        var definition = BenchmarkDefinitionFile.Read(Path.Combine(Examples, "bmt_status", "definition.json"), report);
        Assert.True(report.IsValid, report.Format());
        Assert.Equal("shc_bmt_med", definition!.Name);
        Assert.Equal("Recording Research Processes", definition.Subcategory);
        Assert.Equal(AccessTier.Private, definition.Access);

        var dataset = DatasetImport.Import(new GenericInstancesImporter(definition), Path.Combine(Examples, "bmt_status", "instances.jsonl"));
        Assert.Equal(4, dataset.Count);

        // answers "B" to the ITP note and "A" to every other: 3 of 4 right (bmt-0002 is a "no")
        var client = ScriptedChatClient.ByPrompt(("ITP", "B"), ("transplant", "A"));
        var results = await new EvaluationRunner().RunAsync(
            new EvaluationRequest("run-p", "fake", definition, dataset.Instances, ScoringMode.Helm), client);
        Assert.Equal([1, 0, 1, 1], results.Select(r => r.Score));
        var prompt = client.Calls.First().Messages.Single().Text;
        Assert.StartsWith("Provide an answer to the following question: Has the patient received a bone marrow transplant? with the following context: SYNTHETIC. 54M", prompt, StringComparison.Ordinal);
        Assert.All(results, r => Assert.Equal("exact_match", r.Metric));
    }

    [Fact]
    public async Task The_PrivacyDetection_worked_example_reads_csv_with_options()
    {
        var report = new DatasetValidationReport();
        var definition = BenchmarkDefinitionFile.Read(Path.Combine(Examples, "privacy_detection", "definition.json"), report)!;
        Assert.True(report.IsValid, report.Format());
        var dataset = DatasetImport.Import(new GenericInstancesImporter(definition), Path.Combine(Examples, "privacy_detection", "instances.csv"));
        Assert.Equal(["B", "A", "B"], dataset.Instances.Select(i => i.Gold));
        Assert.Equal("true", dataset.Instances[0].Metadata["synthetic"]);
        var results = await new EvaluationRunner().RunAsync(
            new EvaluationRequest("run-p", "fake", definition, dataset.Instances), ScriptedChatClient.Constant("B"));
        Assert.Equal([1, 0, 1], results.Select(r => r.Score));
    }

    [Fact]
    public async Task A_yes_no_benchmark_is_scored_by_label()
    {
        using var folder = new TempFolder();
        var definitionPath = folder.Write("d.json", """
            {"name": "my_hospital_sepsis", "category": "CDS", "subcategory": "Predicting Patient Risks and Outcomes",
             "instructions": "Answer yes or no.", "fields": [{"key": "note", "label": "Note"}],
             "answer": {"type": "yes_no"}, "metric": "label_match", "max_tokens": 2}
            """);
        var instances = folder.Write("i.jsonl", """
            {"id": "1", "fields": {"note": "lactate 4.1, hypotensive"}, "question": "Sepsis within 24 h?", "answer": "Yes"}
            {"id": "2", "fields": {"note": "routine follow-up"}, "question": "Sepsis within 24 h?", "answer": "no"}
            """);
        var report = new DatasetValidationReport();
        var definition = BenchmarkDefinitionFile.Read(definitionPath, report)!;
        Assert.True(report.IsValid, report.Format());
        Assert.Equal(AnswerKind.YesNo, definition.AnswerKind);
        var dataset = DatasetImport.Import(new GenericInstancesImporter(definition), instances);
        Assert.Equal(["yes", "no"], dataset.Instances.Select(i => i.Gold));
        var results = await new EvaluationRunner().RunAsync(
            new EvaluationRequest("r", "m", definition, dataset.Instances, ScoringMode.Corrected), ScriptedChatClient.ByPrompt(("lactate", "Yes."), ("routine", "yes")));
        Assert.Equal([1, 0], results.Select(r => r.Score));
    }

    [Fact]
    public void A_bad_definition_file_lists_every_problem()
    {
        using var folder = new TempFolder();
        var path = folder.Write("d.json", """
            {"name": "x y", "category": "Nope", "subcategory": "Planning Treatments", "answer": {"type": "essay"},
             "metric": "exact_match", "max_tokens": 0, "colour": "red"}
            """);
        var report = new DatasetValidationReport();
        Assert.Null(BenchmarkDefinitionFile.Read(path, report));
        var fields = report.Problems.Select(p => p.Field).ToArray();
        Assert.Contains("colour", fields);
        Assert.Contains("name", fields);
        Assert.Contains("category", fields);
        Assert.Contains("max_tokens", fields);
        Assert.Contains("answer.type", fields);
    }

    [Fact]
    public void Instances_that_do_not_fit_the_definition_are_rejected_with_line_and_field()
    {
        using var folder = new TempFolder();
        var report = new DatasetValidationReport();
        var definition = BenchmarkDefinitionFile.Read(Path.Combine(Examples, "bmt_status", "definition.json"), report)!;
        var path = folder.Write("i.jsonl", """
            {"id": "1", "fields": {"note": "n"}, "question": "q", "options": ["yes", "no"], "answer": "A"}
            {"id": "2", "fields": {"text": "n"}, "question": "q", "options": ["yes", "no"], "answer": "A"}
            {"id": "3", "fields": {"note": "n"}, "question": "q", "options": ["yes", "no"], "answer": "D"}
            {"id": "1", "fields": {"note": "n"}, "question": "q", "options": ["yes", "no"], "answer": "B"}
            """);
        var result = DatasetImport.Read(new GenericInstancesImporter(definition), path);
        Assert.Null(result.Dataset);
        Assert.Equal([(2L, "fields.note"), (3L, "answer"), (4L, "id")], result.Report.Problems.Select(p => (p.Line!.Value, p.Field!)));
    }
}
