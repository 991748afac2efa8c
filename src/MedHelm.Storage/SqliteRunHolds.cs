using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedHelm.Evaluation.Results;
using static MedHelm.Storage.SqliteSql;

namespace MedHelm.Storage;

/// <summary>
/// Which running runs still have a live process: each live run holds an exclusive lock on a file of its own in the
/// folder "&lt;database&gt;.running" beside the database. The operating system releases the lock when the process ends,
/// however it ends (killed, crashed), so a run recorded as running whose file can be locked by another process has
/// lost its process: <see cref="MarkInterruptedAsync"/> marks it interrupted.
/// </summary>
public sealed class SqliteRunHolds
{
    private readonly SqliteDataSource _dataSource;

    /// <summary>The holds of the runs of <paramref name="dataSource"/>.</summary>
    public SqliteRunHolds(SqliteDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    /// <summary>The folder of the lock files.</summary>
    public string Folder => _dataSource.Path + ".running";

    /// <summary>Takes the run's lock; fails (naming the run) when another process holds it: the run is being executed there.</summary>
    /// <exception cref="Application.Errors.ConflictException">Another process is executing the run.</exception>
    public Task<IAsyncDisposable> HoldAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        cancellationToken.ThrowIfCancellationRequested();
        Directory.CreateDirectory(Folder);
        var lockFile = TryLock(runId, FileMode.OpenOrCreate)
            ?? throw new Application.Errors.ConflictException($"Run {runId} is being executed by another process (its lock {LockPath(runId)} is held).");
        return Task.FromResult<IAsyncDisposable>(new Hold(lockFile, LockPath(runId)));
    }

    /// <summary>Marks each running run whose lock is free as interrupted (one audit entry each); returns their ids.</summary>
    public async Task<IReadOnlyList<string>> MarkInterruptedAsync(CancellationToken cancellationToken = default)
    {
        var running = await _dataSource.ReadAsync<IReadOnlyList<string>>(
            async (connection, ct) =>
            {
                using var command = Command(connection, "SELECT run_id FROM runs WHERE status = $running ORDER BY started_utc");
                command.Parameters.AddWithValue("$running", nameof(RunStatus.Running));
                var ids = new List<string>();
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    ids.Add(reader.GetString(0));
                }

                return ids;
            },
            cancellationToken).ConfigureAwait(false);

        var interrupted = new List<string>();
        foreach (var runId in running)
        {
            // A live run's process holds its lock file from before the run is saved as running until after it is saved
            // as finished. No file, or a file we can lock ourselves, means no live process; keep our lock while the row
            // changes so a resume starting at the same moment waits for the row rather than racing it.
            var path = LockPath(runId);
            var probe = File.Exists(path) ? TryLock(runId, FileMode.Open) : null;
            if (probe is null && File.Exists(path))
            {
                continue;
            }

            using var release = new DeleteOnDispose(probe, path);
            var changed = await _dataSource.WriteAsync(
                async (transaction, ct) =>
                {
                    using var command = Command(transaction, "UPDATE runs SET status = $interrupted WHERE run_id = $run AND status = $running");
                    command.Parameters.AddWithValue("$interrupted", nameof(RunStatus.Interrupted));
                    command.Parameters.AddWithValue("$running", nameof(RunStatus.Running));
                    command.Parameters.AddWithValue("$run", runId);
                    var rows = await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    if (rows > 0)
                    {
                        await SqliteAuditLog.InsertAsync(transaction, runId, "run_interrupted", JsonSerializer.Serialize(new { reason = "its process ended while the run was running" }), ct).ConfigureAwait(false);
                    }

                    return rows > 0;
                },
                cancellationToken).ConfigureAwait(false);
            if (changed)
            {
                interrupted.Add(runId);
            }
        }

        return interrupted;
    }

    /// <summary>The lock file of a run (named by a hash of its id, which may hold any character).</summary>
    public string LockPath(string runId) =>
        Path.Combine(Folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(runId)))[..32] + ".lock");

    /// <summary>The lock file opened exclusively (an advisory lock on Unix, a share lock on Windows), or null when held elsewhere.</summary>
    private FileStream? TryLock(string runId, FileMode mode)
    {
        try
        {
            return new FileStream(LockPath(runId), mode, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Deletes the lock file while still holding it (no other process can find it free in between), then releases it.</summary>
    private sealed class DeleteOnDispose(FileStream? lockFile, string path) : IDisposable
    {
        public void Dispose()
        {
            if (lockFile is null)
            {
                return;
            }

            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // Left behind: a later probe locks it and finds the run no longer running; nothing depends on the file.
            }

            lockFile.Dispose();
        }
    }

    private sealed class Hold(FileStream lockFile, string path) : IAsyncDisposable
    {
        private readonly DeleteOnDispose _release = new(lockFile, path);

        public ValueTask DisposeAsync()
        {
            _release.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
