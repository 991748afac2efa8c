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
        Assert.Equal(SqliteResultStore.LatestSchemaVersion, await store.GetSchemaVersionAsync());
        Assert.Equal(5, SqliteResultStore.LatestSchemaVersion);

        var tables = await QueryAsync(temp.DatabasePath, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
        Assert.Equal(
            ["audit", "completions", "dataset_instances", "datasets", "jury_ratings", "models", "requests", "run_completions", "runs", "schema_version", "scores"],
            tables);
    }

    [Fact]
    public async Task Pragmas_are_set()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        Assert.Equal(["wal"], await QueryAsync(temp.DatabasePath, "PRAGMA journal_mode"));
    }

    [Fact]
    public async Task Opening_twice_applies_migrations_once()
    {
        using var temp = new TempDatabase();
        await using (var first = await SqliteResultStore.OpenAsync(temp.DatabasePath))
        {
            await first.WriteAsync(Samples.Run(), [Samples.Result("run-1", "m1", "1", 1)]);
        }

        await using (var second = await SqliteResultStore.OpenAsync(temp.DatabasePath))
        {
            Assert.Equal(5, await second.GetSchemaVersionAsync());
            Assert.Single(await second.GetResultsAsync("run-1"));
        }

        Assert.Equal(["1", "2", "3", "4", "5"], await QueryAsync(temp.DatabasePath, "SELECT version FROM schema_version ORDER BY version"));
    }

    [Fact]
    public async Task Refuses_a_database_from_a_newer_version()
    {
        using var temp = new TempDatabase();
        await using (await SqliteResultStore.OpenAsync(temp.DatabasePath))
        {
        }

        await ExecuteAsync(temp.DatabasePath, "INSERT INTO schema_version (version, applied_utc) VALUES (99, 'x')");
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => SqliteResultStore.OpenAsync(temp.DatabasePath));
        Assert.Contains("99", ex.Message, StringComparison.Ordinal);
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
        await store.WriteAsync(finished, []);
        Assert.Equal(finished, await store.GetRunAsync("run-1"));
        Assert.Null(await store.GetRunAsync("unknown"));

        var hash = await QueryAsync(temp.DatabasePath, "SELECT config_hash FROM runs");
        Assert.Matches("^[0-9a-f]{64}$", Assert.Single(hash));
    }

    [Fact]
    public async Task Results_round_trip()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        InstanceResult[] results =
        [
            Samples.Result("run-1", "m1", "1", 1, 123, 1, 12.3456),
            Samples.Result("run-1", "m1", "2", 0, null, null, 1000) with { Prediction = "Ünïcødé \"quoted\" 'text'\n" },
        ];
        await store.WriteAsync(Samples.Run(), results);

        Assert.Equal(results, await store.GetResultsAsync("run-1"));
    }

    [Fact]
    public async Task Batches_append_and_update_the_run()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        await store.WriteAsync(Samples.Run(status: RunStatus.Running), [Samples.Result("run-1", "m1", "1", 1)]);
        await store.WriteAsync(Samples.Run(), [Samples.Result("run-1", "m1", "2", 0)]);

        Assert.Equal(2, (await store.GetResultsAsync("run-1")).Count);
        Assert.Equal(RunStatus.Completed, (await store.GetRunAsync("run-1"))!.Status);
    }

    [Fact]
    public async Task Leaderboard_numbers()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        await store.WriteAsync(Samples.Run(),
        [
            Samples.Result("run-1", "m1", "1", 1, 100, 1, 500),
            Samples.Result("run-1", "m1", "2", 1, 200, 1, 500),
            Samples.Result("run-1", "m1", "3", 0, 300, 1, 500),
            Samples.Result("run-1", "m1", "4", 1, 400, 1, 500),
            Samples.Result("run-1", "m2", "1", 0, 50, 1, 100),
            Samples.Result("run-1", "m2", "2", 1, 50, 1, 100),
        ]);

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
        await store.WriteAsync(Samples.Run("old", started: t0), [Samples.Result("old", "m1", "1", 0), Samples.Result("old", "m1", "2", 0)]);
        await store.WriteAsync(Samples.Run("new", started: t0.AddDays(1)), [Samples.Result("new", "m1", "1", 1)]);

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

        // The duplicate instance fails on the UNIQUE constraint after the run row and the first rows were inserted.
        var ex = await Assert.ThrowsAsync<SqliteException>(() => store.WriteAsync(Samples.Run(),
        [
            Samples.Result("run-1", "m1", "1", 1),
            Samples.Result("run-1", "m1", "2", 1),
            Samples.Result("run-1", "m1", "1", 0),
        ]));
        Assert.Equal(19, ex.SqliteErrorCode); // SQLITE_CONSTRAINT

        Assert.Null(await store.GetRunAsync("run-1"));
        Assert.Empty(await store.GetResultsAsync(null));
        Assert.Equal(["0"], await QueryAsync(temp.DatabasePath, "SELECT COUNT(*) FROM completions"));
        Assert.Equal(["0"], await QueryAsync(temp.DatabasePath, "SELECT COUNT(*) FROM scores"));

        // The store stays usable after the rollback.
        await store.WriteAsync(Samples.Run(), [Samples.Result("run-1", "m1", "1", 1)]);
        Assert.Single(await store.GetResultsAsync("run-1"));
    }

    [Fact]
    public async Task Failed_second_batch_keeps_the_first()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        await store.WriteAsync(Samples.Run(status: RunStatus.Running), [Samples.Result("run-1", "m1", "1", 1)]);

        await Assert.ThrowsAsync<SqliteException>(() => store.WriteAsync(Samples.Run(),
            [Samples.Result("run-1", "m1", "2", 1), Samples.Result("run-1", "m1", "1", 1)]));

        Assert.Single(await store.GetResultsAsync("run-1"));
        Assert.Equal(RunStatus.Running, (await store.GetRunAsync("run-1"))!.Status);
    }

    [Fact]
    public async Task Results_of_another_run_are_rejected()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(Samples.Run(), [Samples.Result("other", "m1", "1", 1)]));
        Assert.Null(await store.GetRunAsync("run-1"));
    }

    [Fact]
    public async Task Records_datasets_and_models_idempotently()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        var dataset = new ImportedDataset("pubmed_qa", [], [new SourceFileInfo("test_set.json", new string('b', 64), 10)]);
        await store.RecordDatasetAsync(dataset);
        await store.RecordDatasetAsync(dataset);
        await store.RegisterModelAsync("m1", "/models/m1.gguf", new string('c', 64), 1234);
        await store.RegisterModelAsync("m1", "/models/m1-moved.gguf", new string('c', 64), 1234);

        Assert.Equal(["pubmed_qa|0"], await QueryAsync(temp.DatabasePath, "SELECT benchmark || '|' || instance_count FROM datasets"));
        Assert.Equal(["/models/m1-moved.gguf"], await QueryAsync(temp.DatabasePath, "SELECT path FROM models"));
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
        await store.WriteAsync(Samples.Run(), [Samples.Result("run-1", "m1", "1", 1)]);

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

    private static async Task<List<string>> QueryAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        }

        return rows;
    }

    private static async Task ExecuteAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
