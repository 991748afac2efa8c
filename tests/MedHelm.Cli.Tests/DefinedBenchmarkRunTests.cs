using System.Text.Json;
using MedHelm.Cli.Tests.Support;
using MedHelm.Gguf.TestModels;

namespace MedHelm.Cli.Tests;

/// <summary>
/// A hospital's own benchmark, known only from a definition file and a JSONL file: imported with
/// <c>datasets import --definition</c>, then evaluated by <c>medhelm run</c> like a built-in one — a closed one scored
/// by its metric, an open-ended one by the jury with the criteria its definition gives.
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class DefinedBenchmarkRunTests
{
    private const string ClosedDefinition = """
        {"name": "my_hospital_sepsis", "category": "CDS", "subcategory": "Predicting Patient Risks and Outcomes",
         "access": "private", "instructions": "Does the note describe sepsis? Answer yes or no.",
         "fields": [{"key": "note", "label": "Note"}],
         "answer": {"type": "yes_no"}, "metric": "label_match", "max_tokens": 2}
        """;

    private const string OpenDefinition = """
        {"name": "my_hospital_handoff", "category": "CNG", "subcategory": "Documenting Patient Visits",
         "access": "private", "instructions": "Write a one-line handoff summary of the note.",
         "fields": [{"key": "note", "label": "Note"}],
         "answer": {"type": "free_text", "jury_criteria": [
            {"name": "accuracy", "question": "Is the summary faithful to the note?"},
            {"name": "brevity", "question": "Is it one short line?"}]},
         "metric": "my_hospital_handoff_accuracy", "max_tokens": 24}
        """;

    private static string Instances(bool open) => string.Join('\n', Enumerable.Range(1, 4).Select(i => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["id"] = $"case-{i}",
        ["fields"] = new Dictionary<string, string> { ["note"] = $"SYNTHETIC. Patient {i}: fever {38 + (i % 2)} C, heart rate {90 + (10 * i)}, lactate {i}.{i} mmol/L." },
        [open ? "reference" : "answer"] = open ? $"Patient {i} febrile and tachycardic, lactate {i}.{i}." : (i % 2 == 0 ? "yes" : "no"),
    }))) + "\n";

    [Fact]
    public async Task Benchmarks_defined_only_by_files_import_and_run_end_to_end()
    {
        using var home = new TempHome(new
        {
            Models = new Dictionary<string, object> { ["judge"] = new { File = "judge.gguf", Sequences = 2, ContextPerSequence = 4096 } },
        });
        var model = home.PathOf("tiny.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = 5 }, model);
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = 101 }, home.PathOf("judge.gguf"));
        foreach (var (name, definition, open) in new[] { ("sepsis", ClosedDefinition, false), ("handoff", OpenDefinition, true) })
        {
            await File.WriteAllTextAsync(home.PathOf($"{name}.json"), definition);
            await File.WriteAllTextAsync(home.PathOf($"{name}.jsonl"), Instances(open));
            var import = await CliProcess.RunAsync(["datasets", "import", "--definition", home.PathOf($"{name}.json"), "--path", home.PathOf($"{name}.jsonl")], home.Folder);
            Assert.True(import.ExitCode == 0, import.ToString());
            Assert.Contains("imported 4 instances", import.StdOut, StringComparison.Ordinal);
        }

        var run = await CliProcess.RunAsync(
            ["run", "--samples", "--benchmarks", "my_hospital_sepsis,my_hospital_handoff", "--models", model, "--jury", "judge", "--run-id", "own"], home.Folder);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("skipped", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("Jury on my_hospital_handoff", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("brevity", run.StdOut, StringComparison.Ordinal); // the definition's own criteria
        var db = home.PathOf("data", "medhelm.db");
        Assert.Equal(4L, await RunJuryTests.ScalarAsync(db,
            "SELECT COUNT(*) FROM scores s JOIN run_completions l ON l.run_id = s.run_id AND l.request_id = s.request_id WHERE s.run_id = 'own' AND l.benchmark = 'my_hospital_sepsis' AND s.value IN (0, 1)"));
        Assert.Equal(4L, await RunJuryTests.ScalarAsync(db,
            "SELECT COUNT(*) FROM scores s JOIN run_completions l ON l.run_id = s.run_id AND l.request_id = s.request_id WHERE s.run_id = 'own' AND l.benchmark = 'my_hospital_handoff' AND s.metric = 'my_hospital_handoff_accuracy' AND s.is_main = 1 AND s.value BETWEEN 0 AND 1"));
        // beside the jury's score, each answer's ROUGE-1/2/L against its reference, as secondary scores
        Assert.Equal(12L, await RunJuryTests.ScalarAsync(db,
            "SELECT COUNT(*) FROM scores s JOIN run_completions l ON l.run_id = s.run_id AND l.request_id = s.request_id WHERE s.run_id = 'own' AND l.benchmark = 'my_hospital_handoff' AND s.metric IN ('rouge_1', 'rouge_2', 'rouge_l') AND s.is_main = 0 AND s.value BETWEEN 0 AND 1"));
        Assert.Equal(4L, await RunJuryTests.ScalarAsync(db,
            "SELECT COUNT(*) FROM scores s JOIN run_completions l ON l.run_id = s.run_id AND l.request_id = s.request_id WHERE s.run_id = 'own' AND l.benchmark = 'my_hospital_handoff' AND s.is_main = 1"));
        Assert.Equal(0L, await RunJuryTests.ScalarAsync(db, "SELECT COUNT(*) FROM jury_ratings WHERE run_id = 'own' AND rating IS NULL"));

        // the stored definition is part of the import: the run records the dataset hash, and a resume finds it again
        var again = await CliProcess.RunAsync(["run", "--run-id", "own", "--resume"], home.Folder);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("nothing new computed", again.StdOut, StringComparison.Ordinal);
    }
}
