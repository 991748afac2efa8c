using Microsoft.Data.Sqlite;

namespace MedHelm.Storage;

/// <summary>
/// One results database file, built once by <see cref="SqliteDataSourceBuilder"/>; immutable and thread-safe, meant to
/// be shared (a service keeps one for its lifetime, a command builds one per invocation). Every operation opens a
/// connection of its own (from Microsoft.Data.Sqlite's pool) and disposes it when done. Writes queue on one in-process
/// write lock, so one short write transaction (<c>BEGIN IMMEDIATE</c>) runs at a time; reads take no lock and, the file
/// being in WAL mode, read the last committed snapshot while a write transaction is open instead of waiting for it.
/// Another process's writer is arbitrated by SQLite's file lock and the busy timeout.
/// </summary>
public sealed class SqliteDataSource : IDisposable, IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly string _pragmas;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private volatile bool _disposed;

    internal SqliteDataSource(string path, string connectionString, string pragmas)
    {
        Path = path;
        _connectionString = connectionString;
        _pragmas = pragmas;
    }

    /// <summary>Full path of the database file.</summary>
    public string Path { get; }

    /// <summary>
    /// The SQLite library that reads and writes the file, as <c>sqlite_version()</c> reports it (e.g. "SQLite 3.53.0"),
    /// asked once; every run records it.
    /// </summary>
    public string EngineVersion => _engineVersion ??= ReadEngineVersion();

    private string? _engineVersion;

    private string ReadEngineVersion()
    {
        using var connection = OpenConnection();
        using var command = SqliteSql.Command(connection, "SELECT sqlite_version()");
        return "SQLite " + Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Releases the pooled connections of the file (connections in use are closed when their operation ends).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>An open connection with the per-connection settings applied; the caller disposes it.</summary>
    internal SqliteConnection OpenConnection()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var command = SqliteSql.Command(connection, _pragmas);
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="read"/> on a connection of its own, without the write lock. Each statement reads the last
    /// committed snapshot; a read of several statements that must agree begins a deferred transaction
    /// (<c>BeginTransaction(deferred: true)</c>), which reads one snapshot and never waits for the writer.
    /// </summary>
    internal async Task<T> ReadAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await using var connection = OpenConnection();
            return await read(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e) when (DatabaseFileChecks.Explain(Path, e) is { } error)
        {
            throw error;
        }
    }

    /// <summary>The first row of <paramref name="sql"/> (one parameter <c>$p</c>), made by <paramref name="read"/>, or null when there is none.</summary>
    internal async Task<T?> ReadSingleOrNullAsync<T>(string sql, object parameter, Func<SqliteDataReader, T> read, CancellationToken cancellationToken)
        where T : class
    {
        var rows = await ReadListAsync(sql, parameter, read, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>The rows of <paramref name="sql"/> (one parameter <c>$p</c>, null as NULL), each made by <paramref name="read"/>.</summary>
    internal Task<IReadOnlyList<T>> ReadListAsync<T>(string sql, object? parameter, Func<SqliteDataReader, T> read, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<T>>(
            async (connection, ct) =>
            {
                using var command = SqliteSql.Command(connection, sql);
                command.Parameters.AddWithValue("$p", parameter ?? DBNull.Value);
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                var list = new List<T>();
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    list.Add(read(reader));
                }

                return list;
            },
            cancellationToken);

    /// <summary>
    /// Runs <paramref name="write"/> in one <c>BEGIN IMMEDIATE</c> transaction under the write lock, committing when it
    /// returns and rolling back when it throws. Keep writes short: the next writer waits for this one.
    /// </summary>
    internal async Task<T> WriteAsync<T>(Func<SqliteTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = OpenConnection();
            // IMMEDIATE takes the file's write lock up front (waiting up to the busy timeout for another process's
            // writer), so the transaction never fails half-way to upgrade a read lock. Disposed without a commit (the
            // write threw), it rolls back.
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await write(transaction, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            return result;
        }
        catch (SqliteException e) when (DatabaseFileChecks.Explain(Path, e) is { } error)
        {
            // Rolled back: a damaged or locked file is left as it was.
            throw error;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc cref="WriteAsync{T}"/>
    internal Task WriteAsync(Func<SqliteTransaction, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                await write(transaction, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
}
