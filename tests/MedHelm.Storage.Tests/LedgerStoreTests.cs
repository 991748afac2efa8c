using MedHelm.Application.Ports;
using System.Globalization;
using MedHelm.Evaluation.Ledger;
using MedHelm.Evaluation.Results;
using MedHelm.Storage.Tests.Support;
using Microsoft.Data.Sqlite;

namespace MedHelm.Storage.Tests;

public abstract class LedgerStoreContract(StoreProvider provider) : StoreContract(provider)
{
    private static LedgerEntry Entry(string runId, int i, CompletionOrigin origin = CompletionOrigin.Computed, double score = 1, string output = "A") => new(
        runId,
        new LedgerRequest(
            "key-" + i.ToString(CultureInfo.InvariantCulture), "m1", "sha256:" + new string('c', 64), "pubmed_qa", new string('d', 64),
            "inst-" + i.ToString(CultureInfo.InvariantCulture), new string('t', 64), new string('p', 64), "temperature:1:0\n", 0, 0, "A"),
        new LedgerCompletion(output, i % 2 == 0 ? "thinking" : null, "EndOfGeneration", 100 + i, 1, 0, 32, 0.5, 10, 11, 2, 12.5),
        origin,
        [new MetricScore("exact_match", score)]);

    [Fact]
    public async Task Entries_are_stored_once_and_linked_per_run()
    {
        await using var store = await OpenAsync();
        await store.SaveRunAsync(Samples.Run("run-1", RunStatus.Running));
        await store.SaveRunAsync(Samples.Run("run-2", RunStatus.Running));
        await using (var ledger = store.OpenLedger())
        {
            for (var i = 0; i < 10; i++)
            {
                await ledger.RecordAsync(Entry("run-1", i));
            }

            // a resumed run writes some again; repeats change nothing
            await ledger.RecordAsync(Entry("run-1", 3, CompletionOrigin.Reused, score: 0, output: "B"));
            await ledger.FlushAsync();

            var found = await ledger.FindAsync(["key-1", "key-2", "key-99"]);
            Assert.Equal(["key-1", "key-2"], found.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(new LedgerCompletion("A", "thinking", "EndOfGeneration", 102, 1, 0, 32, 0.5, 10, 11, 2, 12.5), found["key-2"]);

            // another run reuses them
            for (var i = 0; i < 5; i++)
            {
                await ledger.RecordAsync(Entry("run-2", i, CompletionOrigin.Reused));
            }
        }

        Assert.Equal(["10"], await QueryAsync("SELECT COUNT(*) FROM completions"));
        Assert.Equal(["10"], await QueryAsync("SELECT COUNT(*) FROM requests"));
        Assert.Equal(["run-1|computed|10", "run-2|reused|5"], await QueryAsync(
            "SELECT run_id || '|' || origin || '|' || COUNT(*) FROM run_completions GROUP BY run_id, origin ORDER BY run_id"));
        Assert.Equal(["A|1.0"], await QueryAsync(
            $"SELECT c.output || '|' || {Provider.Real("s.value")} FROM requests q JOIN completions c ON c.request_id = q.id JOIN scores s ON s.request_id = q.id WHERE s.run_id = 'run-1' AND q.request_key = 'key-3'"));

        var results = await store.GetRunResultsAsync("run-1", includeOutputs: true);
        Assert.Equal(10, results.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "inst-" + i), results.Select(r => r.InstanceId));
        Assert.All(results, r => Assert.Equal(("m1", "pubmed_qa", "A", 1.0, "computed"), (r.Model, r.Benchmark, r.Output, r.Score, r.Origin)));
        Assert.Equal(12.5, results[0].ElapsedMs, 6);

        var rows = await store.GetRunResultsAsync("run-2");
        Assert.Equal(5, rows.Count);
        Assert.All(rows, r => Assert.Equal("reused", r.Origin));
        Assert.All(rows, r => Assert.Null(r.Output));
        Assert.Equal("A", (await store.GetRunResultsAsync("run-2", includeOutputs: true))[0].Output);

        var runs = await store.ListRunsAsync();
        Assert.Equal([("run-1", 10, 10, 0), ("run-2", 5, 0, 5)], runs.Select(r => (r.RunId, r.Results, r.Computed, r.Reused)).Order());
    }

    [Fact]
    public async Task Secondary_scores_are_never_main_and_the_jury_score_stays_the_one_leaderboards_read()
    {
        await using var store = await OpenAsync();
        await store.SaveRunAsync(Samples.Run("run-1", RunStatus.Running));

        // a closed instance: its main score and a secondary statistic; an open-ended one: ROUGE secondaries only
        var closed = Entry("run-1", 1) with { Scores = [new MetricScore("exact_match", 1), new MetricScore("extra_statistic", 0.5, IsMain: false)] };
        var open = Entry("run-1", 2);
        open = open with
        {
            Request = open.Request with { Benchmark = "medication_qa" },
            Scores = [new MetricScore("rouge_1", 0.5, IsMain: false), new MetricScore("rouge_2", 0.25, IsMain: false), new MetricScore("rouge_l", 0.4, IsMain: false)],
        };
        await using (var ledger = store.OpenLedger())
        {
            await ledger.RecordAsync(closed);
            await ledger.RecordAsync(open);
            await ledger.RecordAsync(open with { Origin = CompletionOrigin.Reused }); // a resume writes it again: nothing changes
        }

        Assert.Equal(["exact_match|1.0|1", "extra_statistic|0.5|0", "rouge_1|0.5|0", "rouge_2|0.25|0", "rouge_l|0.4|0"],
            await QueryAsync($"SELECT metric || '|' || {Provider.Real("value")} || '|' || {Provider.Flag("is_main")} FROM scores WHERE run_id = 'run-1' ORDER BY metric"));

        // before the jury the open-ended instance has no main score: no result, no leaderboard row, nothing in runs show
        Assert.Equal(["pubmed_qa"], (await store.GetLeaderboardAsync("run-1")).Select(r => r.Benchmark));
        Assert.Equal(["inst-1"], (await store.GetRunResultsAsync("run-1")).Select(r => r.InstanceId));

        // the jury's score is the main one, beside the ROUGE rows
        var candidate = Assert.Single(await store.GetJuryCandidatesAsync("run-1", "medication_qa"));
        await store.SaveJuryScoresAsync("run-1", "medication_qa_accuracy", [(candidate.RequestId, 0.75)]);
        await store.SaveJuryScoresAsync("run-1", "medication_qa_accuracy", [(candidate.RequestId, 0.5)]); // replaced, still main
        Assert.Equal(["medication_qa_accuracy|0.5|1", "rouge_1|0.5|0", "rouge_2|0.25|0", "rouge_l|0.4|0"], await QueryAsync(
            $"SELECT metric || '|' || {Provider.Real("value")} || '|' || {Provider.Flag("is_main")} FROM scores WHERE run_id = 'run-1' AND request_id = {candidate.RequestId} ORDER BY metric"));

        Assert.Equal([("medication_qa", 0.5, 1), ("pubmed_qa", 1.0, 1)],
            (await store.GetLeaderboardAsync("run-1")).Select(r => (r.Benchmark, r.Score, r.Instances)).Order());

        var rows = await store.GetRunResultsAsync("run-1"); // ordered by model, benchmark, instance
        Assert.Equal([("inst-2", "medication_qa_accuracy", 0.5), ("inst-1", "exact_match", 1.0)], rows.Select(r => (r.InstanceId, r.Metric, r.Score)));
        Assert.Equal(new Dictionary<string, double> { ["rouge_1"] = 0.5, ["rouge_2"] = 0.25, ["rouge_l"] = 0.4 }, rows[0].Secondary);
        Assert.Equal(new Dictionary<string, double> { ["extra_statistic"] = 0.5 }, rows[1].Secondary);
    }

    [Fact]
    public async Task Saved_secondary_scores_are_added_once_and_never_replace_or_demote_a_main_score()
    {
        await using var store = await OpenAsync();
        await store.SaveRunAsync(Samples.Run("run-1", RunStatus.Running));
        var first = Entry("run-1", 1);
        var second = Entry("run-1", 2);
        await using (var ledger = store.OpenLedger())
        {
            await ledger.RecordAsync(first with { Request = first.Request with { Benchmark = "medication_qa" }, Scores = [new MetricScore("rouge_l", 0.4, IsMain: false)] });
            await ledger.RecordAsync(second with { Request = second.Request with { Benchmark = "medication_qa" }, Scores = [new MetricScore("rouge_l", 0.2, IsMain: false)] });
        }

        var candidates = await store.GetJuryCandidatesAsync("run-1", "medication_qa");
        Assert.Equal(2, candidates.Count);
        var (a, b) = (candidates[0].RequestId, candidates[1].RequestId);
        await store.SaveJuryScoresAsync("run-1", "medication_qa_accuracy", [(a, 0.75), (b, 0.5)]);
        Assert.Empty(await store.GetScoredRequestIdsAsync("run-1", "bertscore_f1"));

        Assert.Equal(1, await store.SaveSecondaryScoresAsync("run-1", "bertscore_f1", [(a, 0.9)]));
        Assert.Equal([a], await store.GetScoredRequestIdsAsync("run-1", "bertscore_f1"));

        // a second save (a resume) adds only the missing row; the stored one keeps its value
        Assert.Equal(1, await store.SaveSecondaryScoresAsync("run-1", "bertscore_f1", [(a, 0.1), (b, 0.8)]));
        Assert.Equal([a, b], (await store.GetScoredRequestIdsAsync("run-1", "bertscore_f1")).Order());

        // a main score under the same name is neither replaced nor demoted
        Assert.Equal(0, await store.SaveSecondaryScoresAsync("run-1", "medication_qa_accuracy", [(a, 0.0)]));
        Assert.Equal(["bertscore_f1|0.8|0", "bertscore_f1|0.9|0", "medication_qa_accuracy|0.5|1", "medication_qa_accuracy|0.75|1", "rouge_l|0.2|0", "rouge_l|0.4|0"],
            await QueryAsync($"SELECT metric || '|' || {Provider.Real("value")} || '|' || {Provider.Flag("is_main")} FROM scores WHERE run_id = 'run-1' ORDER BY metric, value"));
        Assert.Equal([("medication_qa", 0.625, 2)], (await store.GetLeaderboardAsync("run-1")).Select(r => (r.Benchmark, r.Score, r.Instances)));
        var rows = await store.GetRunResultsAsync("run-1");
        Assert.All(rows, r => Assert.Equal(["bertscore_f1", "rouge_l"], r.Secondary.Keys.Order(StringComparer.Ordinal)));
        Assert.Empty(await store.GetScoredRequestIdsAsync("run-2", "bertscore_f1"));
    }

    [Fact]
    public async Task An_entry_with_two_main_scores_is_refused_and_nothing_is_written()
    {
        await using var store = await OpenAsync();
        await store.SaveRunAsync(Samples.Run("run-1", RunStatus.Running));

        var twice = Entry("run-1", 1) with { Scores = [new MetricScore("exact_match", 1), new MetricScore("rouge_l", 0.5)] };
        await Assert.ThrowsAsync<ArgumentException>(() => Provider.WriteEntriesAsync(store, [Entry("run-1", 0), twice]));
        Assert.Equal(["0"], await QueryAsync("SELECT COUNT(*) FROM completions"));
    }

    [Fact]
    public async Task Concurrent_producers_are_committed_in_batches()
    {
        await using var store = await OpenAsync();
        await store.SaveRunAsync(Samples.Run("run-1", RunStatus.Running));
        await using var ledger = Provider.OpenLedger(store, maxBatch: 64, capacity: 128);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < 250; i++)
            {
                await ledger.RecordAsync(Entry("run-1", (p * 1000) + i));
            }
        })));
        await ledger.FlushAsync();

        Assert.Equal(2000, ledger.Committed);
        Assert.InRange(ledger.Transactions, 2000 / 64, 1999);
        Assert.Equal(["2000"], await QueryAsync("SELECT COUNT(*) FROM scores WHERE run_id = 'run-1'"));
    }

    [Fact]
    public async Task A_failed_write_is_reported_and_stops_the_ledger()
    {
        await using var store = await OpenAsync();
        await using var ledger = store.OpenLedger();

        // no such run: the foreign key fails the batch
        await ledger.RecordAsync(Entry("no-such-run", 1));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ledger.FlushAsync());
        Assert.IsAssignableFrom<System.Data.Common.DbException>(ex.InnerException);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await ledger.RecordAsync(Entry("no-such-run", 2)));
        Assert.Equal(["0"], await QueryAsync("SELECT COUNT(*) FROM completions"));
    }

    [Fact]
    public async Task Audit_is_append_only()
    {
        await using (var store = await OpenAsync())
        {
            await store.AppendAuditAsync("run-1", "run_started", """{"x":1}""");
            var events = await store.GetAuditAsync("run-1");
            Assert.Equal("run_started", Assert.Single(events).Event);
            Assert.Contains(await store.GetAuditAsync(null), e => e.Event == "schema_migrated");
        }

        var update = await RefusedAsync(() => Provider.ExecuteAsync("UPDATE audit SET event = 'x'"));
        Assert.Contains("append-only", update.Message, StringComparison.Ordinal);
        var delete = await RefusedAsync(() => Provider.ExecuteAsync("DELETE FROM audit"));
        Assert.Contains("append-only", delete.Message, StringComparison.Ordinal);
        Assert.Equal([Text(Provider.MigrationAuditRows + 1)], await QueryAsync("SELECT COUNT(*) FROM audit")); // the migrations' rows, and run_started
    }

    [Fact]
    public async Task Models_keep_architecture_quantization_and_parameters()
    {
        await using var store = await OpenAsync();
        await store.RegisterModelAsync(new StoredModel("m1", "/m/m1.gguf", new string('c', 64), 1234, "llama", "Q4_K_M", 70_000_000_000));
        Assert.Equal(new StoredModel("m1", "/m/m1.gguf", new string('c', 64), 1234, "llama", "Q4_K_M", 70_000_000_000), (await store.GetModelAsync("m1"))! with { RecordedUtc = null });
        Assert.Null(await store.GetModelAsync("m2"));
    }
}

public sealed class SqliteLedgerStoreTests() : LedgerStoreContract(new SqliteProvider())
{
    [Fact]
    public async Task Version_2_results_move_to_the_ledger_tables()
    {
        using var temp = new TempDatabase();
        Directory.CreateDirectory(temp.Folder);
        await using (var connection = new SqliteConnection($"Data Source={temp.DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText =
                "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL);" +
                Migrations.All[0] + Migrations.All[1] +
                """
                INSERT INTO schema_version VALUES (1, 'x'), (2, 'x');
                INSERT INTO models (name, sha256, registered_utc) VALUES ('m1', 'abc', 'x');
                INSERT INTO runs VALUES ('old', '2025-01-01T00:00:00.0000000Z', NULL, 'Completed', '{}', 'h', '0.1', NULL, 'host');
                INSERT INTO completions (run_id, model, benchmark, instance_id, prompt_hash, prediction, gold, prompt_tokens, completion_tokens, elapsed_ms)
                VALUES ('old', 'm1', 'pubmed_qa', '1', 'ph', 'A', 'A', 10, 1, 5), ('old', 'm1', 'pubmed_qa', '2', NULL, 'B', 'A', 11, 1, 6);
                INSERT INTO scores VALUES ('old', 'm1', 'pubmed_qa', '1', 'exact_match', 1), ('old', 'm1', 'pubmed_qa', '2', 'exact_match', 0);
                """;
            await command.ExecuteNonQueryAsync();
        }

        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        Assert.Equal([Migrations.All.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)], await RawSql.QueryAsync(temp.DatabasePath, "SELECT MAX(version) FROM schema_version"));
        var results = await store.GetRunResultsAsync("old", includeOutputs: true);
        Assert.Equal([("1", "A", 1.0, "v1-1"), ("2", "B", 0.0, "v1-2")], results.Select(r => (r.InstanceId, r.Output, r.Score, r.RequestKey)));
        Assert.Equal(["v1-1|ph", "v1-2|"], await RawSql.QueryAsync(temp.DatabasePath, "SELECT request_key || '|' || COALESCE(prompt_hash, '') FROM requests ORDER BY id"));
        Assert.Equal(["abc"], await RawSql.QueryAsync(temp.DatabasePath, "SELECT DISTINCT model_identity FROM requests"));
        Assert.Single(await store.GetLeaderboardAsync(null));
    }
}

public sealed class PostgresLedgerStoreTests() : LedgerStoreContract(new PostgresProvider());
