using MedHelm.Application.Ports;
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
        Assert.Equal(9, Migrations.All.Count);
        Assert.Equal(["9"], await RawSql.QueryAsync(temp.DatabasePath, "SELECT MAX(version) FROM schema_version"));

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
