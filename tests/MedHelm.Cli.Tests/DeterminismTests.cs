using System.Text.Json;
using MedHelm.Cli.Tests.Support;
using MedHelm.Gguf.TestModels;
using Microsoft.Data.Sqlite;

namespace MedHelm.Cli.Tests;

/// <summary>
/// Issue 20's acceptance: with the default settings (Determinism BatchInvariant) the same evaluation gives byte-identical
/// outputs whatever the number of sequences, with and without prefix reuse, and the jury's verdicts repeat too. A
/// generated 12-layer 768-wide Q8_0 model: its nearly flat logits flip an argmax on a last-bit difference, which the
/// 2-layer models of the other tests are too small to show (docs/engine.md, "Determinism"). Each run has its own home,
/// so no stored completion is reused. The engine runs them on the batch-invariant CPU backend, which it picks by itself
/// for BatchInvariant; they are skipped, with the reason, where that backend is not installed (<see cref="InvariantRuntime"/>).
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class DeterminismTests
{
    private const int Instances = 64;

    private static readonly TestModelSpec Model = new() { Kind = TestModelKind.Llama, Layers = 12, Embd = 768, Quant = TestModelQuant.Q8_0, Seed = 20 };

    private static readonly string[] Words =
        "patient note fever cough pain chest dose daily tablet history allergy blood pressure heart rate normal follow clinic review plan left right acute chronic mild severe stable improved denies reports".Split(' ');

    [SkippableFact]
    public async Task Outputs_are_identical_at_16_16_1_and_4_sequences_with_the_default_settings()
    {
        Skip.If(InvariantRuntime.Missing() is not null, InvariantRuntime.Missing());
        using var folder = new TempFolder("medhelm-determinism-");
        var model = WriteModel(folder);
        var (definition, instances) = WriteLetterBenchmark(folder, sharedPrefix: false);

        var first = await RunAsync(definition, instances, new { File = model, Sequences = 16, ContextPerSequence = 512 });
        Assert.Equal(Instances, first.Count);
        Assert.True(first.Values.Distinct().Count() > 1, "every output is the same: the model is too small to tell anything");
        foreach (var sequences in new[] { 16, 1, 4 })
        {
            var again = await RunAsync(definition, instances, new { File = model, Sequences = sequences, ContextPerSequence = 512 });
            Same(first, again, $"Sequences 16 against Sequences {sequences}");
        }
    }

    [SkippableFact]
    public async Task Outputs_are_identical_with_and_without_prefix_reuse_on_a_shared_prefix_set()
    {
        Skip.If(InvariantRuntime.Missing() is not null, InvariantRuntime.Missing());
        using var folder = new TempFolder("medhelm-determinism-");
        var model = WriteModel(folder);
        var (definition, instances) = WriteLetterBenchmark(folder, sharedPrefix: true);

        // reference: one sequence at a time from an empty cache; then prefix reuse across 16 and 4 sequences
        var alone = await RunAsync(definition, instances, new { File = model, Sequences = 1, ContextPerSequence = 768, PrefixReuse = false });
        var reused16 = await RunAsync(definition, instances, new { File = model, Sequences = 16, ContextPerSequence = 768, PrefixReuse = true });
        Same(alone, reused16, "Sequences 1 without prefix reuse against Sequences 16 with it");
        var reused4 = await RunAsync(definition, instances, new { File = model, Sequences = 4, ContextPerSequence = 768, PrefixReuse = true });
        Same(alone, reused4, "Sequences 1 without prefix reuse against Sequences 4 with it");
    }

    [SkippableFact]
    public async Task Three_judges_give_the_same_verdicts_at_4_and_at_1_sequence()
    {
        Skip.If(InvariantRuntime.Missing() is not null, InvariantRuntime.Missing());
        using var folder = new TempFolder("medhelm-determinism-");
        var answerer = folder.PathOf("answers.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = 5 }, answerer);
        var judges = new[] { 101L, 202L, 303L }.Select(seed =>
        {
            var path = folder.PathOf($"judge-{seed}.gguf");
            TestModelFactory.Write(Model with { Seed = seed }, path);
            return path;
        }).ToArray();
        var definition = folder.PathOf("handoff.json");
        await File.WriteAllTextAsync(definition, """
            {"name": "determinism_handoff", "category": "CNG", "subcategory": "Documenting Patient Visits",
             "access": "private", "instructions": "Write a one-line handoff summary of the note.",
             "fields": [{"key": "note", "label": "Note"}],
             "answer": {"type": "free_text", "jury_criteria": [
                {"name": "accuracy", "question": "Is the summary faithful to the note?"},
                {"name": "brevity", "question": "Is it one short line?"}]},
             "metric": "determinism_handoff_accuracy", "max_tokens": 16}
            """);
        var instances = folder.PathOf("handoff.jsonl");
        await File.WriteAllLinesAsync(instances, Enumerable.Range(1, 6).Select(i => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = $"case-{i}",
            ["fields"] = new Dictionary<string, string> { ["note"] = $"SYNTHETIC. Patient {i}: {Note(i, 24)}." },
            ["reference"] = $"Patient {i}: {Note(i + 100, 8)}.",
        })));

        async Task<List<string>> Verdicts(int sequences)
        {
            var models = new Dictionary<string, object> { ["a"] = new { File = answerer, Sequences = 4, ContextPerSequence = 1024 } };
            for (var j = 0; j < judges.Length; j++)
            {
                models[$"j{j + 1}"] = new { File = judges[j], Sequences = sequences, ContextPerSequence = 2048 };
            }

            using var home = new TempHome(new { InvariantRuntime.Inference, Models = models, Jury = new { Judges = new[] { "j1", "j2", "j3" }, MaxExplanationChars = 60 } });
            await ImportAsync(home, definition, instances);
            var run = await CliProcess.RunAsync(["run", "--benchmarks", "determinism_handoff", "--models", "a", "--run-id", "r"], home.Folder, timeoutSeconds: 900);
            Assert.True(run.ExitCode == 0, run.ToString());
            return await RowsAsync(home.PathOf("data", "medhelm.db"),
                "SELECT j.judge || '|' || q.instance_id || '|' || j.criterion || '|' || coalesce(j.rating, -1) || '|' || j.verdict_json " +
                "FROM jury_ratings j JOIN requests q ON q.id = j.request_id WHERE j.run_id = 'r' ORDER BY 1"); // by instance: row ids follow storage order
        }

        // an empty answer of the 1-layer answerer is scored without the jury, so not every case is judged: each judged
        // case has a verdict of each of the three judges on both criteria, and none failed
        var four = await Verdicts(4);
        Assert.NotEmpty(four);
        Assert.Equal(0, four.Count % (3 * 2));
        Assert.DoesNotContain(four, v => v.Contains("(failure)", StringComparison.Ordinal));
        Assert.Equal(four, await Verdicts(1));
    }

    private static string WriteModel(TempFolder folder)
    {
        var path = folder.PathOf("m-12x768-q8_0.gguf");
        TestModelFactory.Write(Model, path);
        return path;
    }

    /// <summary>64 letter-answer items of about 330 prompt tokens (max_tokens 32); with a shared prefix, the instructions are the same long text.</summary>
    private static (string Definition, string Instances) WriteLetterBenchmark(TempFolder folder, bool sharedPrefix)
    {
        var definition = folder.PathOf("definition.json");
        File.WriteAllText(definition, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["name"] = "determinism_letters",
            ["category"] = "CDS",
            ["subcategory"] = "Supporting Diagnostic Decisions",
            ["access"] = "private",
            ["instructions"] = sharedPrefix ? "Read the guideline, then the note. Guideline: " + Note(0, 150) : "",
            ["fields"] = new[] { new Dictionary<string, string> { ["key"] = "note", ["label"] = "Note" } },
            ["answer"] = new Dictionary<string, string> { ["type"] = "letter" },
            ["metric"] = "exact_match",
            ["max_tokens"] = 32,
        }));
        var instances = folder.PathOf("instances.jsonl");
        File.WriteAllLines(instances, Enumerable.Range(0, Instances).Select(i => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = $"d{i:000}",
            ["fields"] = new Dictionary<string, string> { ["note"] = Note(i + 1, sharedPrefix ? 40 : 180) },
            ["question"] = $"Item {i}: which option fits the note best?",
            ["options"] = new[] { "stable", "worse", "better", "unclear" },
            ["answer"] = "ABCD"[i % 4].ToString(),
        })));
        return (definition, instances);
    }

    private static string Note(int seed, int words)
    {
        var random = new Random(seed);
        return string.Join(' ', Enumerable.Range(0, words).Select(_ => Words[random.Next(Words.Length)]));
    }

    /// <summary>One run in a fresh home: instance id → output_sha256.</summary>
    private static async Task<Dictionary<string, string>> RunAsync(string definition, string instances, object settings)
    {
        using var home = new TempHome(new { InvariantRuntime.Inference, Models = new Dictionary<string, object> { ["m"] = settings } });
        await ImportAsync(home, definition, instances);
        var run = await CliProcess.RunAsync(["run", "--benchmarks", "determinism_letters", "--models", "m", "--jury", "none", "--run-id", "r"], home.Folder, timeoutSeconds: 900);
        Assert.True(run.ExitCode == 0, run.ToString());
        var show = await CliProcess.RunAsync(["runs", "show", "r", "--json"], home.Folder);
        Assert.True(show.ExitCode == 0, show.ToString());
        using var json = JsonDocument.Parse(show.StdOut);
        var configured = json.RootElement.GetProperty("configuration").GetProperty("models")[0].GetProperty("settings").GetProperty("determinism").GetString();
        Assert.StartsWith("BatchInvariant", configured, StringComparison.Ordinal);
        Assert.Contains("batch-invariant CPU kernels (cpu-invariant/libggml-cpu.so)", configured, StringComparison.Ordinal); // chosen by the engine, recorded in the run
        return json.RootElement.GetProperty("results").EnumerateArray()
            .ToDictionary(r => r.GetProperty("instance_id").GetString()!, r => r.GetProperty("output_sha256").GetString()!);
    }

    private static async Task ImportAsync(TempHome home, string definition, string instances)
    {
        var import = await CliProcess.RunAsync(["datasets", "import", "--definition", definition, "--path", instances], home.Folder);
        Assert.True(import.ExitCode == 0, import.ToString());
    }

    private static void Same(Dictionary<string, string> expected, Dictionary<string, string> actual, string what)
    {
        var differ = expected.Where(e => !actual.TryGetValue(e.Key, out var a) || a != e.Value).Select(e => e.Key).ToArray();
        Assert.True(differ.Length == 0 && expected.Count == actual.Count, $"{what}: {differ.Length} of {expected.Count} outputs differ ({string.Join(", ", differ)})");
    }

    private static async Task<List<string>> RowsAsync(string db, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
