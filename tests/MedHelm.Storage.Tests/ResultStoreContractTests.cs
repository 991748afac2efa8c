using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Results;
using MedHelm.Storage.Tests.Support;

namespace MedHelm.Storage.Tests;

/// <summary>Runs, results, leaderboards, datasets and models: what every storage provider must do alike.</summary>
public abstract class ResultStoreContract(StoreProvider provider) : StoreContract(provider)
{
    [Fact]
    public async Task Opening_twice_applies_migrations_once()
    {
        await using (var first = await OpenAsync())
        {
            await Samples.WriteRunAsync(first, Samples.Run(), Samples.Result("run-1", "m1", "1", 1));
        }

        await using (var second = await OpenAsync())
        {
            Assert.Single(await second.GetRunResultsAsync("run-1"));
        }

        Assert.Equal(Enumerable.Range(1, Provider.SchemaVersion).Select(v => Text(v)), await QueryAsync("SELECT version FROM schema_version ORDER BY version"));
    }

    [Fact]
    public async Task Run_round_trips()
    {
        await using var store = await OpenAsync();
        var run = Samples.Run(status: RunStatus.Running);
        await store.SaveRunAsync(run);
        Assert.Equal(run, await store.GetRunAsync("run-1"));

        var finished = Samples.Run();
        await store.SaveRunAsync(finished);
        Assert.Equal(finished, await store.GetRunAsync("run-1"));
        Assert.Null(await store.GetRunAsync("unknown"));

        var hash = await QueryAsync("SELECT config_hash FROM runs");
        Assert.Matches("^[0-9a-f]{64}$", Assert.Single(hash));
    }

    [Fact]
    public async Task Results_round_trip()
    {
        await using var store = await OpenAsync();
        var unicode = Samples.Result("run-1", "m1", "2", 0, null, null, 1000);
        unicode = unicode with { Completion = unicode.Completion with { Output = "Ünïcødé \"quoted\" 'text'\n" } };
        await Samples.WriteRunAsync(store, Samples.Run(), Samples.Result("run-1", "m1", "1", 1, 123, 1, 12.3456), unicode);

        var rows = await store.GetRunResultsAsync("run-1", includeOutputs: true);
        Assert.Equal(
            [
                ("1", "key/run-1/m1/pubmed_qa/1", "computed", "exact_match", 1.0, 123L, 1L, 12.3456, "A"),
                ("2", "key/run-1/m1/pubmed_qa/2", "computed", "exact_match", 0.0, (long?)null, (long?)null, 1000.0, "Ünïcødé \"quoted\" 'text'\n"),
            ],
            rows.Select(r => (r.InstanceId, r.RequestKey, r.Origin, r.Metric, r.Score, r.PromptTokens, r.CompletionTokens, r.ElapsedMs, r.Output)));
        Assert.All(rows, r => Assert.Equal(("m1", "pubmed_qa"), (r.Model, r.Benchmark)));
        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("Ünïcødé \"quoted\" 'text'\n"))),
            rows[1].OutputSha256);
        Assert.Null((await store.GetRunResultsAsync("run-1"))[1].Output);
    }

    [Fact]
    public async Task Batches_append_and_update_the_run()
    {
        await using var store = await OpenAsync();
        await Samples.WriteRunAsync(store, Samples.Run(status: RunStatus.Running), Samples.Result("run-1", "m1", "1", 1));
        await Samples.WriteRunAsync(store, Samples.Run(), Samples.Result("run-1", "m1", "2", 0));

        Assert.Equal(2, (await store.GetRunResultsAsync("run-1")).Count);
        Assert.Equal(RunStatus.Completed, (await store.GetRunAsync("run-1"))!.Status);
    }

    [Fact]
    public async Task Leaderboard_numbers()
    {
        await using var store = await OpenAsync();
        await Samples.WriteRunAsync(store, Samples.Run(),
            Samples.Result("run-1", "m1", "1", 1, 100, 1, 500),
            Samples.Result("run-1", "m1", "2", 1, 200, 1, 500),
            Samples.Result("run-1", "m1", "3", 0, 300, 1, 500),
            Samples.Result("run-1", "m1", "4", 1, 400, 1, 500),
            Samples.Result("run-1", "m2", "1", 0, 50, 1, 100),
            Samples.Result("run-1", "m2", "2", 1, 50, 1, 100));

        var rows = await store.GetLeaderboardAsync("run-1");

        Assert.Equal(2, rows.Count);
        Assert.Equal(new LeaderboardRow("m1", "pubmed_qa", 0.75, 4, 1000, 4, 2.0), rows[0]);
        Assert.Equal(("m2", 0.5, 2, 100L, 2L), (rows[1].Model, rows[1].Score, rows[1].Instances, rows[1].PromptTokens, rows[1].CompletionTokens));
        Assert.Equal(0.2, rows[1].Seconds, 9);
        Assert.Empty(await store.GetLeaderboardAsync("no-such-run"));
    }

    [Fact]
    public async Task Leaderboard_across_runs_uses_the_latest_result_per_instance()
    {
        await using var store = await OpenAsync();
        var t0 = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await Samples.WriteRunAsync(store, Samples.Run("old", started: t0), Samples.Result("old", "m1", "1", 0), Samples.Result("old", "m1", "2", 0));
        await Samples.WriteRunAsync(store, Samples.Run("new", started: t0.AddDays(1)), Samples.Result("new", "m1", "1", 1));

        var row = Assert.Single(await store.GetLeaderboardAsync(null));
        Assert.Equal(2, row.Instances);
        Assert.Equal(0.5, row.Score);
        Assert.Equal(0, Assert.Single(await store.GetLeaderboardAsync("old")).Score);
    }

    [Fact]
    public async Task Failed_batch_leaves_nothing_behind()
    {
        await using var store = await OpenAsync();
        await store.SaveRunAsync(Samples.Run());

        // The last entry names a run that does not exist: its run link fails the foreign key after the rows of the
        // first two (and its own request and completion) were inserted in the same transaction.
        await ThrowsDbAsync(() => Provider.WriteEntriesAsync(
            store,
        [
            Samples.Result("run-1", "m1", "1", 1),
            Samples.Result("run-1", "m1", "2", 1),
            Samples.Result("no-such-run", "m1", "3", 0),
        ]));

        Assert.Empty(await store.GetRunResultsAsync("run-1"));
        Assert.Empty(await store.GetLeaderboardAsync(null));
        foreach (var table in new[] { "requests", "completions", "run_completions", "scores" })
        {
            Assert.Equal(["0"], await QueryAsync($"SELECT COUNT(*) FROM {table}"));
        }

        // The store stays usable after the rollback.
        await Samples.WriteRunAsync(store, Samples.Run(), Samples.Result("run-1", "m1", "1", 1));
        Assert.Single(await store.GetRunResultsAsync("run-1"));
    }

    [Fact]
    public async Task Failed_second_batch_keeps_the_first()
    {
        await using var store = await OpenAsync();
        await store.SaveRunAsync(Samples.Run(status: RunStatus.Running));
        await using var ledger = store.OpenLedger();
        await ledger.RecordAsync(Samples.Result("run-1", "m1", "1", 1));
        await ledger.FlushAsync();

        await ledger.RecordAsync(Samples.Result("no-such-run", "m1", "2", 1));
        await Assert.ThrowsAsync<InvalidOperationException>(() => ledger.FlushAsync());

        Assert.Single(await store.GetRunResultsAsync("run-1"));
        Assert.Equal(RunStatus.Running, (await store.GetRunAsync("run-1"))!.Status);
        Assert.Equal(["1"], await QueryAsync("SELECT COUNT(*) FROM completions"));
    }

    [Fact]
    public async Task Records_datasets_and_models_idempotently()
    {
        await using var store = await OpenAsync();
        var dataset = new ImportedDataset("pubmed_qa", [], [new SourceFileInfo("test_set.json", new string('b', 64), 10)]);
        Assert.True((await store.StoreDatasetAsync(dataset, AccessTier.Public, "/data/pubmed_qa")).Stored);
        Assert.False((await store.StoreDatasetAsync(dataset, AccessTier.Public, "/data/pubmed_qa")).Stored);
        await store.RegisterModelAsync(new StoredModel("m1", "/models/m1.gguf", new string('c', 64), 1234, "llama", "Q8_0", 1000));
        await store.RegisterModelAsync(new StoredModel("m1", "/models/m1-moved.gguf", new string('c', 64), 1234, "llama", "Q8_0", 1000));

        Assert.Equal(["pubmed_qa|0"], await QueryAsync("SELECT benchmark || '|' || instance_count FROM datasets"));
        Assert.Equal(["/models/m1-moved.gguf"], await QueryAsync("SELECT path FROM models"));
    }

    [Fact]
    public async Task A_fingerprint_of_an_older_version_is_completed_by_an_import()
    {
        // versions before the ledger recorded a dataset's fingerprint alone: no access tier, no instances
        var dataset = new ImportedDataset("pubmed_qa", [], [new SourceFileInfo("test_set.json", new string('b', 64), 10)]);
        await using var store = await OpenAsync();
        var sha = (await store.StoreDatasetAsync(dataset, AccessTier.Public, "/probe")).SourceSha256;
        await Provider.ExecuteAsync($"UPDATE datasets SET access = NULL, source_path = NULL WHERE source_sha256 = '{sha}'");
        Assert.Null(await store.GetImportAsync("pubmed_qa"));

        var outcome = await store.StoreDatasetAsync(dataset, AccessTier.Gated, "/data/pubmed_qa");
        Assert.True(outcome.Stored);
        Assert.Equal(sha, outcome.SourceSha256);
        var listed = Assert.Single(await store.ListDatasetsAsync());
        Assert.Equal(("gated", "/data/pubmed_qa"), (listed.Access, listed.SourcePath));
    }
}

public sealed class SqliteResultStoreContractTests() : ResultStoreContract(new SqliteProvider());

public sealed class PostgresResultStoreContractTests() : ResultStoreContract(new PostgresProvider());
