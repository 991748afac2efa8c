using System.Text.Json;
using MedHelm.Cli.Tests.Support;
using MedHelm.Gguf.TestModels;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace MedHelm.Cli.Tests;

[Trait("Category", TestCategories.Slow)]
public sealed class RunResumeTests(ITestOutputHelper output)
{
    private const int RequiredKills = 10;

    /// <summary>The closed benchmarks with bundled excerpts (75 test instances: HEAD-QA's 5 train ones are not evaluated), named so that new excerpts do not change the work.</summary>
    private const string Benchmarks = "head_qa,medbullets,pubmed_qa,race_based_med,medhallu";

    /// <summary>
    /// The acceptance test of durable runs: the run process is SIGKILLed at random moments at least 10 times and
    /// resumed each time; the end state has every result exactly once and equals an uninterrupted run.
    /// </summary>
    [Fact]
    public async Task A_run_killed_ten_times_resumes_to_the_same_results_as_an_uninterrupted_run()
    {
        // Each answer must not depend on which other requests shared its batch, which the kills and resumes change. With
        // the CPU library built without llamafile that holds at the default settings (8 sequences, prefix reuse,
        // Determinism BatchInvariant); with the prebuilt libraries only for one sequence without prefix reuse, computed
        // alone from an empty KV cache (docs/engine.md, "Determinism").
        object models = InvariantRuntime.Missing() is null
            ? new { InvariantRuntime.Inference, Models = new Dictionary<string, object> { ["m"] = new { File = "m.gguf", ContextPerSequence = 2048 } } }
            : new { Models = new Dictionary<string, object> { ["m"] = new { File = "m.gguf", Sequences = 1, ContextPerSequence = 2048, PrefixReuse = false } } };
        using var home = new TempHome(models);
        using var reference = new TempHome(models);
        var model = home.PathOf("m.gguf");
        // Big enough that the 75 instances take several seconds on 2 cores.
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 2, Embd = 256, Seed = 7 }, model);
        File.Copy(model, reference.PathOf("m.gguf"));
        string[] settings = ["run", "--samples", "--benchmarks", Benchmarks, "--models", "m"];

        var seed = Environment.TickCount;
        output.WriteLine($"random seed {seed}");
        var random = new Random(seed);
        var kills = 0;
        var db = home.PathOf("data", "medhelm.db");
        var stored = new List<long>();
        // under load (other test projects run beside this one) the first results can take longer than the kill
        // window: when an attempt committed nothing new, the next one waits longer before killing
        var window = 450;
        for (var attempt = 1; kills < RequiredKills; attempt++)
        {
            Assert.True(attempt <= 3 * RequiredKills, $"only {kills} kills landed in {attempt - 1} attempts");
            using var cli = RunningCli.Start(attempt == 1 ? [.. settings, "--run-id", "killed"] : ["run", "--run-id", "killed", "--resume"], home.Folder);
            var computing = cli.WaitForLineAsync(l => l.Contains(" × ", StringComparison.Ordinal) && l.EndsWith(" instances", StringComparison.Ordinal));
            if (await Task.WhenAny(computing, cli.Process.WaitForExitAsync()) == computing && computing.IsCompletedSuccessfully)
            {
                await Task.Delay(random.Next(window / 9, window));
                try
                {
                    cli.Kill();
                    kills++;
                }
                catch (InvalidOperationException)
                {
                    // exited on its own just before the kill
                }
            }

            var result = await cli.WaitAsync();
            Assert.False(result.ExitCode == 0 && kills < RequiredKills, $"the run finished after only {kills} kills; it needs more work per attempt.\n{result}");
            Assert.True(result.ExitCode is 0 or 137 or -1, result.ToString()); // 137/-1: killed
            stored.Add(File.Exists(db) ? await ScalarAsync(db, "SELECT COUNT(*) FROM run_completions WHERE run_id = 'killed'") : 0);
            output.WriteLine($"attempt {attempt}: exit {result.ExitCode}, {stored[^1]} results stored (kill window {window} ms)");
            // adapt the kill window to the machine: longer when an attempt committed nothing new, shorter when one
            // attempt took more than its share of the 75 instances (ten kills must land before the run can finish)
            var gained = stored[^1] - (stored.Count > 1 ? stored[^2] : 0);
            if (gained == 0)
            {
                window = Math.Min(window * 2, (int)TestTimeouts.Scale(TimeSpan.FromMilliseconds(8000)).TotalMilliseconds);
            }
            else if (gained > 75 / (2 * RequiredKills))
            {
                window = Math.Max(100, window / 2);
            }
        }

        // the kills landed while results were being computed, and what was committed stayed committed
        Assert.True(stored.Count(n => n is > 0 and < 75) >= RequiredKills / 2, string.Join(", ", stored));
        Assert.True(stored.SequenceEqual(stored.Order()), "committed results never go away: " + string.Join(", ", stored));

        var final = await CliProcess.RunAsync(["run", "--run-id", "killed", "--resume"], home.Folder);
        Assert.True(final.ExitCode == 0, final.ToString());
        var uninterrupted = await CliProcess.RunAsync([.. settings, "--run-id", "reference"], reference.Folder);
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.ToString());
        Assert.Contains("75 computed, 0 reused", uninterrupted.StdOut, StringComparison.Ordinal);

        // zero lost, zero duplicated: one link, one completion, one score per instance
        Assert.Equal(75L, await ScalarAsync(db, "SELECT COUNT(*) FROM run_completions WHERE run_id = 'killed'"));
        Assert.Equal(75L, await ScalarAsync(db, "SELECT COUNT(DISTINCT model || '|' || benchmark || '|' || instance_id) FROM run_completions WHERE run_id = 'killed'"));
        Assert.Equal(75L, await ScalarAsync(db, "SELECT COUNT(*) FROM completions"));
        Assert.Equal(75L, await ScalarAsync(db, "SELECT COUNT(*) FROM scores WHERE run_id = 'killed'"));
        Assert.Equal(75L, await ScalarAsync(db, "SELECT COUNT(*) FROM run_completions WHERE run_id = 'killed' AND origin = 'computed'"));
        Assert.True(await ScalarAsync(db, "SELECT COUNT(*) FROM audit WHERE run_id = 'killed' AND event = 'run_resumed'") >= RequiredKills);

        // the final report equals the uninterrupted run's (timings aside)
        using var killedJson = JsonDocument.Parse((await ShowAsync(home, "killed")).StdOut);
        using var referenceJson = JsonDocument.Parse((await ShowAsync(reference, "reference")).StdOut);
        var killedResults = Results(killedJson);
        Assert.Equal(75, killedResults.Count);
        SameItems(Results(referenceJson), killedResults, "per-instance results");
        SameItems(Leaderboard(referenceJson), Leaderboard(killedJson), "leaderboard");
        Assert.Equal("completed", killedJson.RootElement.GetProperty("run").GetProperty("status").GetString());

        // re-running the finished run computes nothing, and a new run with the same settings reuses everything
        var again = await CliProcess.RunAsync(["run", "--run-id", "killed", "--resume"], home.Folder);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("nothing new computed, all 75 results reused", again.StdOut, StringComparison.Ordinal);
        var fresh = await CliProcess.RunAsync([.. settings, "--run-id", "same-settings"], home.Folder);
        Assert.True(fresh.ExitCode == 0, fresh.ToString());
        Assert.Contains("nothing new computed, all 75 results reused", fresh.StdOut, StringComparison.Ordinal);
        Assert.Equal(75L, await ScalarAsync(db, "SELECT COUNT(*) FROM completions"));
        using var freshJson = JsonDocument.Parse((await ShowAsync(home, "same-settings")).StdOut);
        Assert.Equal(killedResults, Results(freshJson));
        Assert.Equal(75, freshJson.RootElement.GetProperty("counts").GetProperty("reused").GetInt32());
    }

    [Fact]
    public async Task Ctrl_c_stops_cleanly_says_how_to_resume_and_the_resume_finishes_the_run()
    {
        using var home = new TempHome();
        var model = home.PathOf("m.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 2, Embd = 256, Seed = 9 }, model);

        using var cli = RunningCli.Start(["run", "--samples", "--benchmarks", Benchmarks, "--models", model, "--run-id", "interrupted", "--max-instances", "10"], home.Folder);
        await cli.WaitForLineAsync(l => l.Contains(" × ", StringComparison.Ordinal) && l.EndsWith(" instances", StringComparison.Ordinal));
        await Task.Delay(300);
        cli.Interrupt();
        var stopped = await cli.WaitAsync();
        Assert.True(stopped.ExitCode == 130, stopped.ToString());
        Assert.Contains("Resume with: medhelm run --run-id interrupted --resume", stopped.StdErr, StringComparison.Ordinal);

        var db = home.PathOf("data", "medhelm.db");
        Assert.Equal(1L, await ScalarAsync(db, "SELECT COUNT(*) FROM runs WHERE run_id = 'interrupted' AND status = 'Cancelled'"));
        var before = await ScalarAsync(db, "SELECT COUNT(*) FROM run_completions WHERE run_id = 'interrupted'");
        Assert.InRange(before, 0, 48);

        var resumed = await CliProcess.RunAsync(["run", "--run-id", "interrupted", "--resume"], home.Folder);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains($"{49 - before} computed, {before} reused", resumed.StdOut, StringComparison.Ordinal);
        Assert.Equal(49L, await ScalarAsync(db, "SELECT COUNT(*) FROM run_completions WHERE run_id = 'interrupted'")); // 10 each, HEAD-QA's sample has 9 test instances

        // runs list and the human-readable show
        var list = await CliProcess.RunAsync(["runs", "list"], home.Folder);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("interrupted", list.StdOut, StringComparison.Ordinal);
        var show = await CliProcess.RunAsync(["runs", "show", "interrupted"], home.Folder);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("data      pubmed_qa: sha256 ", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("results   49 (", show.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_run_arguments_are_one_line_errors()
    {
        using var home = new TempHome();
        var model = home.PathOf("m.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64 }, model);

        var noModels = await CliProcess.RunAsync(["run", "--suite", "demo"], home.Folder);
        Assert.Equal(1, noModels.ExitCode);
        Assert.Contains("--models is required", noModels.StdErr, StringComparison.Ordinal);

        var both = await CliProcess.RunAsync(["run", "--suite", "demo", "--benchmarks", "pubmed_qa", "--models", model], home.Folder);
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("either --benchmarks", both.StdErr, StringComparison.Ordinal);

        var unknown = await CliProcess.RunAsync(["run", "--run-id", "nope", "--resume"], home.Folder);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no run 'nope'", unknown.StdErr, StringComparison.Ordinal);

        var missingJudge = await CliProcess.RunAsync(["run", "--samples", "--benchmarks", "pubmed_qa,aci_bench", "--models", model, "--run-id", "zero", "--jury", "a,b,c"], home.Folder);
        Assert.Equal(1, missingJudge.ExitCode);
        Assert.Contains("'a' is not a model name", missingJudge.StdErr, StringComparison.Ordinal);

        var first = await CliProcess.RunAsync(["run", "--samples", "--benchmarks", "pubmed_qa,aci_bench", "--models", model, "--run-id", "one", "--max-instances", "3"], home.Folder);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("3 computed, 0 reused", first.StdOut, StringComparison.Ordinal);
        Assert.Contains("skipped  aci_bench: open-ended answers are scored by the LLM jury: add --jury", first.StdOut, StringComparison.Ordinal);

        var again = await CliProcess.RunAsync(["run", "--samples", "--benchmarks", "pubmed_qa", "--models", model, "--run-id", "one"], home.Folder);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already exists; add --resume", again.StdErr, StringComparison.Ordinal);

        var changed = await CliProcess.RunAsync(["run", "--run-id", "one", "--resume", "--max-instances", "5"], home.Folder);
        Assert.Equal(1, changed.ExitCode);
        Assert.Contains("--max-instances (stored: 3)", changed.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_suite_without_a_jury_runs_every_closed_benchmark_and_lists_the_open_ended_ones_as_skipped()
    {
        using var home = new TempHome();
        var model = home.PathOf("tiny.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64 }, model);
        var result = await CliProcess.RunAsync(["run", "--suite", "demo", "--models", model, "--max-instances", "2", "--run-id", "demo"], home.Folder);
        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var benchmark in Benchmarks.Split(','))
        {
            Assert.Contains(result.StdOut.Split('\n'), l => l.StartsWith("tiny ", StringComparison.Ordinal) && l.Contains($" {benchmark} ", StringComparison.Ordinal));
        }

        Assert.Contains("skipped  aci_bench: open-ended answers are scored by the LLM jury", result.StdOut, StringComparison.Ordinal);
        // without a jury exactly the 13 open-ended benchmarks are skipped; every closed one is scored
        Assert.Equal(13, result.StdOut.Split('\n').Count(l => l.StartsWith("skipped  ", StringComparison.Ordinal) && l.Contains("LLM jury", StringComparison.Ordinal)));
        Assert.Equal(13, result.StdOut.Split('\n').Count(l => l.StartsWith("skipped  ", StringComparison.Ordinal)));
        // the leaderboard: one row per closed benchmark (the sub-run breakdown follows it)
        var leaderboard = result.StdOut.Split("Sub-runs:")[0];
        Assert.Equal(24, leaderboard.Split('\n').Count(l => l.StartsWith("tiny ", StringComparison.Ordinal)));
        Assert.Contains("† synthetic stand-in", leaderboard, StringComparison.Ordinal);
        Assert.Contains("run demo completed: ", result.StdOut, StringComparison.Ordinal);

        using var show = JsonDocument.Parse((await ShowAsync(home, "demo")).StdOut);
        var configuration = show.RootElement.GetProperty("configuration");
        var stored = configuration.GetProperty("models")[0];
        Assert.Equal(64, stored.GetProperty("sha256").GetString()!.Length);
        Assert.Equal("llama", stored.GetProperty("architecture").GetString());
        Assert.All(configuration.GetProperty("benchmarks").EnumerateArray(), b => Assert.Equal(64, b.GetProperty("dataset_sha256").GetString()!.Length));
        Assert.Equal("none", show.RootElement.GetProperty("run").GetProperty("gpu").GetString());
        Assert.False(string.IsNullOrEmpty(show.RootElement.GetProperty("run").GetProperty("llama_cpp_version").GetString()));
        Assert.Contains(show.RootElement.GetProperty("audit").EnumerateArray(), a => a.GetProperty("event").GetString() == "run_completed");
    }

    private static void SameItems(IReadOnlyList<string> expected, IReadOnlyList<string> actual, string what)
    {
        var missing = expected.Except(actual).ToArray();
        var extra = actual.Except(expected).ToArray();
        Assert.True(missing.Length == 0 && extra.Length == 0 && expected.Count == actual.Count,
            $"{what} differ: {expected.Count} expected, {actual.Count} actual\nonly in the uninterrupted run:\n{string.Join("\n", missing)}\nonly in the resumed run:\n{string.Join("\n", extra)}");
        Assert.Equal(expected, actual);
    }

    private static Task<CliResult> ShowAsync(TempHome home, string runId) => CliProcess.RunAsync(["runs", "show", runId, "--json"], home.Folder);

    private static List<string> Results(JsonDocument show) =>
        show.RootElement.GetProperty("results").EnumerateArray()
            .Select(r => string.Join("|",
                r.GetProperty("model").GetString(), r.GetProperty("benchmark").GetString(), r.GetProperty("instance_id").GetString(),
                r.GetProperty("request_key").GetString(), r.GetProperty("metric").GetString(), r.GetProperty("score").GetDouble(),
                r.GetProperty("output_sha256").GetString(), r.GetProperty("prompt_tokens").GetRawText(), r.GetProperty("completion_tokens").GetRawText()))
            .ToList();

    private static List<string> Leaderboard(JsonDocument show) =>
        show.RootElement.GetProperty("leaderboard").EnumerateArray()
            .Select(r => string.Join("|",
                r.GetProperty("model").GetString(), r.GetProperty("benchmark").GetString(), r.GetProperty("score").GetDouble(),
                r.GetProperty("instances").GetInt32(), r.GetProperty("prompt_tokens").GetRawText(), r.GetProperty("completion_tokens").GetRawText()))
            .ToList();

    private static async Task<long> ScalarAsync(string db, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
