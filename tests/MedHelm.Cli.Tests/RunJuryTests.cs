using System.Globalization;
using System.Text.Json;
using MedHelm.Cli.Tests.Support;
using MedHelm.Gguf.TestModels;
using Microsoft.Data.Sqlite;

namespace MedHelm.Cli.Tests;

/// <summary>
/// <c>medhelm run --jury</c> on an open-ended benchmark: a generated model writes the answers, three generated judges
/// (different seeds) rate them one after another under the verdict grammar, and the jury score becomes the benchmark's
/// score. Random weights give nonsense explanations, but every verdict must parse with scores 1-5.
/// </summary>
public sealed class RunJuryTests
{
    private const string Benchmark = "medication_qa";

    [Fact]
    public async Task A_run_with_three_local_judges_stores_every_rating_and_scores_the_open_benchmark()
    {
        var judge = new { Sequences = 3, ContextPerSequence = 4096 };
        using var home = new TempHome(new
        {
            // one thread per engine: the judges and the model each get one core
            Inference = new { Backend = "cpu", RuntimeRoot = Path.Combine(CliProcess.RepositoryRoot, "runtimes", "llama"), Threads = 1 },
            Models = new Dictionary<string, object>
            {
                ["tiny"] = new { File = "tiny.gguf", Sequences = 3, ContextPerSequence = 2048 },
                ["j1"] = new { File = "j1.gguf", judge.Sequences, judge.ContextPerSequence },
                ["j2"] = new { File = "j2.gguf", judge.Sequences, judge.ContextPerSequence },
                ["j3"] = new { File = "j3.gguf", judge.Sequences, judge.ContextPerSequence },
            },
        });
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = 5 }, home.PathOf("tiny.gguf"));
        var seeds = new[] { 101, 202, 303 };
        for (var i = 0; i < 3; i++)
        {
            TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = seeds[i] }, home.PathOf($"j{i + 1}.gguf"));
        }

        string[] arguments = ["run", "--benchmarks", Benchmark, "--models", "tiny", "--jury", "j1,j2,j3", "--max-instances", "3", "--run-id", "juried"];
        var result = await CliProcess.RunAsync(arguments, home.Folder);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("skipped  " + Benchmark, result.StdOut, StringComparison.Ordinal);
        var db = home.PathOf("data", "medhelm.db");
        var nonEmpty = await ScalarAsync(db, "SELECT COUNT(*) FROM run_completions l JOIN completions c ON c.request_id = l.request_id WHERE l.run_id = 'juried' AND trim(c.output) <> ''");
        Assert.Equal(3L, await ScalarAsync(db, "SELECT COUNT(*) FROM run_completions WHERE run_id = 'juried'"));
        Assert.Equal(3L, nonEmpty); // otherwise the jury (rightly) asks no judge about an empty output

        // 3 outputs × 3 judges, each with a verdict on 3 criteria, and no failure
        Assert.Equal(0L, await ScalarAsync(db, "SELECT COUNT(*) FROM jury_ratings WHERE run_id = 'juried' AND rating IS NULL"));
        Assert.Equal(9L, await ScalarAsync(db, "SELECT COUNT(DISTINCT request_id || '|' || judge) FROM jury_ratings WHERE run_id = 'juried'"));
        Assert.Equal(27L, await ScalarAsync(db, "SELECT COUNT(*) FROM jury_ratings WHERE run_id = 'juried' AND rating BETWEEN 1 AND 5"));
        Assert.Equal(3L, await ScalarAsync(db, "SELECT COUNT(DISTINCT judge) FROM jury_ratings WHERE run_id = 'juried'"));
        Assert.Equal(27L, await ScalarAsync(db, "SELECT COUNT(*) FROM jury_ratings WHERE run_id = 'juried' AND json_extract(verdict_json, '$.explanation') <> ''"));
        Assert.Equal(3L, await ScalarAsync(db, $"SELECT COUNT(*) FROM scores WHERE run_id = 'juried' AND metric = '{Benchmark}_accuracy' AND value BETWEEN 0 AND 1"));

        var show = await CliProcess.RunAsync(["runs", "show", "juried", "--json"], home.Folder);
        Assert.True(show.ExitCode == 0, show.ToString());
        using var document = JsonDocument.Parse(show.StdOut);
        var row = Assert.Single(document.RootElement.GetProperty("leaderboard").EnumerateArray(), r => r.GetProperty("benchmark").GetString() == Benchmark);
        Assert.Equal("tiny", row.GetProperty("model").GetString());
        Assert.InRange(row.GetProperty("score").GetDouble(), 0, 1);
        var jury = document.RootElement.GetProperty("jury").EnumerateArray().ToArray();
        Assert.Equal(3, jury.Length);
        Assert.All(jury, j =>
        {
            Assert.Equal(3, j.GetProperty("verdicts").GetInt32());
            Assert.Equal(0, j.GetProperty("failures").GetInt32());
        });

        // a resume re-rates nothing
        var again = await CliProcess.RunAsync(["run", "--run-id", "juried", "--resume"], home.Folder);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("jury: j1: nothing to rate", again.StdErr, StringComparison.Ordinal);
        Assert.Equal(27L, await ScalarAsync(db, "SELECT COUNT(*) FROM jury_ratings WHERE run_id = 'juried'"));
    }

    private static async Task<long> ScalarAsync(string db, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
