using MedHelm.Core.Catalog;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Results;
using MedHelm.Storage.Tests.Support;
using Microsoft.Data.Sqlite;

namespace MedHelm.Storage.Tests;

public class SqliteResultStoreTests
{
    [Fact]
    public async Task Creates_folder_file_and_schema()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);

        Assert.True(File.Exists(temp.DatabasePath));
        Assert.Equal(8, Migrations.All.Count);
        Assert.Equal(["8"], await RawSql.QueryAsync(temp.DatabasePath, "SELECT MAX(version) FROM schema_version"));

        var tables = await RawSql.QueryAsync(temp.DatabasePath, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
        Assert.Equal(
            ["api_tokens", "audit", "audit_chain", "completions", "dataset_instances", "datasets", "jury_ratings", "models", "requests", "run_completions", "run_queue", "runs", "schema_version", "scores", "users"],
            tables);
    }

    [Fact]
    public async Task The_engine_version_is_the_sqlite_library_that_opened_the_file()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);

        // Microsoft.Data.Sqlite 11 ships SQLite 3.53 (SQLitePCLRaw 3); the version is what the library reports
        Assert.Matches(@"^SQLite 3\.(5[3-9]|[6-9][0-9])\.[0-9]+$", store.EngineVersion);
    }

    [Fact]
    public async Task Pragmas_are_set()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        Assert.Equal(["wal"], await RawSql.QueryAsync(temp.DatabasePath, "PRAGMA journal_mode"));

        // per connection: every connection the data source opens (pooled or new) has them
        for (var i = 0; i < 2; i++)
        {
            await using var connection = store.DataSource.OpenConnection();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT synchronous, foreign_keys, timeout FROM pragma_synchronous, pragma_foreign_keys, pragma_busy_timeout";
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal((2L, 1L, 5000L), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2))); // FULL, on, 5 s
        }
    }

    [Fact]
    public async Task A_data_source_is_built_once_and_shared_by_stores_that_do_not_own_it()
    {
        using var temp = new TempDatabase();
        await using var dataSource = new SqliteDataSourceBuilder(temp.DatabasePath) { BusyTimeout = TimeSpan.FromSeconds(1) }.Build();
        Assert.Equal(Path.GetFullPath(temp.DatabasePath), dataSource.Path);
        Assert.Equal(Enumerable.Range(1, Migrations.All.Count).Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)), await RawSql.QueryAsync(temp.DatabasePath, "SELECT version FROM schema_version ORDER BY version"));

        await using (var first = new SqliteResultStore(dataSource))
        {
            await first.SaveRunAsync(Samples.Run());
            Assert.Equal(dataSource.Path, first.Location);
        }

        // disposing a store over a shared data source leaves the data source usable
        await using var second = new SqliteResultStore(dataSource);
        Assert.NotNull(await second.GetRunAsync("run-1"));
        Assert.NotNull(await new SqliteRunStore(dataSource).GetRunAsync("run-1"));

        dataSource.Dispose();
        Assert.Throws<ObjectDisposedException>(() => dataSource.OpenConnection().Dispose());
    }

    [Fact]
    public async Task The_factory_opens_an_existing_database_and_creates_one_only_when_asked()
    {
        using var temp = new TempDatabase();
        var factory = new SqliteResultsDatabaseFactory();
        await Assert.ThrowsAsync<MedHelm.Application.Errors.NotFoundException>(() => factory.OpenAsync(temp.DatabasePath, create: false));
        Assert.False(File.Exists(temp.DatabasePath));

        await using (var created = await factory.OpenAsync(temp.DatabasePath, create: true))
        {
            Assert.Equal(Path.GetFullPath(temp.DatabasePath), created.Location);
            await created.SaveRunAsync(Samples.Run());
        }

        await using var opened = await factory.OpenAsync(temp.DatabasePath, create: false);
        Assert.NotNull(await opened.GetRunAsync("run-1"));
    }

    [Fact]
    public async Task Opening_twice_applies_migrations_once()
    {
        using var temp = new TempDatabase();
        await using (var first = await SqliteResultStore.OpenAsync(temp.DatabasePath))
        {
            await Samples.WriteRunAsync(first, Samples.Run(), Samples.Result("run-1", "m1", "1", 1));
        }

        await using (var second = await SqliteResultStore.OpenAsync(temp.DatabasePath))
        {
            Assert.Single(await second.GetRunResultsAsync("run-1"));
        }

        Assert.Equal(Enumerable.Range(1, Migrations.All.Count).Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)), await RawSql.QueryAsync(temp.DatabasePath, "SELECT version FROM schema_version ORDER BY version"));
    }

    [Fact]
    public async Task Refuses_a_database_from_a_newer_version()
    {
        using var temp = new TempDatabase();
        await using (await SqliteResultStore.OpenAsync(temp.DatabasePath))
        {
        }

        await RawSql.ExecuteAsync(temp.DatabasePath, "INSERT INTO schema_version (version, applied_utc) VALUES (99, 'x')");
        var ex = await Assert.ThrowsAsync<MedHelm.Application.Errors.RequestValidationException>(() => SqliteResultStore.OpenAsync(temp.DatabasePath));
        Assert.Contains("schema version 99", ex.Message, StringComparison.Ordinal);
        Assert.Contains(temp.DatabasePath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_round_trips()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        var run = Samples.Run(status: RunStatus.Running);
        await store.SaveRunAsync(run);
        Assert.Equal(run, await store.GetRunAsync("run-1"));

        var finished = Samples.Run();
        await store.SaveRunAsync(finished);
        Assert.Equal(finished, await store.GetRunAsync("run-1"));
        Assert.Null(await store.GetRunAsync("unknown"));

        var hash = await RawSql.QueryAsync(temp.DatabasePath, "SELECT config_hash FROM runs");
        Assert.Matches("^[0-9a-f]{64}$", Assert.Single(hash));
    }

    [Fact]
    public async Task Results_round_trip()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
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
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        await Samples.WriteRunAsync(store, Samples.Run(status: RunStatus.Running), Samples.Result("run-1", "m1", "1", 1));
        await Samples.WriteRunAsync(store, Samples.Run(), Samples.Result("run-1", "m1", "2", 0));

        Assert.Equal(2, (await store.GetRunResultsAsync("run-1")).Count);
        Assert.Equal(RunStatus.Completed, (await store.GetRunAsync("run-1"))!.Status);
    }

    [Fact]
    public async Task Leaderboard_numbers()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
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
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
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
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        await store.SaveRunAsync(Samples.Run());

        // The last entry names a run that does not exist: its run link fails the foreign key after the rows of the
        // first two (and its own request and completion) were inserted in the same transaction.
        var ex = await Assert.ThrowsAsync<SqliteException>(() => store.Ledger.WriteLedgerEntriesAsync(
        [
            Samples.Result("run-1", "m1", "1", 1),
            Samples.Result("run-1", "m1", "2", 1),
            Samples.Result("no-such-run", "m1", "3", 0),
        ]));
        Assert.Equal(19, ex.SqliteErrorCode); // SQLITE_CONSTRAINT

        Assert.Empty(await store.GetRunResultsAsync("run-1"));
        Assert.Empty(await store.GetLeaderboardAsync(null));
        foreach (var table in new[] { "requests", "completions", "run_completions", "scores" })
        {
            Assert.Equal(["0"], await RawSql.QueryAsync(temp.DatabasePath, $"SELECT COUNT(*) FROM {table}"));
        }

        // The store stays usable after the rollback.
        await Samples.WriteRunAsync(store, Samples.Run(), Samples.Result("run-1", "m1", "1", 1));
        Assert.Single(await store.GetRunResultsAsync("run-1"));
    }

    [Fact]
    public async Task Failed_second_batch_keeps_the_first()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        await store.SaveRunAsync(Samples.Run(status: RunStatus.Running));
        await using var ledger = store.OpenLedger();
        await ledger.RecordAsync(Samples.Result("run-1", "m1", "1", 1));
        await ledger.FlushAsync();

        await ledger.RecordAsync(Samples.Result("no-such-run", "m1", "2", 1));
        await Assert.ThrowsAsync<InvalidOperationException>(() => ledger.FlushAsync());

        Assert.Single(await store.GetRunResultsAsync("run-1"));
        Assert.Equal(RunStatus.Running, (await store.GetRunAsync("run-1"))!.Status);
        Assert.Equal(["1"], await RawSql.QueryAsync(temp.DatabasePath, "SELECT COUNT(*) FROM completions"));
    }

    [Fact]
    public async Task Records_datasets_and_models_idempotently()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        var dataset = new ImportedDataset("pubmed_qa", [], [new SourceFileInfo("test_set.json", new string('b', 64), 10)]);
        Assert.True((await store.StoreDatasetAsync(dataset, AccessTier.Public, "/data/pubmed_qa")).Stored);
        Assert.False((await store.StoreDatasetAsync(dataset, AccessTier.Public, "/data/pubmed_qa")).Stored);
        await store.RegisterModelAsync("m1", "/models/m1.gguf", new string('c', 64), 1234, "llama", "Q8_0", 1000);
        await store.RegisterModelAsync("m1", "/models/m1-moved.gguf", new string('c', 64), 1234, "llama", "Q8_0", 1000);

        Assert.Equal(["pubmed_qa|0"], await RawSql.QueryAsync(temp.DatabasePath, "SELECT benchmark || '|' || instance_count FROM datasets"));
        Assert.Equal(["/models/m1-moved.gguf"], await RawSql.QueryAsync(temp.DatabasePath, "SELECT path FROM models"));
    }

    [Fact]
    public async Task A_fingerprint_of_an_older_version_is_completed_by_an_import()
    {
        using var temp = new TempDatabase();
        await using (await SqliteResultStore.OpenAsync(temp.DatabasePath))
        {
        }

        // versions before the ledger recorded a dataset's fingerprint alone: no access tier, no instances
        var dataset = new ImportedDataset("pubmed_qa", [], [new SourceFileInfo("test_set.json", new string('b', 64), 10)]);
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        var sha = (await store.StoreDatasetAsync(dataset, AccessTier.Public, "/probe")).SourceSha256;
        await RawSql.ExecuteAsync(temp.DatabasePath, $"UPDATE datasets SET access = NULL, source_path = NULL WHERE source_sha256 = '{sha}'");
        Assert.Null(await store.GetImportAsync("pubmed_qa"));

        var outcome = await store.StoreDatasetAsync(dataset, AccessTier.Gated, "/data/pubmed_qa");
        Assert.True(outcome.Stored);
        Assert.Equal(sha, outcome.SourceSha256);
        var listed = Assert.Single(await store.ListDatasetsAsync());
        Assert.Equal(("gated", "/data/pubmed_qa"), (listed.Access, listed.SourcePath));
    }

    [Fact]
    public async Task File_and_folder_are_owner_only_on_unix()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes only
        }

        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        await Samples.WriteRunAsync(store, Samples.Run(), Samples.Result("run-1", "m1", "1", 1));

        var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(owner | UnixFileMode.UserExecute, File.GetUnixFileMode(temp.Folder));
        Assert.Equal(owner, File.GetUnixFileMode(temp.DatabasePath));
        var wal = temp.DatabasePath + "-wal";
        if (File.Exists(wal))
        {
            Assert.Equal(owner, File.GetUnixFileMode(wal));
        }
    }

    [Fact]
    public async Task Existing_folder_mode_is_left_alone()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var temp = new TempDatabase();
        Directory.CreateDirectory(temp.Folder);
        var before = File.GetUnixFileMode(temp.Folder);
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        Assert.Equal(before, File.GetUnixFileMode(temp.Folder));
    }
}
