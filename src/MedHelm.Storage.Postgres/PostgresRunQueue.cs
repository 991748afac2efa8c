using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using Npgsql;
using static MedHelm.Storage.Postgres.PostgresSql;

namespace MedHelm.Storage.Postgres;

/// <summary>
/// The durable run queue (table <c>run_queue</c>), shared by every server on the database: a run is claimed by exactly one
/// (<c>FOR UPDATE SKIP LOCKED</c>), and enqueueing or requeueing is one conditional statement, so two servers cannot both
/// queue one id.
/// </summary>
/// <param name="dataSource">The database.</param>
public sealed class PostgresRunQueue(PostgresDataSource dataSource) : IRunQueue
{
    private const string Columns = "run_id, request_json, state, enqueued_utc, started_utc, finished_utc, error, requested_by";

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private readonly PostgresDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <inheritdoc />
    public Task EnqueueAsync(string runId, RunRequest request, string requestedBy, CancellationToken cancellationToken = default) =>
        QueueAsync(
            runId, request, requestedBy, "run_queued",
            """
            INSERT INTO run_queue (run_id, request_json, state, enqueued_utc, requested_by)
            SELECT @run, @request, 'queued', @now, @by WHERE NOT EXISTS (SELECT 1 FROM runs WHERE run_id = @run)
            ON CONFLICT (run_id) DO NOTHING
            """,
            _ => "A run with this id already exists; choose another id, or resume that run.",
            cancellationToken);

    /// <inheritdoc />
    public Task RequeueAsync(string runId, RunRequest request, string requestedBy, CancellationToken cancellationToken = default) =>
        QueueAsync(
            runId, request, requestedBy, "run_requeued",
            """
            INSERT INTO run_queue (run_id, request_json, state, enqueued_utc, requested_by) VALUES (@run, @request, 'queued', @now, @by)
            ON CONFLICT (run_id) DO UPDATE SET request_json = excluded.request_json, state = 'queued', enqueued_utc = excluded.enqueued_utc,
                started_utc = NULL, finished_utc = NULL, error = NULL, requested_by = excluded.requested_by
            WHERE run_queue.state NOT IN ('queued', 'running')
            """,
            state => $"The run is {state}; only a run that ended can be resumed.",
            cancellationToken);

    /// <inheritdoc />
    public Task<QueuedRun?> GetQueuedAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        return _dataSource.ReadSingleOrNullAsync($"SELECT {Columns} FROM run_queue WHERE run_id = @p", runId, Read, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<QueuedRun>> ListQueuedAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadListAsync($"SELECT {Columns} FROM run_queue ORDER BY enqueued_utc DESC, run_id COLLATE \"C\"", null, Read, cancellationToken);

    /// <inheritdoc />
    public Task<QueuedRun?> ClaimNextAsync(CancellationToken cancellationToken = default) =>
        _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                await using var claim = Command(
                    transaction,
                    $"""
                    UPDATE run_queue SET state = 'running', started_utc = @now, finished_utc = NULL, error = NULL
                    WHERE run_id = (
                        SELECT run_id FROM run_queue WHERE state = 'queued' ORDER BY enqueued_utc, run_id COLLATE "C" LIMIT 1 FOR UPDATE SKIP LOCKED)
                    RETURNING {Columns}
                    """).With("now", Now());
                var claimed = await ReadAllAsync(claim, Read, ct).ConfigureAwait(false);
                return claimed.Count == 0 ? null : claimed[0];
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> RequeueInterruptedAsync(CancellationToken cancellationToken = default) =>
        _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                await using var select = Command(transaction, "SELECT run_id FROM run_queue WHERE state = 'running' ORDER BY enqueued_utc, run_id FOR UPDATE");
                var ids = new List<string>();
                foreach (var id in await ReadAllAsync(select, r => r.GetString(0), ct).ConfigureAwait(false))
                {
                    // a run another server is executing holds its lock (PostgresRunHolds): it is not interrupted, it stays
                    // running there (a server that starts must not take the runs of the others that live)
                    await using var free = Command(transaction, "SELECT pg_try_advisory_xact_lock(@key)").With("key", PostgresRunHolds.Key(id));
                    if (await free.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true)
                    {
                        continue;
                    }

                    await using var update = Command(transaction, "UPDATE run_queue SET state = 'queued' WHERE run_id = @run").With("run", id);
                    await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    await PostgresAuditLog.InsertAsync(transaction, id, "run_interrupted_requeued", "{}", ct).ConfigureAwait(false);
                    ids.Add(id);
                }

                return (IReadOnlyList<string>)ids;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task FinishAsync(string runId, QueueState state, string? error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                await using var update = Command(transaction, "UPDATE run_queue SET state = @state, finished_utc = @now, error = @error WHERE run_id = @run")
                    .With("state", Name(state)).With("now", Now()).WithText("error", error).With("run", runId);
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
                await using var update = Command(transaction, "UPDATE run_queue SET state = @to, finished_utc = @now WHERE run_id = @run AND state = @from")
                    .With("to", Name(to)).With("from", Name(from)).With("now", Now()).With("run", runId);
                return await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
            },
            cancellationToken);
    }

    /// <summary>
    /// Stores the run as queued with <paramref name="upsert"/> (which changes no row when the run may not be queued:
    /// then <paramref name="refusal"/>, given the run's current state, is the conflict's message), and its audit row.
    /// </summary>
    private Task QueueAsync(
        string runId, RunRequest request, string requestedBy, string auditEvent, string upsert, Func<string?, string> refusal, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ArgumentNullException.ThrowIfNull(request);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                await using (var insert = Command(transaction, upsert)
                    .With("run", runId).With("request", JsonSerializer.Serialize(request, JsonOptions)).With("now", Now()).With("by", requestedBy))
                {
                    if (await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                    {
                        throw new ConflictException(refusal(await StateAsync(transaction, runId, ct).ConfigureAwait(false)));
                    }
                }

                await PostgresAuditLog.InsertAsync(transaction, runId, auditEvent, JsonSerializer.Serialize(new { requested_by = requestedBy }), ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    private static async Task<string?> StateAsync(NpgsqlTransaction transaction, string runId, CancellationToken ct)
    {
        await using var state = Command(transaction, "SELECT state FROM run_queue WHERE run_id = @run").With("run", runId);
        return await state.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }

    private static QueuedRun Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        JsonSerializer.Deserialize<RunRequest>(reader.GetString(1), JsonOptions)
            ?? throw new InvalidDataException($"run_queue row '{reader.GetString(0)}' holds no request."),
        Enum.Parse<QueueState>(reader.GetString(2), ignoreCase: true),
        ParseTime(reader.GetString(3)),
        NullableTime(reader, 4),
        NullableTime(reader, 5),
        NullableString(reader, 6),
        reader.GetString(7));

    private static string Name(QueueState state) => state.ToString().ToLowerInvariant();
}
