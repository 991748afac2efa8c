using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Importers;
using MedHelm.Evaluation.Datasets.Private;

namespace MedHelm.Evaluation.Tests.Datasets;

/// <summary>
/// Every problem of a file is reported, each with its line and the field that is actually wrong: several per
/// record, not only the first, in instance files and in definition files.
/// </summary>
public sealed class EveryProblemTests
{
    [Fact]
    public void A_file_with_three_bad_records_names_line_and_field_of_each_problem()
    {
        using var folder = new TempFolder();
        var path = folder.Write("conf.jsonl", """
            {"id": "1", "fields": {"note": "n"}, "question": "q", "options": ["yes", "no"], "answer": "A"}
            {"id": "2", "fields": {"note": ""}, "question": "q", "options": ["yes", "no"], "answer": "A"}
            {"id": "3", "fields": {"note": "n"}, "question": "q", "options": ["yes", "no"], "answer": "C"}
            {"fields": {"note": "n"}, "question": "q", "options": "yes/no", "answer": "A"}
            """);
        var result = DatasetImport.Read(DatasetImporters.Find("shc_conf_med")!, path);
        Assert.Null(result.Dataset);
        Assert.Equal(
            [(2L, "fields.note"), (3L, "answer"), (4L, "id"), (4L, "options")],
            result.Report.Problems.Select(p => (p.Line!.Value, p.Field!)));
        Assert.All(result.Report.Problems, p => Assert.Equal(path, p.File));
        Assert.Contains("(line 3): record '3', field 'answer': expected one of the option letters AB, found 'C'", result.Report.Problems[1].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_missing_answer_and_options_names_both_not_reference()
    {
        using var folder = new TempFolder();
        var path = folder.Write("conf.jsonl", """
            {"id": "1", "fields": {"note": "n"}, "question": "Confidential?"}
            """);
        var problems = DatasetImport.Read(DatasetImporters.Find("shc_conf_med")!, path).Report.Problems;
        Assert.Equal(["answer", "options"], problems.Select(p => p.Field).Order(StringComparer.Ordinal));
        Assert.All(problems, p => Assert.Equal(1L, p.Line));
        Assert.DoesNotContain(problems, p => p.Field == "reference");
        Assert.Contains("one of the option letters", problems.Single(p => p.Field == "answer").Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_raw_MedMCQA_record_in_the_instance_format_names_the_fields_really_wrong()
    {
        using var folder = new TempFolder();
        var path = folder.Write("dev.jsonl", """
            {"id": "m1", "question": "Which nerve?", "opa": "a", "opb": "b", "opc": "c", "opd": "d", "cop": 2, "choice_type": "single"}
            """);
        var problems = DatasetImport.Read(DatasetImporters.Find("shc_conf_med")!, path).Report.Problems;
        var fields = problems.Select(p => p.Field!).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string>(["opa", "opb", "opc", "opd", "cop", "choice_type", "fields.note", "options", "answer"]), fields);
        Assert.DoesNotContain("reference", fields);
        Assert.All(problems, p => Assert.Equal(1L, p.Line));
        Assert.Contains("\"options\"", problems.First(p => p.Field == "opa").Problem, StringComparison.Ordinal);
        Assert.Contains("--benchmark med_mcqa", problems.Single(p => p.Field == "cop").Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_MedMCQA_record_with_two_bad_fields_gets_two_problems()
    {
        using var folder = new TempFolder();
        var path = folder.Write("dev.json", """
            {"id": "a", "question": "q", "opa": "a", "opb": "b", "opc": "c", "opd": "d", "cop": 1}
            {"id": "b", "question": "q", "opa": "a", "opc": "c", "opd": "d", "cop": 7}
            """);
        var problems = DatasetImport.Read(new MedMcqaImporter(), path).Report.Problems;
        Assert.Equal([(2L, "opb"), (2L, "cop")], problems.Select(p => (p.Line!.Value, p.Field!)));
    }

    [Fact]
    public void A_generic_record_with_two_bad_fields_gets_two_problems()
    {
        using var folder = new TempFolder();
        var path = folder.Write("bmt.jsonl", """
            {"id": "1", "fields": {"note": ["x"]}, "question": "q", "options": ["yes", "no"], "answer": "A", "metadata": ["x"]}
            """);
        var problems = DatasetImport.Read(DatasetImporters.Find("shc_bmt_med")!, path).Report.Problems;
        Assert.Equal(["fields.note", "metadata"], problems.Select(p => p.Field!));
    }

    [Fact]
    public void Csv_header_problems_are_reported_once_each_not_on_every_row()
    {
        using var folder = new TempFolder();
        var path = folder.Write("clear.csv", "id,text,question,answer\n1,n,q,A\n2,n,q,B\n3,n,q,A\n");
        var problems = DatasetImport.Read(DatasetImporters.Find("clear")!, path).Report.Problems;
        Assert.Equal([(1L, "note"), (1L, "option_A"), (1L, "meta_subset")], problems.Select(p => (p.Line!.Value, p.Field!)));
    }

    [Fact]
    public void Many_bad_lines_are_capped_with_a_count_of_the_rest()
    {
        using var folder = new TempFolder();
        var path = folder.Write("conf.jsonl", string.Concat(Enumerable.Range(1, 30).Select(i =>
            $"{{\"id\": \"{i}\", \"fields\": {{\"note\": \"n\"}}, \"options\": [\"yes\", \"no\"], \"answer\": \"Z\"}}\n")));
        var report = DatasetImport.Read(DatasetImporters.Find("shc_conf_med")!, path).Report;
        Assert.Equal(30, report.TotalProblems);
        var lines = report.Lines();
        Assert.Equal(DatasetValidationReport.ShownProblems + 1, lines.Count);
        Assert.Contains("(line 20): record '20', field 'answer'", lines[19], StringComparison.Ordinal);
        Assert.Equal("… and 10 more problem(s)", lines[^1]);
        Assert.Equal(["… and 30 more problem(s)"], report.Lines(0));
        Assert.Empty(new DatasetValidationReport().Lines());
    }

    [Fact]
    public void A_definition_file_names_line_and_path_of_every_problem()
    {
        using var folder = new TempFolder();
        var path = folder.Write("d.json", """
            {
              "name": "my_task",
              "category": "CDS",
              "subcategory": "Planning Treatments",
              "fields": [{"key": "note"}, {"label": "Other"}],
              "prompt_template": "{note} {history}",
              "answer": {
                "type": "free_text",
                "jury_criteria": [{"name": "accuracy", "question": "Right?"}, {"name": "clarity"}],
                "tolerance": 0.1
              },
              "metric": "my_task_accuracy",
              "max_tokens": "many",
              "runs": {"name": "a"}
            }
            """);
        var report = new DatasetValidationReport();
        Assert.Null(BenchmarkDefinitionFile.Read(path, report));
        Assert.Equal(
            [
                (5L, "fields[1].key"),
                (13L, "max_tokens"),
                (10L, "answer.tolerance"),
                (9L, "answer.jury_criteria[1].question"),
                (14L, "runs"),
                (6L, "prompt_template"),
            ],
            report.Problems.Select(p => (p.Line!.Value, p.Field!)));
        Assert.Contains("{history}", report.Problems[^1].Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_definition_field_is_named_without_a_line_and_a_misplaced_one_with_its_line()
    {
        using var folder = new TempFolder();
        var path = folder.Write("d.json", """
            {"name": "x", "category": "CDS", "subcategory": "Planning Treatments",
             "answer": {"type": "letter", "labels": ["A"], "jury_criteria": []},
             "max_tokens": 1}
            """);
        var report = new DatasetValidationReport();
        Assert.Null(BenchmarkDefinitionFile.Read(path, report));
        Assert.Equal(new (long?, string)[] { (null, "metric"), (2, "answer.jury_criteria") }, report.Problems.Select(p => (p.Line, p.Field!)));
    }
}
