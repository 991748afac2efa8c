using System.Globalization;
using System.Text.Json;
using MedHelm.Cli.Tests.Support;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Running;
using MedHelm.Gguf.TestModels;
using Microsoft.Data.Sqlite;

namespace MedHelm.Cli.Tests;

/// <summary>
/// <c>medhelm run --jury</c> on every open-ended benchmark's bundled sample: a generated model writes the answers,
/// three generated judges (different seeds) rate them one after another under the verdict grammar, and the jury
/// score becomes each benchmark's score. Random weights give nonsense explanations, but every verdict must parse
/// with scores 1-5, every rating must be stored and the run's report must show the jury's breakdowns.
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class RunJuryTests
{
    private static readonly string[] OpenBenchmarks = BuiltInBenchmarks.All.Where(EvaluationRunner.NeedsJury).Select(b => b.Name).ToArray();

    [Fact]
    public async Task Three_local_judges_rate_the_sample_of_every_open_ended_benchmark_and_every_rating_is_stored()
    {
        Assert.Equal(13, OpenBenchmarks.Length);
        // one thread per engine: the model and each judge run alone, one after another
        var judge = new { Sequences = 4, ContextPerSequence = 12288 };
        using var home = new TempHome(new
        {
            Inference = new { Backend = "cpu", RuntimeRoot = Path.Combine(CliProcess.RepositoryRoot, "runtimes", "llama"), Threads = 1 },
            Models = new Dictionary<string, object>
            {
                ["tiny"] = new { File = "tiny.gguf", Sequences = 4, ContextPerSequence = 8192 },
                ["j1"] = new { File = "j1.gguf", judge.Sequences, judge.ContextPerSequence },
                ["j2"] = new { File = "j2.gguf", judge.Sequences, judge.ContextPerSequence },
                ["j3"] = new { File = "j3.gguf", judge.Sequences, judge.ContextPerSequence },
            },
            Jury = new { Judges = new[] { "j1", "j2", "j3" }, MaxExplanationChars = 60 },
        });
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = 5 }, home.PathOf("tiny.gguf"));
        var seeds = new[] { 101, 202, 303 };
        for (var i = 0; i < 3; i++)
        {
            TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = seeds[i] }, home.PathOf($"j{i + 1}.gguf"));
        }

        // no --jury: the judges come from Jury:Judges
        string[] arguments = ["run", "--samples", "--benchmarks", string.Join(',', OpenBenchmarks), "--models", "tiny", "--run-id", "juried"];
        var result = await CliProcess.RunAsync(arguments, home.Folder, timeoutSeconds: 900);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("skipped", result.StdOut, StringComparison.Ordinal);
        var db = home.PathOf("data", "medhelm.db");
        foreach (var benchmark in OpenBenchmarks)
        {
            var outputs = await ScalarAsync(db, $"SELECT COUNT(*) FROM run_completions WHERE run_id = 'juried' AND benchmark = '{benchmark}'");
            var nonEmpty = await ScalarAsync(db,
                $"SELECT COUNT(*) FROM run_completions l JOIN completions c ON c.request_id = l.request_id WHERE l.run_id = 'juried' AND l.benchmark = '{benchmark}' AND trim(c.output, ' ' || char(9) || char(10) || char(13)) <> ''");
            Assert.True(outputs >= 5, $"{benchmark}: {outputs} outputs");

            // every non-empty output × 3 judges × 3 criteria is a stored rating 1-5 with an explanation; an empty output asks no judge
            var criteria = await ScalarAsync(db,
                $"SELECT COUNT(*) FROM jury_ratings j JOIN run_completions l ON l.run_id = j.run_id AND l.request_id = j.request_id WHERE j.run_id = 'juried' AND l.benchmark = '{benchmark}' AND j.rating BETWEEN 1 AND 5 AND json_extract(j.verdict_json, '$.explanation') <> ''");
            Assert.True(nonEmpty * 9 == criteria, $"{benchmark}: {nonEmpty} non-empty outputs but {criteria} stored ratings");
            Assert.Equal(outputs, await ScalarAsync(db,
                $"SELECT COUNT(*) FROM scores s JOIN run_completions l ON l.run_id = s.run_id AND l.request_id = s.request_id WHERE s.run_id = 'juried' AND l.benchmark = '{benchmark}' AND s.metric = '{benchmark}_accuracy' AND s.value BETWEEN 0 AND 1"));
            Assert.Contains($"Jury on {benchmark}:", result.StdOut, StringComparison.Ordinal);
        }

        // not one verdict failed to parse, nor any judge call failed
        Assert.Equal(0L, await ScalarAsync(db, "SELECT COUNT(*) FROM jury_ratings WHERE run_id = 'juried' AND (rating IS NULL OR criterion = '(failure)')"));
        Assert.Equal(3L, await ScalarAsync(db, "SELECT COUNT(DISTINCT judge) FROM jury_ratings WHERE run_id = 'juried'"));
        Assert.Contains("judges behind each score: 3 judge(s)", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("inter-judge agreement", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("structure", result.StdOut, StringComparison.Ordinal); // NoteExtract's own criteria

        var show = await CliProcess.RunAsync(["runs", "show", "juried", "--json"], home.Folder);
        Assert.True(show.ExitCode == 0, show.ToString());
        using var document = JsonDocument.Parse(show.StdOut);
        var rows = document.RootElement.GetProperty("leaderboard").EnumerateArray().ToArray();
        Assert.Equal(OpenBenchmarks.Order(StringComparer.Ordinal), rows.Select(r => r.GetProperty("benchmark").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.InRange(r.GetProperty("score").GetDouble(), 0, 1));
        var reports = document.RootElement.GetProperty("jury_reports").EnumerateArray().ToArray();
        Assert.Equal(OpenBenchmarks.Length, reports.Length);
        Assert.All(reports, r =>
        {
            Assert.Equal(0, r.GetProperty("judge_failures").GetInt32());
            Assert.Equal(["j1", "j2", "j3"], r.GetProperty("judges").EnumerateArray().Select(j => j.GetProperty("judge").GetString()!));
            Assert.Equal(3, r.GetProperty("agreement").GetArrayLength());
        });

        // a resume re-rates nothing
        var again = await CliProcess.RunAsync(["run", "--run-id", "juried", "--resume"], home.Folder);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("jury: j1: nothing to rate", again.StdErr, StringComparison.Ordinal);
        Assert.Contains("all", again.StdOut, StringComparison.Ordinal);
        Assert.Equal(await ScalarAsync(db, "SELECT COUNT(*) FROM jury_ratings WHERE run_id = 'juried'"),
            await ScalarAsync(db, "SELECT COUNT(*) FROM jury_ratings WHERE run_id = 'juried' AND created_utc <= (SELECT MIN(at_utc) FROM audit WHERE run_id = 'juried' AND event = 'run_resumed')"));
    }

    internal static async Task<long> ScalarAsync(string db, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
