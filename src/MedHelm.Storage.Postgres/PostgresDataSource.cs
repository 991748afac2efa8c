using System.Net.Sockets;
using MedHelm.Application.Errors;
using Npgsql;

namespace MedHelm.Storage.Postgres;

/// <summary>
/// One PostgreSQL results database, built once by <see cref="PostgresDataSourceBuilder"/> over an immutable
/// <see cref="NpgsqlDataSource"/>, thread-safe and shared. Every operation takes a connection of its own from Npgsql's pool
/// and returns it when done. Writes are short READ COMMITTED transactions; PostgreSQL arbitrates writers of every process
/// (row locks, unique keys, <c>FOR UPDATE SKIP LOCKED</c>, advisory locks where an order matters), so there is no
/// in-process write lock: several servers write to one database at once.
/// </summary>
public sealed class PostgresDataSource : IDisposable, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private string? _engineVersion;

    // 1 once a connection opened: from then on a lost server is a restart or a network break to wait through, not a
    // wrong configuration to report at once
    private int _reached;

    internal PostgresDataSource(NpgsqlDataSource dataSource, string location)
    {
        _dataSource = dataSource;
        Location = location;
    }

    /// <summary>Where the database is, without user or password (e.g. <c>postgresql://db1:5432/medhelm</c>).</summary>
    public string Location { get; }

    /// <summary>The server's version (e.g. "PostgreSQL 15.18"), asked once; every run records it.</summary>
    public string EngineVersion => _engineVersion ??= "PostgreSQL " + ReadScalar("SHOW server_version").Split(' ')[0];

    private string ReadScalar(string sql)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    /// <summary>Closes the pool's idle connections.</summary>
    public void Dispose() => _dataSource.Dispose();

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>An open connection (synchronously; migrations and version checks at start); the caller disposes it.</summary>
    internal NpgsqlConnection Open()
    {
        try
        {
            var connection = _dataSource.OpenConnection();
            Volatile.Write(ref _reached, 1);
            return connection;
        }
        catch (Exception e) when (Explain(e) is { } error)
        {
            throw error;
        }
    }

    /// <summary>An open connection; the caller disposes it.</summary>
    internal async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await OpenUnexplainedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Explain(e) is { } error)
        {
            throw error;
        }
    }

    private async Task<NpgsqlConnection> OpenUnexplainedAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _reached, 1);
        return connection;
    }

    /// <summary>
    /// Runs <paramref name="read"/> on a connection of its own, outside a transaction (each statement sees the last
    /// commit); a read that loses the server is run again (<see cref="ConnectionLossRetry"/>).
    /// </summary>
    internal async Task<T> ReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var retry = new ConnectionLossRetry(this);
        while (true)
        {
            try
            {
                await using var connection = await OpenUnexplainedAsync(cancellationToken).ConfigureAwait(false);
                return await read(connection, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (retry.Allows(e, cancellationToken))
            {
                await retry.PauseAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (Explain(e) is { } error)
            {
                throw error;
            }
        }
    }

    /// <summary>The rows of <paramref name="sql"/> (one parameter <c>@p</c>, text or null), each made by <paramref name="read"/>.</summary>
    internal Task<IReadOnlyList<T>> ReadListAsync<T>(string sql, string? parameter, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<T>>(
            async (connection, ct) =>
            {
                await using var command = new NpgsqlCommand(sql, connection);
                command.Parameters.Add(new NpgsqlParameter<string?>("p", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = parameter });
                return await PostgresSql.ReadAllAsync(command, read, ct).ConfigureAwait(false);
            },
            cancellationToken);

    /// <summary>The first row of <paramref name="sql"/> (parameter <c>@p</c>), or null.</summary>
    internal async Task<T?> ReadSingleOrNullAsync<T>(string sql, string parameter, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
        where T : class
    {
        var rows = await ReadListAsync(sql, parameter, read, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// Runs <paramref name="write"/> in one transaction on a connection of its own, committing when it returns and rolling
    /// back when it throws (a typed error included). A transaction PostgreSQL aborts to resolve a deadlock or a
    /// serialization failure between servers (SQLSTATE 40P01, 40001) is run again from the start, up to
    /// <see cref="MaxAttempts"/> times: <paramref name="write"/> must do all its work through the transaction it is given.
    /// A transaction that loses the server before its commit was sent (it was rolled back with the connection) is run
    /// again too (<see cref="ConnectionLossRetry"/>); one that loses it during the commit may have committed: when
    /// <paramref name="idempotent"/> (a second run changes nothing, e.g. the ledger's inserts of absent keys) it is
    /// simply run again, else its transaction id (taken first) is looked up once the server answers again
    /// (<see cref="CommitOutcomeAsync"/>): committed, its result is returned; aborted, it is run again. So an audit
    /// event appended while the server shuts down is stored once, not lost and not twice.
    /// </summary>
    internal async Task<T> WriteAsync<T>(Func<NpgsqlTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken, bool idempotent = false)
    {
        var retry = new ConnectionLossRetry(this);
        for (var attempt = 1; ; attempt++)
        {
            var committing = false;
            string? transactionId = null;
            T result = default!;
            try
            {
                await using var connection = await OpenUnexplainedAsync(cancellationToken).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                if (!idempotent)
                {
                    transactionId = await TransactionIdAsync(transaction, cancellationToken).ConfigureAwait(false);
                }

                result = await write(transaction, cancellationToken).ConfigureAwait(false);
                committing = true;
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                return result;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < MaxAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20) * attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (committing && !idempotent && transactionId is not null && retry.Allows(e, cancellationToken))
            {
                // the commit was sent, or was about to be, when the server went: did it commit?
                if (await CommitOutcomeAsync(transactionId, retry, cancellationToken).ConfigureAwait(false))
                {
                    return result;
                }
            }
            catch (Exception e) when ((!committing || idempotent) && retry.Allows(e, cancellationToken))
            {
                await retry.PauseAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (Explain(e) is { } error)
            {
                throw error;
            }
        }
    }

    /// <summary>The id PostgreSQL gives <paramref name="transaction"/> (assigned now), as text.</summary>
    private static async Task<string> TransactionIdAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_current_xact_id()::text", transaction.Connection, transaction);
        return (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Whether the transaction <paramref name="transactionId"/> committed (true) or was rolled back (false), asked of
    /// the server once it answers again (<c>pg_xact_status</c>, PostgreSQL 13 and later); one still in progress (its
    /// session not yet ended by a server that stays up) is asked again after a pause. Within
    /// <see cref="ConnectionLossWindow"/>: a server that stays away fails the write as any lost connection does.
    /// </summary>
    internal async Task<bool> CommitOutcomeAsync(string transactionId, CancellationToken cancellationToken) =>
        await CommitOutcomeAsync(transactionId, new ConnectionLossRetry(this), cancellationToken).ConfigureAwait(false);

    private async Task<bool> CommitOutcomeAsync(string transactionId, ConnectionLossRetry retry, CancellationToken cancellationToken)
    {
        while (true)
        {
            await retry.PauseAsync(cancellationToken).ConfigureAwait(false);
            string? status;
            try
            {
                await using var connection = await OpenUnexplainedAsync(cancellationToken).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT pg_xact_status(@xid::xid8)", connection);
                command.Parameters.Add(new NpgsqlParameter<string>("xid", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = transactionId });
                status = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
            }
            catch (Exception e) when (retry.Allows(e, cancellationToken))
            {
                continue;
            }
            catch (Exception e) when (Explain(e) is { } error)
            {
                throw error;
            }

            switch (status)
            {
                case "committed":
                    return true;
                case "aborted":
                    return false;
                case "in progress" when retry.Lasts(cancellationToken):
                    continue;
                default:
                    throw new InvalidOperationException(
                        $"The PostgreSQL server at {Location} lost the connection while a transaction committed, and its outcome is unknown ({status ?? "no status"}).");
            }
        }
    }

    /// <summary>How many times a write transaction aborted by a deadlock or serialization failure is tried.</summary>
    internal const int MaxAttempts = 5;

    /// <inheritdoc cref="WriteAsync{T}"/>
    internal Task WriteAsync(Func<NpgsqlTransaction, CancellationToken, Task> write, CancellationToken cancellationToken, bool idempotent = false) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                await write(transaction, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken,
            idempotent);

    /// <summary>
    /// A server that cannot be reached or refuses the login, as a typed error naming <see cref="Location"/> (never the
    /// password); null for other errors (constraint violations, cancellations), which pass unchanged.
    /// </summary>
    internal Exception? Explain(Exception e) => e switch
    {
        PostgresException { SqlState: "28P01" or "28000" } p =>
            new RequestValidationException($"The PostgreSQL server at {Location} refused the login ({p.MessageText}); check Storage:ConnectionString's Username and the password (Storage:PasswordFile or Storage:PasswordVariable)."),
        PostgresException { SqlState: "3D000" } =>
            new RequestValidationException($"The PostgreSQL database at {Location} does not exist; create it (createdb) or correct Storage:ConnectionString."),
        NpgsqlException { InnerException: SocketException or TimeoutException } or NpgsqlException { IsTransient: true, InnerException: IOException } =>
            new RequestValidationException($"The PostgreSQL server at {Location} cannot be reached ({e.InnerException!.Message}); is it running, and does Storage:ConnectionString name it?", e),
        _ => null,
    };

    /// <summary>
    /// How long an operation waits for a server it lost (a restart, a failover, a network break) before it fails:
    /// it is tried again after pauses growing from 100 ms to 5 s. Only once this process has reached the server: at
    /// start a server that cannot be reached is reported at once.
    /// </summary>
    internal static readonly TimeSpan ConnectionLossWindow = TimeSpan.FromSeconds(60);

    /// <summary>
    /// True for an error that says the connection to the server was lost or refused, not that the statement was wrong:
    /// the server shutting down or starting (SQLSTATE 57P01-57P03), a connection exception (class 08), or a broken or
    /// refused socket (Npgsql's transient errors that are not a server's answer).
    /// </summary>
    internal static bool IsConnectionLoss(Exception e) => e switch
    {
        PostgresException p => p.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            || p.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException n => n.IsTransient && n.InnerException is SocketException or IOException or TimeoutException or EndOfStreamException,
        _ => false,
    };

    /// <summary>One operation's retries after a lost server (<see cref="ConnectionLossWindow"/>).</summary>
    private sealed class ConnectionLossRetry(PostgresDataSource source)
    {
        private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();
        private int _pauses;

        public bool Allows(Exception e, CancellationToken cancellationToken) => IsConnectionLoss(e) && Lasts(cancellationToken);

        /// <summary>Whether this operation may still wait for the server (it was reached once, and the window lasts).</summary>
        public bool Lasts(CancellationToken cancellationToken) =>
            !cancellationToken.IsCancellationRequested && Volatile.Read(ref source._reached) != 0
            && System.Diagnostics.Stopwatch.GetElapsedTime(_started) < ConnectionLossWindow;

        public Task PauseAsync(CancellationToken cancellationToken)
        {
            source._dataSource.Clear(); // the pool's idle connections died with the server's sessions
            var pause = TimeSpan.FromMilliseconds(Math.Min(5000, 100 << Math.Min(_pauses++, 6)));
            return Task.Delay(pause, cancellationToken);
        }
    }
}
