using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using MedHelm.Cli.Tests.Support;
using MedHelm.Gguf.TestModels;
using Microsoft.Data.Sqlite;

namespace MedHelm.Cli.Tests;

/// <summary>
/// <c>medhelm run</c> scores MedCalc-Bench, MedEC, EHRSQL and MIMIC-IV billing codes with their own metrics (on the
/// bundled excerpts, with a generated model): none is skipped, every instance has its main score in [0, 1], and
/// EHRSQL runs against the synthetic eICU database the run generates once into the data folder and records.
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class RunMetricsTests
{
    private static readonly string[] Benchmarks = ["medcalc_bench", "medec", "ehr_sql", "mimiciv_billing_code"];

    private static readonly Dictionary<string, string> MainMetric = new(StringComparer.Ordinal)
    {
        ["medcalc_bench"] = "medcalc_bench_accuracy",
        ["medec"] = "medec_error_flag_accuracy",
        ["ehr_sql"] = "ehr_sql_execution_accuracy",
        ["mimiciv_billing_code"] = "mimiciv_billing_code_f1",
    };

    [Fact]
    public async Task The_numeric_medec_ehrsql_and_billing_benchmarks_are_scored_and_none_is_skipped()
    {
        using var home = new TempHome(new
        {
            Models = new Dictionary<string, object> { ["tiny"] = new { File = "tiny.gguf", Sequences = 3, ContextPerSequence = 8192 } },
        });
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64 }, home.PathOf("tiny.gguf"));

        var result = await CliProcess.RunAsync(
            ["run", "--samples", "--benchmarks", string.Join(',', Benchmarks), "--models", "tiny", "--max-instances", "3", "--jury", "none", "--run-id", "scored"], home.Folder);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("skipped", result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("skipped", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("ehr_sql: generating the synthetic eICU database", result.StdErr, StringComparison.Ordinal);

        var db = home.PathOf("data", "medhelm.db");
        foreach (var benchmark in Benchmarks)
        {
            Assert.Equal(3L, await ScalarAsync(db, $"SELECT COUNT(*) FROM run_completions WHERE run_id = 'scored' AND benchmark = '{benchmark}'"));
            Assert.Equal(3L, await ScalarAsync(db,
                $"SELECT COUNT(*) FROM scores s JOIN run_completions l ON l.run_id = s.run_id AND l.request_id = s.request_id WHERE s.run_id = 'scored' AND l.benchmark = '{benchmark}' AND s.metric = '{MainMetric[benchmark]}' AND s.value BETWEEN 0 AND 1"));
            Assert.Contains(result.StdOut.Split('\n'), l => l.StartsWith("tiny ", StringComparison.Ordinal) && l.Contains($" {benchmark} ", StringComparison.Ordinal));
            Assert.Equal(0L, await ScalarAsync(db,
                $"SELECT COUNT(*) FROM scores s JOIN run_completions l ON l.run_id = s.run_id AND l.request_id = s.request_id WHERE s.run_id = 'scored' AND l.benchmark = '{benchmark}' AND s.metric = '{MainMetric[benchmark]}' AND s.is_main = 0"));
        }

        // secondary statistics are stored beside the main score (and kept out of the leaderboard)
        Assert.Equal(3L, await ScalarAsync(db, "SELECT COUNT(*) FROM scores WHERE run_id = 'scored' AND metric = 'medec_error_sentence_accuracy' AND is_main = 0"));
        Assert.True(await ScalarAsync(db,
            "SELECT COUNT(*) FROM scores s JOIN run_completions l ON l.run_id = s.run_id AND l.request_id = s.request_id WHERE s.run_id = 'scored' AND l.benchmark = 'ehr_sql' AND s.is_main = 0") >= 3);

        var show = await CliProcess.RunAsync(["runs", "show", "scored", "--json"], home.Folder);
        Assert.True(show.ExitCode == 0, show.ToString());
        using var document = JsonDocument.Parse(show.StdOut);
        var rows = document.RootElement.GetProperty("leaderboard").EnumerateArray().ToArray();
        Assert.Equal(Benchmarks.Order(StringComparer.Ordinal), rows.Select(r => r.GetProperty("benchmark").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(rows, r =>
        {
            Assert.Equal(3, r.GetProperty("instances").GetInt32());
            Assert.InRange(r.GetProperty("score").GetDouble(), 0, 1);
        });
        var results = document.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(12, results.Length);
        Assert.All(results, r => Assert.Equal(MainMetric[r.GetProperty("benchmark").GetString()!], r.GetProperty("metric").GetString()));
        Assert.All(results.Where(r => r.GetProperty("benchmark").GetString() == "medec"),
            r => Assert.InRange(r.GetProperty("secondary").GetProperty("medec_error_sentence_accuracy").GetDouble(), 0, 1));

        // the EHRSQL database: generated into the data folder, its path and SHA-256 recorded with the run
        var database = home.PathOf("data", "ehrsql", "eicu-synthetic.sqlite");
        Assert.True(File.Exists(database));
        var recorded = document.RootElement.GetProperty("configuration").GetProperty("ehr_sql_database");
        Assert.Equal(database, recorded.GetProperty("path").GetString());
        Assert.Equal(Sha256(database), recorded.GetProperty("sha256").GetString());
        Assert.StartsWith("synthetic", recorded.GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Equal(10, recorded.GetProperty("query_timeout_seconds").GetDouble());
        Assert.Equal(100_000, recorded.GetProperty("max_rows").GetInt32());

        // a second run reuses the database and the stored outputs, scoring them its own way (helm mode)
        var helm = await CliProcess.RunAsync(
            ["run", "--samples", "--benchmarks", "ehr_sql", "--models", "tiny", "--max-instances", "3", "--jury", "none", "--mode", "helm", "--run-id", "helm"], home.Folder);
        Assert.True(helm.ExitCode == 0, helm.ToString());
        Assert.DoesNotContain("generating the synthetic eICU database", helm.StdErr, StringComparison.Ordinal);
        Assert.Contains("run helm completed: nothing new computed, all 3 results reused from the database", helm.StdOut, StringComparison.Ordinal);
        Assert.Equal(3L, await ScalarAsync(db,
            "SELECT COUNT(*) FROM scores WHERE run_id = 'helm' AND metric = 'ehr_sql_execution_accuracy' AND value BETWEEN 0 AND 1"));
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static async Task<long> ScalarAsync(string db, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
