using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Metrics;
using MedHelm.Evaluation.Running;
using MedHelm.Evaluation.Tests.Support;
using Microsoft.Data.Sqlite;

namespace MedHelm.Evaluation.Tests.Running;

/// <summary>
/// The runner scores MedCalc-Bench, MedEC, MIMIC-IV billing codes and EHRSQL with their own metrics: a scripted
/// model gives known answers and the scores must be those of docs/metrics.md, in both modes.
/// </summary>
public sealed class RunnerMetricsTests
{
    private static readonly BenchmarkDefinition MedCalc = BuiltInBenchmarks.Find("medcalc_bench")!;
    private static readonly BenchmarkDefinition Medec = BuiltInBenchmarks.Find("medec")!;
    private static readonly BenchmarkDefinition Billing = BuiltInBenchmarks.Find("mimiciv_billing_code")!;
    private static readonly BenchmarkDefinition EhrSql = BuiltInBenchmarks.Find("ehr_sql")!;

    /// <summary>An instance whose input field carries the marker the scripted model recognises.</summary>
    private static BenchmarkInstance Instance(BenchmarkDefinition definition, string id, string gold, params (string Key, string Value)[] metadata) =>
        new(id, new Dictionary<string, string> { [definition.InputFields[0].Key] = $"<<{id}>> text" }, $"Question {id}?", [], gold, "test")
        {
            Metadata = metadata.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal),
        };

    private static ScriptedChatClient Answers(IEnumerable<(BenchmarkInstance Instance, string Answer)> items) =>
        ScriptedChatClient.ByPrompt(items.Select(i => ($"<<{i.Instance.Id}>>", i.Answer)).ToArray());

    private static async Task<EvaluationOutcome> RunAsync(
        BenchmarkDefinition definition, (BenchmarkInstance Instance, string Answer)[] items, ScoringMode mode,
        Func<EvaluationRequest, EvaluationRequest>? configure = null, ScriptedChatClient? client = null)
    {
        var request = new EvaluationRequest("run-1", "fake-model", definition, items.Select(i => i.Instance).ToArray(), mode);
        request = configure?.Invoke(request) ?? request;
        return await new EvaluationRunner().ExecuteAsync(request, client ?? Answers(items));
    }

    [Fact]
    public void The_four_benchmarks_are_supported_and_the_others_keep_their_reasons()
    {
        foreach (var definition in new[] { MedCalc, Medec, Billing, EhrSql })
        {
            Assert.Null(EvaluationRunner.UnsupportedReason(definition));
        }

        Assert.Contains("jury", EvaluationRunner.UnsupportedReason(BuiltInBenchmarks.Find("aci_bench")!), StringComparison.Ordinal);
        Assert.Contains("numeric answers (tolerance_match)", EvaluationRunner.UnsupportedReason(MedCalc with { MainMetric = "tolerance_match" }), StringComparison.Ordinal);
        Assert.Contains("code-list answers (code_match)", EvaluationRunner.UnsupportedReason(Billing with { MainMetric = "code_match" }), StringComparison.Ordinal);
        Assert.Contains("not applied", EvaluationRunner.UnsupportedReason(Medec with { MainMetric = "medec_correction_rouge" }), StringComparison.Ordinal);
        Assert.Contains("not applied", EvaluationRunner.UnsupportedReason(EhrSql with { MainMetric = "ehr_sql_exact_match" }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ScoringMode.Helm, new double[] { 0, 1, 0, 0, 1, 0 })]
    [InlineData(ScoringMode.Corrected, new double[] { 1, 1, 1, 0, 1, 1 })]
    public async Task MedCalc_bench_is_scored_by_category_and_limits(ScoringMode mode, double[] expected)
    {
        (BenchmarkInstance, string)[] items =
        [
            (Instance(MedCalc, "lab", "25.238", ("category", "lab"), ("lower_limit", "23.9761"), ("upper_limit", "26.4999")), "25.2 mL/min"),
            (Instance(MedCalc, "risk", "4", ("category", "risk"), ("lower_limit", "4"), ("upper_limit", "4")), "4"),
            (Instance(MedCalc, "risk-float", "4", ("category", "risk"), ("lower_limit", "4"), ("upper_limit", "4")), "4.0"),
            (Instance(MedCalc, "physical", "100", ("category", "physical"), ("lower_limit", "95"), ("upper_limit", "105")), "120"),
            (Instance(MedCalc, "date", "09/23/2014", ("category", "date"), ("lower_limit", "09/23/2014"), ("upper_limit", "09/23/2014")), "09/23/2014"),
            (Instance(MedCalc, "date-iso", "09/23/2014", ("category", "date"), ("lower_limit", "09/23/2014"), ("upper_limit", "09/23/2014")), "2014-09-23"),
        ];
        var client = Answers(items);
        var outcome = await RunAsync(MedCalc, items, mode, client: client);

        Assert.Equal(expected, outcome.Results.Select(r => r.Score!.Value));
        Assert.All(outcome.Results, r => Assert.Equal("medcalc_bench_accuracy", r.Metric));
        Assert.Empty(outcome.ScoringFailures);
        Assert.Equal(expected.Average(), outcome.Aggregate[MedCalcAccuracy.MetricName], 12);

        // the benchmark's own decoding settings
        Assert.All(client.Calls, c =>
        {
            Assert.Equal(MedCalc.MaxTokens, c.Options!.MaxOutputTokens);
            Assert.Equal(MedCalc.StopSequences, c.Options.StopSequences!);
            Assert.Equal(0f, c.Options.Temperature);
        });
    }

    [Theory]
    // Helm: HELM reads the gold id with int() of the whole gold text, so no error note gets sentence accuracy.
    [InlineData(ScoringMode.Helm, new double[] { 1, 0, 1, 0, 1 }, new double[] { 1, 0, 0, 0, 0 })]
    [InlineData(ScoringMode.Corrected, new double[] { 1, 1, 1, 0, 1 }, new double[] { 1, 1, 1, 0, 1 })]
    public async Task Medec_scores_the_error_flag_and_keeps_the_sentence_accuracy(ScoringMode mode, double[] flags, double[] sentences)
    {
        (BenchmarkInstance, string)[] items =
        [
            (Instance(Medec, "c1", "CORRECT"), "CORRECT"),
            (Instance(Medec, "c2", "CORRECT"), "CORRECT."),
            (Instance(Medec, "e1", "5 Patient is given azithromycin."), "Sentence 5: Patient is given azithromycin."),
            (Instance(Medec, "e2", "5 Patient is given azithromycin."), "CORRECT"),
            (Instance(Medec, "e3", "3 The organism is Streptococcus pneumoniae."), "3 The organism is Streptococcus pneumoniae."),
        ];
        var outcome = await RunAsync(Medec, items, mode);

        Assert.Equal(flags, outcome.Results.Select(r => r.Score!.Value));
        Assert.Equal(flags, outcome.InstanceMetrics.Select(m => m[MedecMetrics.FlagAccuracy]));
        Assert.Equal(sentences, outcome.InstanceMetrics.Select(m => m[MedecMetrics.SentenceAccuracy]));
        Assert.Equal(sentences.Average(), outcome.Aggregate[MedecMetrics.SentenceAccuracy], 12);
    }

    [Theory]
    [InlineData(ScoringMode.Helm, new double[] { 2.0 / 3, 1, 0 }, new double[] { 1, 1, 0 }, new double[] { 0.5, 1, 0 })]
    [InlineData(ScoringMode.Corrected, new double[] { 1, 0, 0 }, new double[] { 1, 0, 0 }, new double[] { 1, 0, 0 })]
    public async Task Billing_codes_are_scored_by_F1_with_precision_and_recall(ScoringMode mode, double[] f1, double[] precision, double[] recall)
    {
        (BenchmarkInstance, string)[] items =
        [
            (Instance(Billing, "h1", "E11.65, I10"), "E1165, I10"),
            (Instance(Billing, "h2", "S72.001A, S72.002A"), "S72.009A"),
            (Instance(Billing, "h3", "J189,I10"), "Z00.00"),
        ];
        var outcome = await RunAsync(Billing, items, mode);

        Assert.Equal(f1, outcome.Results.Select(r => r.Score!.Value), new Close());
        Assert.Equal(precision, outcome.InstanceMetrics.Select(m => m[BillingCodeF1.PrecisionName]), new Close());
        Assert.Equal(recall, outcome.InstanceMetrics.Select(m => m[BillingCodeF1.RecallName]), new Close());
        Assert.All(outcome.Results, r => Assert.Equal("mimiciv_billing_code_f1", r.Metric));
    }

    [Theory]
    [InlineData(ScoringMode.Helm, new double[] { 1, 0, 0, 0, 1, 0, 0, 0 }, new[] { "q2", "q4", "q6", "q7", "q8" })]
    [InlineData(ScoringMode.Corrected, new double[] { 1, 1, 0, 0, 1, 1, 1, 0 }, new[] { "q4", "q8" })]
    public async Task Ehr_sql_executes_the_answers_and_bad_sql_scores_0_without_stopping_the_run(ScoringMode mode, double[] expected, string[] failed)
    {
        using var folder = new TempFolder();
        var database = PatientDatabase(folder);
        var impossible = ("is_impossible", "true");
        var answerable = ("is_impossible", "false");
        (BenchmarkInstance, string)[] items =
        [
            (Instance(EhrSql, "q1", "select count(*) from patient", answerable, ("value", """{"table": "patient"}""")), "SELECT COUNT(*) FROM patient"),
            (Instance(EhrSql, "q2", "select uniquepid from patient where age = '60'", answerable),
                "Here is the query:\n```sql\nSELECT uniquepid FROM patient WHERE age = '60';\n```\nIt lists the patient."),
            (Instance(EhrSql, "q3", "select age from patient", answerable), "SELECT uniquepid FROM patient"),
            (Instance(EhrSql, "q4", "select age from patient", answerable), "SELEC age FROM patinet WHERE"),
            (Instance(EhrSql, "q5", "", impossible), ""),
            (Instance(EhrSql, "q6", "", impossible), "<sql></sql>"),
            (Instance(EhrSql, "q7", "select * from patient", answerable), "SELECT * FROM patient; SELECT 1;"),
            (Instance(EhrSql, "q8", "select count(*) from patient", answerable),
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"),
        ];
        var outcome = await RunAsync(EhrSql, items, mode, r => r with
        {
            EhrSqlDatabasePath = database,
            EhrSqlQueryTimeout = TimeSpan.FromMilliseconds(300),
        });

        Assert.Equal(expected, outcome.Results.Select(r => r.Score!.Value));
        Assert.All(outcome.Results, r => Assert.Equal("ehr_sql_execution_accuracy", r.Metric));
        Assert.Equal(failed, outcome.ScoringFailures.Select(f => f.InstanceId));
        Assert.All(outcome.ScoringFailures, f => Assert.StartsWith("the model's SQL did not run", f.Reason, StringComparison.Ordinal));
        Assert.All(failed, id => Assert.Equal(0, outcome.InstanceMetrics[Array.FindIndex(items, i => i.Item1.Id == id)][EhrSqlExecutionAccuracy.QueryValidityName]));

        // the database was opened read-only: nothing the answers did changed it
        Assert.Equal(3L, Scalar(database, "SELECT COUNT(*) FROM patient"));
    }

    [Fact]
    public async Task Ehr_sql_needs_a_database_and_fails_before_calling_the_model()
    {
        (BenchmarkInstance, string)[] items = [(Instance(EhrSql, "q1", "select 1", ("is_impossible", "false")), "SELECT 1")];
        var client = Answers(items);
        await Assert.ThrowsAsync<ArgumentException>(() => RunAsync(EhrSql, items, ScoringMode.Corrected, client: client));
        await Assert.ThrowsAsync<FileNotFoundException>(() => RunAsync(
            EhrSql, items, ScoringMode.Corrected, r => r with { EhrSqlDatabasePath = Path.Combine(Path.GetTempPath(), "medhelm-missing-" + Guid.NewGuid().ToString("N")) }, client));
        Assert.Empty(client.Calls);
    }

    [Fact]
    public async Task A_missing_gold_field_stops_the_benchmark_before_the_model_is_called()
    {
        (BenchmarkInstance, string)[] items = [(Instance(MedCalc, "lab", "25.238", ("category", "lab"), ("upper_limit", "26.4999")), "25.238")];
        var client = Answers(items);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => RunAsync(MedCalc, items, ScoringMode.Corrected, client: client));
        Assert.Contains("medcalc_bench instance lab: field 'lower_limit' is missing", e.Message, StringComparison.Ordinal);
        Assert.Empty(client.Calls);
    }

    [Fact]
    public async Task A_gold_record_the_metric_rejects_scores_0_and_is_reported()
    {
        // corrected mode rejects limits that are not numbers; helm scores such an item 0
        (BenchmarkInstance, string)[] items =
        [
            (Instance(MedCalc, "bad", "25.238", ("category", "lab"), ("lower_limit", "low"), ("upper_limit", "26.4999")), "25.238"),
            (Instance(MedCalc, "good", "4", ("category", "risk"), ("lower_limit", "4"), ("upper_limit", "4")), "4"),
        ];
        var outcome = await RunAsync(MedCalc, items, ScoringMode.Corrected);
        Assert.Equal([0, 1], outcome.Results.Select(r => r.Score!.Value));
        var failure = Assert.Single(outcome.ScoringFailures);
        Assert.Equal(("bad", "the metric rejected the gold record (field 'lower_limit')"), (failure.InstanceId, failure.Reason));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_ledger_gets_the_main_score_and_on_request_the_secondary_ones(bool secondary)
    {
        (BenchmarkInstance, string)[] items =
        [
            (Instance(Billing, "h1", "E11.65, I10"), "E11.65, I10, Z00"),
            (Instance(Billing, "h2", "J189"), "nothing"),
        ];
        var ledger = new InMemoryLedger();
        var outcome = await RunAsync(Billing, items, ScoringMode.Corrected, r => r with
        {
            Ledger = new LedgerContext(ledger, "sha256:model", new string('d', 64)),
            StoreSecondaryMetrics = secondary,
        });

        var entries = ledger.Entries.OrderBy(e => e.Request.InstanceId, StringComparer.Ordinal).ToArray();
        Assert.Equal(2, entries.Length);
        Assert.All(entries, e => Assert.Equal(BillingCodeF1.F1Name, e.Scores[0].Metric));
        Assert.All(entries, e => Assert.Equal(e.Scores.Select((_, i) => i == 0), e.Scores.Select(s => s.IsMain))); // only the first is main
        Assert.Equal([0.8, 0], entries.Select(e => e.Scores[0].Value!.Value), new Close());
        Assert.Equal(outcome.Results.Select(r => r.Score), entries.Select(e => e.Scores[0].Value));
        if (secondary)
        {
            Assert.Equal(
                [BillingCodeF1.F1Name, BillingCodeF1.PrecisionName, BillingCodeF1.RecallName],
                entries[0].Scores.Select(s => s.Metric));
            Assert.Equal([0.8, 2.0 / 3, 1], entries[0].Scores.Select(s => s.Value!.Value), new Close());
        }
        else
        {
            Assert.All(entries, e => Assert.Single(e.Scores));
        }

        // a second run in the other mode reuses the stored outputs and scores them its own way
        var helm = await RunAsync(Billing, items, ScoringMode.Helm, r => r with { RunId = "run-2", Ledger = new LedgerContext(ledger, "sha256:model", new string('d', 64)) }, ScriptedChatClient.Constant("unused"));
        Assert.Equal(2, helm.Reused);
        Assert.Equal([0.8, 0], helm.Results.Select(r => r.Score!.Value), new Close());
    }

    private static string PatientDatabase(TempFolder folder)
    {
        var path = Path.Combine(folder.Path, "eicu.sqlite");
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE patient (uniquepid TEXT, age TEXT);
                INSERT INTO patient VALUES ('002-1', '50'), ('002-2', '60'), ('002-3', '70');
                """;
            command.ExecuteNonQuery();
        }

        return path;
    }

    private static long Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private sealed class Close : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-9;

        public int GetHashCode(double obj) => 0;
    }
}
