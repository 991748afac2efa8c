using System.Data.Common;
using System.Globalization;
using MedHelm.Application.Ports;
using MedHelm.Evaluation.Ledger;
using MedHelm.Storage.Postgres;
using Microsoft.Data.Sqlite;

namespace MedHelm.Storage.Tests.Support;

/// <summary>
/// One empty results database of one storage provider for one test: the contract suite runs every test against each
/// provider (<see cref="SqliteProvider"/>, <see cref="PostgresProvider"/>). Raw SQL (<see cref="QueryAsync"/>,
/// <see cref="ExecuteAsync"/>) goes around the store, as someone with direct access to the database would.
/// </summary>
public abstract class StoreProvider : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres".</summary>
    public abstract string Name { get; }

    /// <summary>The schema version the provider's migrations reach.</summary>
    public abstract int SchemaVersion { get; }

    /// <summary>Audit rows the migrations write on an empty database.</summary>
    public abstract int MigrationAuditRows { get; }

    /// <summary>Opens (creating at first) this test's database through the provider's factory.</summary>
    public Task<IResultsDatabase> OpenAsync() => Factory.OpenAsync(Location, create: true);

    /// <summary>The provider's factory for this test's database.</summary>
    public abstract IResultsDatabaseFactory Factory { get; }

    /// <summary>The location the factory is asked to open (a SQLite file; ignored by PostgreSQL).</summary>
    public abstract string Location { get; }

    /// <summary>The first column of every row, as invariant text.</summary>
    public abstract Task<List<string>> QueryAsync(string sql);

    /// <summary>Runs statements on a connection of its own.</summary>
    public abstract Task ExecuteAsync(string sql);

    /// <summary>SQL that drops a trigger of <paramref name="table"/> (to tamper behind the application's back).</summary>
    public abstract string DropTrigger(string trigger, string table);

    /// <summary>SQL text of a REAL column as SQLite prints it (1.0, 0.25).</summary>
    public virtual string Real(string column) => column;

    /// <summary>SQL text of a flag column as 0 or 1.</summary>
    public virtual string Flag(string column) => column;

    /// <summary>Writes <paramref name="entries"/> in one transaction through the store's ledger tables (no batching writer).</summary>
    public abstract Task WriteEntriesAsync(IResultsDatabase store, IReadOnlyList<LedgerEntry> entries);

    /// <summary>A ledger of the store committing up to <paramref name="maxBatch"/> entries per transaction.</summary>
    public abstract BatchingRunLedger OpenLedger(IResultsDatabase store, int maxBatch, int capacity);

    public abstract ValueTask DisposeAsync();
}

public sealed class SqliteProvider : StoreProvider
{
    private readonly TempDatabase _temp = new();

    public override string Name => "sqlite";

    public override int SchemaVersion => Migrations.All.Count;

    public override int MigrationAuditRows => Migrations.All.Count - 2; // versions 3 to 8 audit themselves

    public override IResultsDatabaseFactory Factory { get; } = new SqliteResultsDatabaseFactory();

    public override string Location => _temp.DatabasePath;

    public override Task<List<string>> QueryAsync(string sql) => RawSql.QueryAsync(_temp.DatabasePath, sql);

    public override Task ExecuteAsync(string sql) => RawSql.ExecuteAsync(_temp.DatabasePath, sql);

    public override string DropTrigger(string trigger, string table) => $"DROP TRIGGER {trigger}";

    public override Task WriteEntriesAsync(IResultsDatabase store, IReadOnlyList<LedgerEntry> entries) =>
        ((SqliteResultStore)store).Ledger.WriteLedgerEntriesAsync(entries);

    public override BatchingRunLedger OpenLedger(IResultsDatabase store, int maxBatch, int capacity) => ((SqliteResultStore)store).OpenLedger(maxBatch, capacity);

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _temp.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class PostgresProvider : StoreProvider
{
    private static int _databases;

    /// <summary>An empty database of its own on the shared server, made with one statement (no createdb process per test).</summary>
    private readonly Lazy<Task<(PostgresTestServer Server, string Database)>> _database = new(async () =>
    {
        var server = await PostgresTestServer.Shared;
        var name = string.Create(CultureInfo.InvariantCulture, $"t_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}");
        await using var connection = new Npgsql.NpgsqlConnection(server.ConnectionString("postgres"));
        await connection.OpenAsync();
        // FILE_COPY: copying the small template's files is faster than WAL-logging them (the server runs without fsync)
        await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name} STRATEGY = FILE_COPY", connection);
        await create.ExecuteNonQueryAsync();
        return (server, name);
    });

    private PostgresResultsDatabaseFactory? _factory;

    public override string Name => "postgres";

    public override int SchemaVersion => PostgresMigrations.All.Count;

    public override int MigrationAuditRows => PostgresMigrations.All.Count;

    public override IResultsDatabaseFactory Factory => _factory ??= new PostgresResultsDatabaseFactory(Builder().GetAwaiter().GetResult());

    public override string Location => "(the configured PostgreSQL database)";

    /// <summary>A data source builder for this test's database.</summary>
    public async Task<PostgresDataSourceBuilder> Builder()
    {
        var (server, database) = await _database.Value;
        return new PostgresDataSourceBuilder(server.ConnectionString(database));
    }

    public override async Task<List<string>> QueryAsync(string sql)
    {
        var (server, database) = await _database.Value;
        return await server.PsqlAsync(database, sql);
    }

    public override Task ExecuteAsync(string sql) => QueryAsync(sql);

    public override string DropTrigger(string trigger, string table) => $"DROP TRIGGER {trigger} ON {table}";

    public override string Real(string column) => $"(CASE WHEN {column} = floor({column}) THEN {column}::numeric(30,1)::text ELSE {column}::text END)";

    public override string Flag(string column) => $"({column})::int";

    public override Task WriteEntriesAsync(IResultsDatabase store, IReadOnlyList<LedgerEntry> entries) =>
        ((PostgresResultStore)store).Ledger.WriteLedgerEntriesAsync(entries);

    public override BatchingRunLedger OpenLedger(IResultsDatabase store, int maxBatch, int capacity) =>
        ((PostgresResultStore)store).Ledger.OpenLedger(maxBatch, capacity);

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>The base of a contract test class: a fresh database of <see cref="Provider"/> per test.</summary>
/// <param name="provider">The provider the derived class runs against.</param>
public abstract class StoreContract(StoreProvider provider) : IAsyncLifetime
{
    protected StoreProvider Provider { get; } = provider;

    protected Task<IResultsDatabase> OpenAsync() => Provider.OpenAsync();

    protected Task<List<string>> QueryAsync(string sql) => Provider.QueryAsync(sql);

    protected static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Both providers' drivers throw a <see cref="DbException"/> for a refused statement.</summary>
    protected static Task<DbException> ThrowsDbAsync(Func<Task> action) => Assert.ThrowsAnyAsync<DbException>(action);

    /// <summary>Raw SQL the database refuses (SQLite's driver throws a DbException; psql exits with an error, which the server raised).</summary>
    protected static Task<Exception> RefusedAsync(Func<Task> action) => Assert.ThrowsAnyAsync<Exception>(action);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Provider.DisposeAsync();
}
