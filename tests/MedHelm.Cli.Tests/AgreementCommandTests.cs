using System.Globalization;
using System.Text;
using System.Text.Json;
using MedHelm.Cli.Tests.Support;
using MedHelm.Evaluation.Results;
using MedHelm.Gguf.TestModels;
using MedHelm.Storage;
using Microsoft.Data.Sqlite;

namespace MedHelm.Cli.Tests;

/// <summary>
/// <c>medhelm agreement --run RUN_ID</c>: the clinicians' ratings against the jury ratings, outputs and references
/// stored for a finished run; and the errors when the run, the model or the source of the jury ratings is unclear.
/// </summary>
public sealed class AgreementCommandTests
{
    private const string Benchmark = "medication_qa";
    private const string Header = "instance_id,benchmark,rater_id,accuracy,completeness,clarity\n";

    [Fact]
    public async Task The_agreement_command_prints_the_table_and_names_the_line_of_a_bad_value()
    {
        using var folder = new TempFolder("medhelm-agreement-");
        var ratings = folder.File("ratings.csv");
        var jury = folder.File("jury.csv");
        var metrics = folder.File("metrics.csv");
        await File.WriteAllTextAsync(ratings,
            "instance_id,benchmark,rater_id,accuracy,completeness,clarity\n" +
            "i1,aci_bench,r1,5,4,5\ni1,aci_bench,r2,4,4,4\ni2,aci_bench,r1,2,2,3\ni2,aci_bench,r2,2,3,3\n" +
            "i3,aci_bench,r1,4,3,4\ni3,aci_bench,r2,3,3,4\ni4,aci_bench,r1,1,2,1\ni4,aci_bench,r2,2,1,1\n");
        await File.WriteAllTextAsync(jury,
            "instance_id,benchmark,judge,accuracy,completeness,clarity\n" +
            "i1,aci_bench,a,5,5,4\ni2,aci_bench,a,3,3,3\ni3,aci_bench,a,4,4,4\ni4,aci_bench,a,1,1,2\n");
        await File.WriteAllTextAsync(metrics, "instance_id,benchmark,rouge_l,bertscore\ni1,aci_bench,0.5,0.9\ni2,aci_bench,0.2,0.7\ni3,aci_bench,0.4,0.8\n");

        var table = await CliProcess.RunAsync(["agreement", "--ratings", ratings, "--jury", jury, "--metric-scores", metrics]);
        var json = await CliProcess.RunAsync(["agreement", "--ratings", ratings, "--jury", jury, "--json"]);

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("LLM jury", table.StdOut, StringComparison.Ordinal);
        Assert.Contains("Clinician-clinician", table.StdOut, StringComparison.Ordinal);
        Assert.Contains("(r1 vs r2)", table.StdOut, StringComparison.Ordinal);
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Contains("\"comparison\":\"LLM jury\",\"n\":4", json.StdOut, StringComparison.Ordinal);

        await File.AppendAllTextAsync(jury, "i5,aci_bench,a,5,seven,4\n");
        var bad = await CliProcess.RunAsync(["agreement", "--ratings", ratings, "--jury", jury]);

        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("error: jury.csv line 6, column 'completeness': the value is not a number.", bad.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task Agreement_over_a_finished_run_compares_the_clinicians_with_its_jury_rouge_and_bertscore()
    {
        using var home = JuryHome();
        string[] arguments = ["run", "--samples", "--benchmarks", Benchmark, "--models", "tiny", "--jury", "j1,j2,j3", "--max-instances", "4", "--run-id", "agreed"];
        var run = await CliProcess.RunAsync(arguments, home.Folder);
        Assert.True(run.ExitCode == 0, run.ToString());

        var db = home.PathOf("data", "medhelm.db");
        var ids = await ColumnAsync(db, "SELECT instance_id FROM run_completions WHERE run_id = 'agreed' ORDER BY seq");
        Assert.Equal(4, ids.Count);
        // an output the jury rated: at least one judge gave a score on all three criteria
        var juried = await ScalarAsync(db,
            "SELECT COUNT(DISTINCT l.instance_id) FROM jury_ratings j JOIN run_completions l ON l.run_id = j.run_id AND l.request_id = j.request_id " +
            "WHERE j.run_id = 'agreed' AND j.rating IS NOT NULL");
        var failures = await ScalarAsync(db, "SELECT COUNT(*) FROM jury_ratings WHERE run_id = 'agreed' AND rating IS NULL");
        var verdicts = await ScalarAsync(db, "SELECT COUNT(DISTINCT request_id || '|' || judge) FROM jury_ratings WHERE run_id = 'agreed' AND rating IS NOT NULL");
        Assert.True(juried >= 2, $"the jury rated only {juried} output(s)");

        // two clinicians rate all four outputs (with some spread), and one rating is of an output the run does not hold
        double[][] r1 = [[5, 4, 5], [2, 2, 3], [4, 3, 4], [1, 2, 1]];
        double[][] r2 = [[4, 4, 4], [2, 3, 3], [3, 3, 4], [2, 1, 1]];
        var ratings = new StringBuilder(Header);
        for (var i = 0; i < 4; i++)
        {
            ratings.Append(Row(ids[i], "r1", r1[i])).Append(Row(ids[i], "r2", r2[i]));
        }

        ratings.Append(Row("not-in-this-run", "r1", [3, 3, 3]));
        var file = home.PathOf("clinicians.csv");
        await File.WriteAllTextAsync(file, ratings.ToString());

        var result = await CliProcess.RunAsync(["agreement", "--ratings", file, "--run", "agreed", "--json"], home.Folder);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("1 clinician rating(s) of 1 output(s) that run 'agreed' does not hold", result.StdErr, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(result.StdOut))
        {
            var source = json.RootElement.GetProperty("source");
            Assert.Equal("tiny", source.GetProperty("model").GetString());
            Assert.Equal(9, source.GetProperty("clinician_ratings").GetInt32());
            Assert.Equal(8, source.GetProperty("clinician_ratings_used").GetInt32());
            Assert.Equal(1, source.GetProperty("not_in_run").GetProperty("ratings").GetInt32());
            Assert.Equal(verdicts, source.GetProperty("jury").GetProperty("verdicts_used").GetInt32());
            Assert.Equal(failures, source.GetProperty("jury").GetProperty("skipped_failures").GetInt32());
            Assert.Equal(0, source.GetProperty("jury").GetProperty("skipped_incomplete").GetInt32());
            Assert.Equal(3, source.GetProperty("jury").GetProperty("judges").GetArrayLength());

            var group = Assert.Single(json.RootElement.GetProperty("groups").EnumerateArray());
            Assert.Equal(Benchmark, group.GetProperty("benchmark").GetString());
            Assert.Equal(8, group.GetProperty("clinician_ratings").GetInt32());
            Assert.Equal(2, group.GetProperty("raters").GetInt32());
            var figures = Figures(group);

            var jury = figures["LLM jury"];
            Assert.Equal(juried, jury.GetProperty("n").GetInt32());
            AssertNumbersOrNull(jury);

            var clinicians = figures["Clinician-clinician"];
            Assert.Equal(4, clinicians.GetProperty("n").GetInt32());
            Assert.Equal("r1 vs r2", clinicians.GetProperty("detail").GetString());
            foreach (var name in new[] { "icc3k", "spearman", "weighted_kappa" })
            {
                Assert.True(clinicians.GetProperty(name).ValueKind == JsonValueKind.Number, $"{name}: {clinicians}");
            }

            var rouge = figures["ROUGE-L"];
            Assert.Equal(4, rouge.GetProperty("n").GetInt32());
            AssertNumbersOrNull(rouge);

            var bert = figures["BERTScore-F1"];
            Assert.Equal(0, bert.GetProperty("n").GetInt32());
            Assert.Contains("--embedding-model", bert.GetProperty("detail").GetString(), StringComparison.Ordinal);
            foreach (var name in new[] { "icc3k", "spearman", "weighted_kappa" })
            {
                Assert.Equal(JsonValueKind.Null, bert.GetProperty(name).ValueKind);
            }
        }

        // r2 now shares a single output with r1: too few instances for an ICC or a correlation. BERTScore is computed.
        var bertModel = home.PathOf("bert.gguf");
        var made = await CliProcess.RunAsync(["models", "make-test-model", "--kind", "bert", "--out", bertModel, "--layers", "1", "--embd", "32"], home.Folder);
        Assert.True(made.ExitCode == 0, made.ToString());
        var sparse = new StringBuilder(Header);
        for (var i = 0; i < 4; i++)
        {
            sparse.Append(Row(ids[i], "r1", r1[i]));
        }

        sparse.Append(Row(ids[0], "r2", r2[0]));
        await File.WriteAllTextAsync(file, sparse.ToString());

        var withBert = await CliProcess.RunAsync(["agreement", "--ratings", file, "--run", "agreed", "--embedding-model", bertModel, "--json"], home.Folder);

        Assert.True(withBert.ExitCode == 0, withBert.ToString());
        using (var json = JsonDocument.Parse(withBert.StdOut))
        {
            var figures = Figures(Assert.Single(json.RootElement.GetProperty("groups").EnumerateArray()));
            var clinicians = figures["Clinician-clinician"];
            Assert.Equal(1, clinicians.GetProperty("n").GetInt32());
            Assert.Equal(JsonValueKind.Null, clinicians.GetProperty("icc3k").ValueKind);
            Assert.Equal(JsonValueKind.Null, clinicians.GetProperty("spearman").ValueKind);
            Assert.Equal(juried, figures["LLM jury"].GetProperty("n").GetInt32());
            Assert.Equal(4, figures["ROUGE-L"].GetProperty("n").GetInt32());
            var bert = figures["BERTScore-F1"];
            Assert.Equal(4, bert.GetProperty("n").GetInt32());
            AssertNumbersOrNull(bert);
            Assert.Equal(4, json.RootElement.GetProperty("source").GetProperty("bertscore").GetProperty("instances").GetInt32());
        }

        // the table names the run and the model, and lays the figures out like MedHELM's Table 2
        var table = await CliProcess.RunAsync(["agreement", "--ratings", file, "--run", "agreed"], home.Folder);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("run agreed (completed), model tiny", table.StdOut, StringComparison.Ordinal);
        Assert.Contains("ICC(3,k)", table.StdOut, StringComparison.Ordinal);
        Assert.Contains("BERTScore-F1", table.StdOut, StringComparison.Ordinal);
        Assert.Contains("(not computed: give --embedding-model", table.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "Give exactly one of --run RUN_ID")]
    [InlineData(true, "both were given")]
    public async Task Exactly_one_of_jury_and_run_is_needed(bool both, string message)
    {
        using var home = new TempHome();
        var ratings = await RatingsAsync(home);
        var jury = home.PathOf("jury.csv");
        await File.WriteAllTextAsync(jury, "instance_id,benchmark,judge,accuracy,completeness,clarity\ni1,aci_bench,a,4,4,4\n");

        var result = await CliProcess.RunAsync(both ? ["agreement", "--ratings", ratings, "--jury", jury, "--run", "r"] : ["agreement", "--ratings", ratings], home.Folder);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_embedding_model_needs_a_run()
    {
        using var home = new TempHome();
        var ratings = await RatingsAsync(home);
        var jury = home.PathOf("jury.csv");
        await File.WriteAllTextAsync(jury, "instance_id,benchmark,judge,accuracy,completeness,clarity\ni1,aci_bench,a,4,4,4\n");

        var result = await CliProcess.RunAsync(["agreement", "--ratings", ratings, "--jury", jury, "--embedding-model", "bert.gguf"], home.Folder);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--embedding-model needs --run", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_run_names_the_run_and_the_database()
    {
        using var home = new TempHome();
        var ratings = await RatingsAsync(home);
        var db = home.PathOf("data", "medhelm.db");

        var noDatabase = await CliProcess.RunAsync(["agreement", "--ratings", ratings, "--run", "nope"], home.Folder);

        Assert.Equal(1, noDatabase.ExitCode);
        var line = Assert.Single(noDatabase.ErrorLines);
        Assert.Contains("'nope'", line, StringComparison.Ordinal);
        Assert.Contains(db, line, StringComparison.Ordinal);

        Directory.CreateDirectory(home.PathOf("data"));
        await (await SqliteResultStore.OpenAsync(db)).DisposeAsync();
        var noRun = await CliProcess.RunAsync(["agreement", "--ratings", ratings, "--run", "nope"], home.Folder);

        Assert.Equal(1, noRun.ExitCode);
        line = Assert.Single(noRun.ErrorLines);
        Assert.Contains($"There is no run 'nope' in the results database {db}", line, StringComparison.Ordinal);
        Assert.Contains("medhelm runs list", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_with_several_models_needs_model_and_lists_them()
    {
        using var home = new TempHome();
        var ratings = await RatingsAsync(home);
        Directory.CreateDirectory(home.PathOf("data"));
        await using (var store = await SqliteResultStore.OpenAsync(home.PathOf("data", "medhelm.db")))
        {
            var now = DateTimeOffset.UtcNow;
            await store.SaveRunAsync(new RunRecord(
                "two", now, now, """{"plan":{"benchmarks":[],"models":["alpha","beta"],"jury":[],"mode":"corrected"},"models":[{"name":"alpha"},{"name":"beta"}],"benchmarks":[]}""",
                "test", null, "test machine", RunStatus.Completed));
        }

        var ambiguous = await CliProcess.RunAsync(["agreement", "--ratings", ratings, "--run", "two"], home.Folder);
        var unknown = await CliProcess.RunAsync(["agreement", "--ratings", ratings, "--run", "two", "--model", "gamma"], home.Folder);
        var chosen = await CliProcess.RunAsync(["agreement", "--ratings", ratings, "--run", "two", "--model", "beta"], home.Folder);

        Assert.Equal(1, ambiguous.ExitCode);
        Assert.Contains("Run 'two' has 2 models (alpha, beta); say which one the clinicians rated with --model NAME.", Assert.Single(ambiguous.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("Run 'two' has no model 'gamma'; its model(s): alpha, beta.", Assert.Single(unknown.ErrorLines), StringComparison.Ordinal);
        // the model is accepted; the run holds none of the rated outputs, which is said rather than an empty table
        Assert.Equal(1, chosen.ExitCode);
        Assert.Contains("None of the 2 clinician rating(s) is of an output of model 'beta' in run 'two'", Assert.Single(chosen.ErrorLines), StringComparison.Ordinal);
    }

    private static TempHome JuryHome()
    {
        var judge = new { Sequences = 3, ContextPerSequence = 4096 };
        var home = new TempHome(new
        {
            // one thread per engine, as in RunJuryTests
            Inference = new { Backend = "cpu", RuntimeRoot = Path.Combine(CliProcess.RepositoryRoot, "runtimes", "llama"), Threads = 1 },
            Models = new Dictionary<string, object>
            {
                ["tiny"] = new { File = "tiny.gguf", Sequences = 4, ContextPerSequence = 2048 },
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

        return home;
    }

    private static async Task<string> RatingsAsync(TempHome home)
    {
        var path = home.PathOf("clinicians.csv");
        await File.WriteAllTextAsync(path, Header + "i1,aci_bench,r1,4,4,4\ni1,aci_bench,r2,3,4,4\n");
        return path;
    }

    private static string Row(string instance, string rater, double[] scores) =>
        string.Create(CultureInfo.InvariantCulture, $"{instance},{Benchmark},{rater},{scores[0]},{scores[1]},{scores[2]}\n");

    private static Dictionary<string, JsonElement> Figures(JsonElement group) =>
        group.GetProperty("figures").EnumerateArray().ToDictionary(f => f.GetProperty("comparison").GetString()!, f => f.Clone());

    /// <summary>Each figure is a number, or null where it is undefined (e.g. a constant column has no rank correlation).</summary>
    private static void AssertNumbersOrNull(JsonElement figure)
    {
        foreach (var name in new[] { "icc3k", "spearman", "weighted_kappa" })
        {
            var value = figure.GetProperty(name);
            Assert.True(value.ValueKind is JsonValueKind.Number or JsonValueKind.Null, $"{name}: {figure}");
            if (value.ValueKind == JsonValueKind.Number)
            {
                Assert.True(double.IsFinite(value.GetDouble()), $"{name}: {figure}");
            }
        }

        // with at least two instances the ICC of z-scored columns is defined
        if (figure.GetProperty("n").GetInt32() >= 2)
        {
            Assert.Equal(JsonValueKind.Number, figure.GetProperty("icc3k").ValueKind);
        }
    }

    private static async Task<List<string>> ColumnAsync(string db, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    private static async Task<int> ScalarAsync(string db, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
