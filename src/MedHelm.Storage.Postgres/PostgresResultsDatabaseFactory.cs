using MedHelm.Application.Ports;

namespace MedHelm.Storage.Postgres;

/// <summary>
/// Opens the PostgreSQL results database (Storage:ConnectionString) for the application layer. The path a request names
/// is a SQLite file and does not apply: every open reaches the one configured database.
/// </summary>
/// <param name="builder">Makes the data source of each open (the connection string and the password read at start).</param>
public sealed class PostgresResultsDatabaseFactory(PostgresDataSourceBuilder builder) : IResultsDatabaseFactory
{
    private readonly PostgresDataSourceBuilder _builder = builder ?? throw new ArgumentNullException(nameof(builder));

    /// <summary>Where the database is (no user, no password).</summary>
    public string Location => _builder.Location;

    /// <inheritdoc />
    /// <exception cref="Application.Errors.NotFoundException">The database holds no MedHelm schema and <paramref name="create"/> is false.</exception>
    public async Task<IResultsDatabase> OpenAsync(string path, bool create, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // a run left "running" by a process that died (its session lock is gone) is marked interrupted
        return await ComposedResultsDatabase.MarkInterruptedOnOpenAsync(new PostgresResultStore(_builder.Build(create), ownsDataSource: true), cancellationToken)
            .ConfigureAwait(false);
    }
}
