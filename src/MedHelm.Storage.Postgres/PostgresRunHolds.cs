using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Evaluation.Results;
using Npgsql;
using static MedHelm.Storage.Postgres.PostgresSql;

namespace MedHelm.Storage.Postgres;

/// <summary>
/// Which running runs still have a live process, on any server: a live run holds a session-level advisory lock
/// (<c>pg_try_advisory_lock</c>, keyed by a hash of its id) on a connection of its own. The server releases the lock when
/// that connection ends, however its process ends (killed, crashed, its server lost), so a run recorded as running whose
/// lock another session can take has lost its process: <see cref="MarkInterruptedAsync"/> marks it interrupted. (A pooler
/// in transaction mode between the servers and PostgreSQL would break session locks: connect directly or in session mode.)
/// </summary>
/// <param name="dataSource">The database.</param>
public sealed class PostgresRunHolds(PostgresDataSource dataSource)
{
    private readonly PostgresDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <summary>Takes the run's lock; fails (naming the run) when another session holds it: the run is being executed there.</summary>
    /// <exception cref="ConflictException">Another process (or another hold of this one) is executing the run.</exception>
    public async Task<IAsyncDisposable> HoldAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var connection = await _dataSource.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!await TryLockAsync(connection, runId, cancellationToken).ConfigureAwait(false))
            {
                throw new ConflictException($"Run {runId} is being executed by another process (its lock in {_dataSource.Location} is held).");
            }

            return new Hold(_dataSource, connection, runId);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Marks each running run whose lock is free as interrupted (one audit entry each); returns their ids.</summary>
    public async Task<IReadOnlyList<string>> MarkInterruptedAsync(CancellationToken cancellationToken = default)
    {
        var running = await _dataSource.ReadListAsync(
            "SELECT run_id FROM runs WHERE status = @p ORDER BY started_utc", nameof(RunStatus.Running), reader => reader.GetString(0), cancellationToken)
            .ConfigureAwait(false);
        if (running.Count == 0)
        {
            return [];
        }

        var interrupted = new List<string>();
        await using var probe = await _dataSource.OpenAsync(cancellationToken).ConfigureAwait(false);
        foreach (var runId in running)
        {
            // keep the lock while the row changes, so a resume starting at the same moment waits for the row rather than racing it
            if (!await TryLockAsync(probe, runId, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            try
            {
                if (await MarkAsync(runId, cancellationToken).ConfigureAwait(false))
                {
                    interrupted.Add(runId);
                }
            }
            finally
            {
                await UnlockAsync(probe, runId).ConfigureAwait(false);
            }
        }

        return interrupted;
    }

    private Task<bool> MarkAsync(string runId, CancellationToken cancellationToken) =>
        _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                await using var command = Command(transaction, "UPDATE runs SET status = @interrupted WHERE run_id = @run AND status = @running")
                    .With("interrupted", nameof(RunStatus.Interrupted)).With("running", nameof(RunStatus.Running)).With("run", runId);
                if (await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                {
                    return false;
                }

                await PostgresAuditLog.InsertAsync(
                    transaction, runId, "run_interrupted", JsonSerializer.Serialize(new { reason = "its process ended while the run was running" }), ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, string runId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, "SELECT pg_try_advisory_lock(@key)").With("key", Key(runId));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    private static async Task UnlockAsync(NpgsqlConnection connection, string runId)
    {
        await using var command = Command(connection, "SELECT pg_advisory_unlock(@key)").With("key", Key(runId));
        await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>How often a hold checks that its session (and so its lock) is still there.</summary>
    internal static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);

    /// <summary>The advisory lock key of a run's hold (also tried by the queue before it requeues a run left running).</summary>
    internal static long Key(string runId) => LockKey("medhelm:run:" + runId);

    /// <summary>
    /// A run's lock, kept while the run executes. The lock lives as long as its session: when the session is lost (the
    /// server restarted, the network broke) the lock is gone with it, so the hold checks its connection every
    /// <see cref="CheckInterval"/> and, once the server answers again, takes the lock again on a new connection; until
    /// then another process may find the run's lock free (and mark the run interrupted).
    /// </summary>
    private sealed class Hold : IAsyncDisposable
    {
        private readonly PostgresDataSource _dataSource;
        private readonly string _runId;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _watch;
        private NpgsqlConnection _connection;
        private int _disposed;

        public Hold(PostgresDataSource dataSource, NpgsqlConnection connection, string runId)
        {
            _dataSource = dataSource;
            _connection = connection;
            _runId = runId;
            _watch = Task.Run(WatchAsync);
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            await _stop.CancelAsync().ConfigureAwait(false);
            await _watch.ConfigureAwait(false);
            _stop.Dispose();
            try
            {
                await UnlockAsync(_connection, _runId).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // the connection is gone (broken or closed, e.g. by a server restart): the server released the lock with it
            }
            finally
            {
                await _connection.DisposeAsync().ConfigureAwait(false);
            }
        }

        private async Task WatchAsync()
        {
            using var timer = new PeriodicTimer(CheckInterval);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                {
                    try
                    {
                        await using var probe = Command(_connection, "SELECT 1");
                        await probe.ExecuteScalarAsync(_stop.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
                    {
                        await RetakeAsync().ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // disposed
            }
        }

        /// <summary>Takes the lock again on a new connection, if the server answers (else the next check tries again).</summary>
        private async Task RetakeAsync()
        {
            NpgsqlConnection? again = null;
            try
            {
                again = await _dataSource.OpenAsync(_stop.Token).ConfigureAwait(false);
                if (await TryLockAsync(again, _runId, _stop.Token).ConfigureAwait(false))
                {
                    (again, _connection) = (_connection, again);
                }
            }
            catch (Exception e) when (e is NpgsqlException or RequestValidationException or InvalidOperationException)
            {
                // still away
            }
            finally
            {
                if (again is not null)
                {
                    await again.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }
}
