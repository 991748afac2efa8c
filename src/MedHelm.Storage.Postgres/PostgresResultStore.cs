using MedHelm.Application.Ports;

namespace MedHelm.Storage.Postgres;

/// <summary>
/// The PostgreSQL results database as one object: the stores of each port over one <see cref="PostgresDataSource"/>,
/// whose members it forwards (<see cref="ComposedResultsDatabase"/>). Several servers may open it at once.
/// </summary>
public sealed class PostgresResultStore : ComposedResultsDatabase
{
    private readonly bool _ownsDataSource;

    /// <summary>The stores over <paramref name="dataSource"/>; disposed with the store when <paramref name="ownsDataSource"/>.</summary>
    public PostgresResultStore(PostgresDataSource dataSource, bool ownsDataSource = false)
        : this(dataSource ?? throw new ArgumentNullException(nameof(dataSource)), ownsDataSource, new PostgresRunStore(dataSource), new PostgresLedgerStore(dataSource))
    {
    }

    private PostgresResultStore(PostgresDataSource dataSource, bool ownsDataSource, PostgresRunStore runs, PostgresLedgerStore ledger)
        : base(runs, ledger, new PostgresJuryStore(dataSource), new PostgresDatasetStore(dataSource), new PostgresAuditLog(dataSource),
            new PostgresRunQueue(dataSource), new PostgresApiTokenStore(dataSource), new PostgresUserStore(dataSource))
    {
        DataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        Runs = runs;
        Ledger = ledger;
    }

    /// <summary>The database's data source.</summary>
    public PostgresDataSource DataSource { get; }

    /// <summary>Runs, results, leaderboards, models and the run holds.</summary>
    public PostgresRunStore Runs { get; }

    /// <summary>The request ledger.</summary>
    public PostgresLedgerStore Ledger { get; }

    /// <inheritdoc />
    public override string Location => DataSource.Location;

    /// <inheritdoc />
    public override string EngineVersion => DataSource.EngineVersion;

    /// <summary>Disposes the data source when the store owns it.</summary>
    public override ValueTask DisposeAsync() => _ownsDataSource ? DataSource.DisposeAsync() : ValueTask.CompletedTask;
}
