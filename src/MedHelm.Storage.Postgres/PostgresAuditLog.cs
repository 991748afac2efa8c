using System.Data;
using MedHelm.Application.Ports;
using Npgsql;
using static MedHelm.Storage.Postgres.PostgresSql;

namespace MedHelm.Storage.Postgres;

/// <summary>The append-only audit table (its triggers refuse updates, deletes and truncation) and its chain.</summary>
/// <param name="dataSource">The database.</param>
public sealed class PostgresAuditLog(PostgresDataSource dataSource) : IAuditLog
{
    private readonly PostgresDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <inheritdoc />
    public Task AppendAuditAsync(string? runId, string eventName, string detailJson = "{}", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        ArgumentNullException.ThrowIfNull(detailJson);
        return _dataSource.WriteAsync((transaction, ct) => InsertAsync(transaction, runId, eventName, detailJson, ct), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEvent>> GetAuditAsync(string? runId, CancellationToken cancellationToken = default) =>
        _dataSource.ReadListAsync(
            "SELECT id, at_utc, run_id, event, detail_json FROM audit WHERE @p IS NULL OR run_id = @p ORDER BY id",
            runId,
            reader => new AuditEvent(reader.GetInt64(0), ParseTime(reader.GetString(1)), NullableString(reader, 2), reader.GetString(3), reader.GetString(4)),
            cancellationToken);

    /// <summary>Appends an event inside another store's write transaction (e.g. with the change it records), and links it.</summary>
    internal static async Task InsertAsync(NpgsqlTransaction transaction, string? runId, string eventName, string detailJson, CancellationToken cancellationToken)
    {
        await PostgresAuditChain.LockAsync(transaction, cancellationToken).ConfigureAwait(false);
        await using (var command = Command(transaction, "INSERT INTO audit (at_utc, run_id, event, detail_json) VALUES (@now, @run, @event, @detail)")
            .With("now", Now()).WithText("run", runId).With("event", eventName).With("detail", detailJson))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await PostgresAuditChain.ExtendAsync(transaction, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<AuditChainVerification> VerifyAuditChainAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadAsync(
            async (connection, ct) =>
            {
                // one snapshot: rows appended meanwhile are not half-seen
                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
                return await PostgresAuditChain.VerifyAsync(transaction, ct).ConfigureAwait(false);
            },
            cancellationToken);
}
