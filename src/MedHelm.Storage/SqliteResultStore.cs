using MedHelm.Application.Ports;
using MedHelm.Evaluation.Ledger;

namespace MedHelm.Storage;

/// <summary>
/// The SQLite results database as one object: the stores of each port (<see cref="Runs"/>, <see cref="Ledger"/>,
/// <see cref="Jury"/>, <see cref="Datasets"/>, <see cref="Audit"/>) over one <see cref="SqliteDataSource"/>, whose
/// members it forwards (<see cref="ComposedResultsDatabase"/>). The file lives in a folder created 0700 and is created
/// 0600 (on Unix), in WAL mode; each write is one short transaction, one at a time; reads do not wait for them.
/// </summary>
public sealed class SqliteResultStore : ComposedResultsDatabase
{
    /// <summary>Source path recorded for the bundled excerpts a run stores (not counted as imports).</summary>
    public const string BundledSourcePrefix = SqliteDatasetStore.BundledSourcePrefix;

    private readonly bool _ownsDataSource;

    /// <summary>The stores over <paramref name="dataSource"/>, which stays the caller's to dispose.</summary>
    public SqliteResultStore(SqliteDataSource dataSource)
        : this(dataSource, ownsDataSource: false)
    {
    }

    private SqliteResultStore(SqliteDataSource dataSource, bool ownsDataSource)
        : this(dataSource ?? throw new ArgumentNullException(nameof(dataSource)), ownsDataSource, new SqliteRunStore(dataSource), new SqliteLedgerStore(dataSource),
            new SqliteJuryStore(dataSource), new SqliteDatasetStore(dataSource), new SqliteAuditLog(dataSource), new SqliteRunQueue(dataSource),
            new SqliteApiTokenStore(dataSource), new SqliteUserStore(dataSource))
    {
    }

    private SqliteResultStore(
        SqliteDataSource dataSource, bool ownsDataSource, SqliteRunStore runs, SqliteLedgerStore ledger, SqliteJuryStore jury, SqliteDatasetStore datasets,
        SqliteAuditLog audit, SqliteRunQueue queue, SqliteApiTokenStore tokens, SqliteUserStore users)
        : base(runs, ledger, jury, datasets, audit, queue, tokens, users)
    {
        DataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        Runs = runs;
        Ledger = ledger;
        Jury = jury;
        Datasets = datasets;
        Audit = audit;
        Queue = queue;
        Tokens = tokens;
        Users = users;
    }

    /// <summary>The database file's data source.</summary>
    public SqliteDataSource DataSource { get; }

    /// <summary>Runs, results, leaderboards and models.</summary>
    public SqliteRunStore Runs { get; }

    /// <summary>The request ledger.</summary>
    public SqliteLedgerStore Ledger { get; }

    /// <summary>Jury ratings and later scores.</summary>
    public SqliteJuryStore Jury { get; }

    /// <summary>Imported datasets.</summary>
    public SqliteDatasetStore Datasets { get; }

    /// <summary>The audit log.</summary>
    public SqliteAuditLog Audit { get; }

    /// <summary>The service's run queue.</summary>
    public new SqliteRunQueue Queue { get; }

    /// <summary>The service's API tokens.</summary>
    public new SqliteApiTokenStore Tokens { get; }

    /// <summary>The service's local accounts.</summary>
    public new SqliteUserStore Users { get; }

    /// <inheritdoc />
    public override string Location => DataSource.Path;

    /// <inheritdoc />
    public override string EngineVersion => DataSource.EngineVersion;

    /// <summary>
    /// Opens (creating when needed) the database at <paramref name="databasePath"/> and brings its schema up to date: a
    /// data source of its own (<see cref="SqliteDataSourceBuilder"/>), disposed with the store.
    /// </summary>
    /// <exception cref="InvalidOperationException">The database was written by a newer version of the application.</exception>
    public static Task<SqliteResultStore> OpenAsync(string databasePath, CancellationToken cancellationToken = default)
    {
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Microsoft.Data.Sqlite does its I/O synchronously; opening and migrating is short.
            return Task.FromResult(new SqliteResultStore(new SqliteDataSourceBuilder(databasePath).Build(), ownsDataSource: true));
        }
        catch (Exception e)
        {
            return Task.FromException<SqliteResultStore>(e);
        }
    }

    /// <summary>Disposes the data source when the store opened it (<see cref="OpenAsync"/>).</summary>
    public override ValueTask DisposeAsync() => _ownsDataSource ? DataSource.DisposeAsync() : ValueTask.CompletedTask;

    /// <inheritdoc cref="SqliteLedgerStore.OpenLedger(int, int)"/>
    public BatchingRunLedger OpenLedger(int maxBatch, int capacity = 8192) => Ledger.OpenLedger(maxBatch, capacity);

    /// <inheritdoc cref="SqliteLedgerStore.FindCompletionsAsync"/>
    public Task<IReadOnlyDictionary<string, LedgerCompletion>> FindCompletionsAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default) =>
        Ledger.FindCompletionsAsync(keys, cancellationToken);
}
