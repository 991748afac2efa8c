using System.Security.Cryptography;
using System.Text.Json;
using MedHelm.Cli.Tests.Support;
using MedHelm.Gguf.TestModels;
using Microsoft.Data.Sqlite;

namespace MedHelm.Cli.Tests;

/// <summary>
/// <c>medhelm run --bertscore-model</c>: after the jury, a generated BERT model scores every open-ended answer with a
/// reference; each F1 is stored once as a secondary score (off the leaderboard), the model's file and SHA-256 are in
/// the run's configuration, a resume computes only what is missing, and a bad model stops the run before anything is written.
/// </summary>
public sealed class RunBertScoreTests
{
    private const string Scores = "SELECT COUNT(*) FROM scores WHERE run_id = 'bs' AND metric = 'bertscore_f1'";

    private static TempHome Home()
    {
        var home = new TempHome(new
        {
            Models = new Dictionary<string, object>
            {
                ["tiny"] = new { File = "tiny.gguf", Sequences = 2, ContextPerSequence = 4096 },
                ["local-judge"] = new { File = "judge.gguf", Sequences = 2, ContextPerSequence = 8192 },
                ["bert"] = new { File = "bert.gguf" },
            },
        });
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = 5 }, home.PathOf("tiny.gguf"));
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = 101 }, home.PathOf("judge.gguf"));
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Bert, Layers = 1, Embd = 32 }, home.PathOf("bert.gguf"));
        return home;
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_run_stores_one_secondary_bertscore_per_answer_with_a_reference_and_a_resume_computes_only_the_missing_ones()
    {
        using var home = Home();

        var result = await CliProcess.RunAsync(
            ["run", "--samples", "--benchmarks", "medication_qa", "--models", "tiny", "--jury", "local-judge", "--max-instances", "3", "--run-id", "bs", "--bertscore-model", "bert"],
            home.Folder);

        Assert.True(result.ExitCode == 0, result.ToString());
        var db = home.PathOf("data", "medhelm.db");
        var withReference = await RunJuryTests.ScalarAsync(db,
            "SELECT COUNT(*) FROM run_completions l JOIN requests q ON q.id = l.request_id WHERE l.run_id = 'bs' AND trim(COALESCE(q.gold, '')) <> ''");
        Assert.Equal(3L, withReference);
        Assert.Contains("bertscore (bert, GGUF final layer): scoring 3 answer(s)", result.StdErr, StringComparison.Ordinal);

        // one F1 per answer with a reference, secondary only, a cosine-based value; the jury's score stays the only main one
        Assert.Equal(withReference, await RunJuryTests.ScalarAsync(db, Scores + " AND is_main = 0 AND value BETWEEN -1 AND 1"));
        Assert.Equal(withReference, await RunJuryTests.ScalarAsync(db, Scores));
        Assert.Equal(withReference, await RunJuryTests.ScalarAsync(db, "SELECT COUNT(DISTINCT request_id) FROM scores WHERE run_id = 'bs' AND metric = 'bertscore_f1'"));
        Assert.Equal(3L, await RunJuryTests.ScalarAsync(db, "SELECT COUNT(*) FROM scores WHERE run_id = 'bs' AND is_main = 1 AND metric = 'medication_qa_accuracy'"));
        Assert.Equal(3L, await RunJuryTests.ScalarAsync(db, "SELECT COUNT(*) FROM scores WHERE run_id = 'bs' AND is_main = 1"));

        var show = await CliProcess.RunAsync(["runs", "show", "bs", "--json"], home.Folder);
        Assert.True(show.ExitCode == 0, show.ToString());
        using (var document = JsonDocument.Parse(show.StdOut))
        {
            var root = document.RootElement;
            var bert = root.GetProperty("configuration").GetProperty("bertscore_model");
            Assert.Equal(home.PathOf("bert.gguf"), bert.GetProperty("file").GetString());
            Assert.Equal(Sha256(home.PathOf("bert.gguf")), bert.GetProperty("sha256").GetString());
            Assert.Equal("bert", bert.GetProperty("architecture").GetString());
            Assert.Equal("bertscore_f1", bert.GetProperty("metric").GetString());
            Assert.Equal("bert", root.GetProperty("configuration").GetProperty("plan").GetProperty("bertscore_model").GetString());

            // the leaderboard is the jury's: one row, the mean of the main scores over the 3 instances
            var leaderboard = Assert.Single(root.GetProperty("leaderboard").EnumerateArray());
            var instances = root.GetProperty("results").EnumerateArray().ToArray();
            Assert.Equal(3, instances.Length);
            Assert.Equal(3, leaderboard.GetProperty("instances").GetInt32());
            Assert.All(instances, r =>
            {
                Assert.Equal("medication_qa_accuracy", r.GetProperty("metric").GetString());
                Assert.Equal(["bertscore_f1", "rouge_1", "rouge_2", "rouge_l"], r.GetProperty("secondary").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            });
            Assert.Equal(instances.Average(r => r.GetProperty("score").GetDouble()), leaderboard.GetProperty("score").GetDouble(), 9);
        }

        var text = await CliProcess.RunAsync(["runs", "show", "bs"], home.Folder);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains($"bertscore bert: {home.PathOf("bert.gguf")} sha256 {Sha256(home.PathOf("bert.gguf"))}", text.StdOut, StringComparison.Ordinal);

        // a resume after one score was lost computes that one only; the others keep their values
        var kept = await ValuesAsync(db, "SELECT request_id, value FROM scores WHERE run_id = 'bs' AND metric = 'bertscore_f1' ORDER BY request_id");
        await ExecuteAsync(db, "DELETE FROM scores WHERE run_id = 'bs' AND metric = 'bertscore_f1' AND request_id = (SELECT MIN(request_id) FROM scores WHERE run_id = 'bs' AND metric = 'bertscore_f1')");
        var resumed = await CliProcess.RunAsync(["run", "--run-id", "bs", "--resume"], home.Folder);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("bertscore (bert, GGUF final layer): scoring 1 answer(s), 2 reused", resumed.StdErr, StringComparison.Ordinal);
        Assert.Equal(kept, await ValuesAsync(db, "SELECT request_id, value FROM scores WHERE run_id = 'bs' AND metric = 'bertscore_f1' ORDER BY request_id"));

        // a resume of the finished run computes none
        var again = await CliProcess.RunAsync(["run", "--run-id", "bs", "--resume"], home.Folder);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("bertscore (bert, GGUF final layer): nothing to compute (3 score(s) of this run reused)", again.StdErr, StringComparison.Ordinal);
        Assert.Equal(withReference, await RunJuryTests.ScalarAsync(db, Scores));

        // a resume with another embedding model is refused, naming the stored one
        var other = await CliProcess.RunAsync(["run", "--run-id", "bs", "--resume", "--bertscore-model", home.PathOf("bert.gguf")], home.Folder);
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("--bertscore-model (stored: bert)", Assert.Single(other.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(withReference, await RunJuryTests.ScalarAsync(db, Scores));
    }

    [Theory]
    [InlineData("missing.gguf", "does not exist")]
    [InlineData("tiny.gguf", "not a BERT-family embedding model")]
    [InlineData("no-such-model", "is not a model name in appsettings.json")]
    public async Task A_bad_bertscore_model_stops_the_run_before_anything_is_written(string argument, string reason)
    {
        using var home = Home();
        var given = argument.EndsWith(".gguf", StringComparison.Ordinal) ? home.PathOf(argument) : argument;

        var result = await CliProcess.RunAsync(
            ["run", "--samples", "--benchmarks", "medication_qa", "--models", "tiny", "--jury", "local-judge", "--max-instances", "3", "--run-id", "bad", "--bertscore-model", given],
            home.Folder);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: --bertscore-model", line, StringComparison.Ordinal);
        Assert.Contains(argument.EndsWith(".gguf", StringComparison.Ordinal) ? given : $"'{argument}'", line, StringComparison.Ordinal);
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.False(File.Exists(home.PathOf("data", "medhelm.db")), "a refused run must not create the results database");
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static async Task<List<(long, double)>> ValuesAsync(string db, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var values = new List<(long, double)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add((reader.GetInt64(0), reader.GetDouble(1)));
        }

        return values;
    }

    private static async Task ExecuteAsync(string db, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
