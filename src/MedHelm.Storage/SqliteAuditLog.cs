using MedHelm.Application.Ports;
using Microsoft.Data.Sqlite;
using static MedHelm.Storage.SqliteSql;

namespace MedHelm.Storage;

/// <summary>The append-only audit table (its triggers refuse updates and deletes).</summary>
public sealed class SqliteAuditLog : IAuditLog
{
    private readonly SqliteDataSource _dataSource;

    /// <summary>The audit log of <paramref name="dataSource"/>.</summary>
    public SqliteAuditLog(SqliteDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    /// <inheritdoc />
    public Task AppendAuditAsync(string? runId, string eventName, string detailJson = "{}", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        ArgumentNullException.ThrowIfNull(detailJson);
        return _dataSource.WriteAsync((transaction, ct) => InsertAsync(transaction, runId, eventName, detailJson, ct), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEvent>> GetAuditAsync(string? runId, CancellationToken cancellationToken = default) =>
        _dataSource.ReadAsync<IReadOnlyList<AuditEvent>>(
            async (connection, ct) =>
            {
                using var command = Command(connection, "SELECT id, at_utc, run_id, event, detail_json FROM audit WHERE $run IS NULL OR run_id = $run ORDER BY id");
                command.Parameters.AddWithValue("$run", (object?)runId ?? DBNull.Value);
                var list = new List<AuditEvent>();
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    list.Add(new AuditEvent(reader.GetInt64(0), ParseTime(reader.GetString(1)), NullableString(reader, 2), reader.GetString(3), reader.GetString(4)));
                }

                return list;
            },
            cancellationToken);

    /// <summary>Appends an event inside another store's write transaction (e.g. with the model it records).</summary>
    internal static async Task InsertAsync(SqliteTransaction transaction, string? runId, string eventName, string detailJson, CancellationToken cancellationToken)
    {
        using var command = Command(transaction, "INSERT INTO audit (at_utc, run_id, event, detail_json) VALUES ($now, $run, $event, $detail)");
        command.Parameters.AddWithValue("$now", FormatTime(DateTimeOffset.UtcNow));
        command.Parameters.AddWithValue("$run", (object?)runId ?? DBNull.Value);
        command.Parameters.AddWithValue("$event", eventName);
        command.Parameters.AddWithValue("$detail", detailJson);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        AuditChain.Extend(transaction);
    }

    /// <inheritdoc />
    public Task<AuditChainVerification> VerifyAuditChainAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadAsync(
            (connection, ct) =>
            {
                // one snapshot: rows appended meanwhile are not half-seen
                using var transaction = connection.BeginTransaction(deferred: true);
                return Task.FromResult(AuditChain.Verify(transaction, ct));
            },
            cancellationToken);
}
