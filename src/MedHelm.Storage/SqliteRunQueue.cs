using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using Microsoft.Data.Sqlite;
using static MedHelm.Storage.SqliteSql;

namespace MedHelm.Storage;

/// <summary>The service's durable run queue (table <c>run_queue</c>): each state change is one short write transaction.</summary>
public sealed class SqliteRunQueue : IRunQueue
{
    private const string Columns = "run_id, request_json, state, enqueued_utc, started_utc, finished_utc, error, requested_by";

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private readonly SqliteDataSource _dataSource;

    /// <summary>The queue of <paramref name="dataSource"/>.</summary>
    public SqliteRunQueue(SqliteDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    /// <inheritdoc />
    public Task EnqueueAsync(string runId, RunRequest request, string requestedBy, CancellationToken cancellationToken = default) =>
        QueueAsync(
            runId, request, requestedBy, "run_queued",
            async (transaction, ct) =>
            {
                using var exists = Command(transaction, "SELECT (SELECT COUNT(*) FROM run_queue WHERE run_id = $run) + (SELECT COUNT(*) FROM runs WHERE run_id = $run)");
                exists.Parameters.AddWithValue("$run", runId);
                if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) > 0)
                {
                    throw new ConflictException("A run with this id already exists; choose another id, or resume that run.");
                }
            },
            cancellationToken);

    /// <inheritdoc />
    public Task RequeueAsync(string runId, RunRequest request, string requestedBy, CancellationToken cancellationToken = default) =>
        QueueAsync(
            runId, request, requestedBy, "run_requeued",
            async (transaction, ct) =>
            {
                using var state = Command(transaction, "SELECT state FROM run_queue WHERE run_id = $run");
                state.Parameters.AddWithValue("$run", runId);
                if (await state.ExecuteScalarAsync(ct).ConfigureAwait(false) is string s && s is "queued" or "running")
                {
                    throw new ConflictException($"The run is {s}; only a run that ended can be resumed.");
                }
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<QueuedRun?> GetQueuedAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        return _dataSource.ReadSingleOrNullAsync($"SELECT {Columns} FROM run_queue WHERE run_id = $p", runId, Read, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<QueuedRun>> ListQueuedAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadListAsync($"SELECT {Columns} FROM run_queue ORDER BY enqueued_utc DESC, run_id", null, Read, cancellationToken);

    /// <inheritdoc />
    public Task<QueuedRun?> ClaimNextAsync(CancellationToken cancellationToken = default) =>
        _dataSource.WriteAsync<QueuedRun?>(
            async (transaction, ct) =>
            {
                QueuedRun? next;
                using (var select = Command(transaction, $"SELECT {Columns} FROM run_queue WHERE state = 'queued' ORDER BY enqueued_utc, run_id LIMIT 1"))
                using (var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false))
                {
                    next = await reader.ReadAsync(ct).ConfigureAwait(false) ? Read(reader) : null;
                }

                if (next is null)
                {
                    return null;
                }

                var now = DateTimeOffset.UtcNow;
                using var update = Command(transaction, "UPDATE run_queue SET state = 'running', started_utc = $now, finished_utc = NULL, error = NULL WHERE run_id = $run");
                update.Parameters.AddWithValue("$now", FormatTime(now));
                update.Parameters.AddWithValue("$run", next.RunId);
                await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                return next with { State = QueueState.Running, StartedUtc = now, FinishedUtc = null, Error = null };
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> RequeueInterruptedAsync(CancellationToken cancellationToken = default) =>
        _dataSource.WriteAsync<IReadOnlyList<string>>(
            async (transaction, ct) =>
            {
                var ids = new List<string>();
                using (var select = Command(transaction, "SELECT run_id FROM run_queue WHERE state = 'running' ORDER BY enqueued_utc"))
                using (var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        ids.Add(reader.GetString(0));
                    }
                }

                foreach (var id in ids)
                {
                    using var update = Command(transaction, "UPDATE run_queue SET state = 'queued' WHERE run_id = $run");
                    update.Parameters.AddWithValue("$run", id);
                    await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    await SqliteAuditLog.InsertAsync(transaction, id, "run_interrupted_requeued", "{}", ct).ConfigureAwait(false);
                }

                return ids;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task FinishAsync(string runId, QueueState state, string? error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                using var update = Command(transaction, "UPDATE run_queue SET state = $state, finished_utc = $now, error = $error WHERE run_id = $run");
                update.Parameters.AddWithValue("$state", Name(state));
                update.Parameters.AddWithValue("$now", FormatTime(DateTimeOffset.UtcNow));
                update.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
                update.Parameters.AddWithValue("$run", runId);
                await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> TransitionAsync(string runId, QueueState from, QueueState to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                using var update = Command(transaction, "UPDATE run_queue SET state = $to, finished_utc = $now WHERE run_id = $run AND state = $from");
                update.Parameters.AddWithValue("$to", Name(to));
                update.Parameters.AddWithValue("$from", Name(from));
                update.Parameters.AddWithValue("$now", FormatTime(DateTimeOffset.UtcNow));
                update.Parameters.AddWithValue("$run", runId);
                return await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
            },
            cancellationToken);
    }

    /// <summary>Checks (<paramref name="check"/> throws to refuse) and stores the run as queued, with its audit row, in one transaction.</summary>
    private Task QueueAsync(
        string runId, RunRequest request, string requestedBy, string auditEvent, Func<SqliteTransaction, CancellationToken, Task> check, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ArgumentNullException.ThrowIfNull(request);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                await check(transaction, ct).ConfigureAwait(false);
                await UpsertAsync(transaction, runId, request, requestedBy, auditEvent, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    private static async Task UpsertAsync(SqliteTransaction transaction, string runId, RunRequest request, string requestedBy, string auditEvent, CancellationToken ct)
    {
        using var insert = Command(
            transaction,
            """
            INSERT INTO run_queue (run_id, request_json, state, enqueued_utc, requested_by) VALUES ($run, $request, 'queued', $now, $by)
            ON CONFLICT (run_id) DO UPDATE SET request_json = excluded.request_json, state = 'queued', enqueued_utc = excluded.enqueued_utc,
                started_utc = NULL, finished_utc = NULL, error = NULL, requested_by = excluded.requested_by
            """);
        insert.Parameters.AddWithValue("$run", runId);
        insert.Parameters.AddWithValue("$request", JsonSerializer.Serialize(request, JsonOptions));
        insert.Parameters.AddWithValue("$now", FormatTime(DateTimeOffset.UtcNow));
        insert.Parameters.AddWithValue("$by", requestedBy);
        await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await SqliteAuditLog.InsertAsync(transaction, runId, auditEvent, JsonSerializer.Serialize(new { requested_by = requestedBy }), ct).ConfigureAwait(false);
    }

    private static QueuedRun Read(SqliteDataReader reader) => new(
        reader.GetString(0),
        JsonSerializer.Deserialize<RunRequest>(reader.GetString(1), JsonOptions)
            ?? throw new InvalidDataException($"run_queue row '{reader.GetString(0)}' holds no request."),
        Enum.Parse<QueueState>(reader.GetString(2), ignoreCase: true),
        ParseTime(reader.GetString(3)),
        reader.IsDBNull(4) ? null : ParseTime(reader.GetString(4)),
        reader.IsDBNull(5) ? null : ParseTime(reader.GetString(5)),
        NullableString(reader, 6),
        reader.GetString(7));

    private static string Name(QueueState state) => state.ToString().ToLowerInvariant();
}
