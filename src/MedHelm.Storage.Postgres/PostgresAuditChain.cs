using System.Globalization;
using MedHelm.Application.Ports;
using Npgsql;
using static MedHelm.Storage.Postgres.PostgresSql;

namespace MedHelm.Storage.Postgres;

/// <summary>
/// The audit chain (table <c>audit_chain</c>, links as <see cref="AuditChainLink"/> computes them). Writers of every
/// process append under one transaction-scoped advisory lock (<see cref="LockAsync"/>, taken before the audit row is
/// inserted), so audit ids are given, and linked, in commit order.
/// </summary>
internal static class PostgresAuditChain
{
    private static readonly long AuditLock = LockKey("medhelm:audit");

    /// <summary>Waits for the audit lock (held until the transaction ends).</summary>
    public static async Task LockAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = Command(transaction, "SELECT pg_advisory_xact_lock(@key)").With("key", AuditLock);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Links every audit row after the last linked one, in id order (inside the caller's transaction, under the lock).</summary>
    public static async Task ExtendAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await LockAsync(transaction, cancellationToken).ConfigureAwait(false);
        string? previous = null;
        long last = 0;
        await using (var tail = Command(transaction, "SELECT audit_id, sha256 FROM audit_chain ORDER BY audit_id DESC LIMIT 1"))
        await using (var reader = await tail.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                (last, previous) = (reader.GetInt64(0), reader.GetString(1));
            }
        }

        var ids = new List<long>();
        var hashes = new List<string>();
        await using (var select = Command(transaction, "SELECT id, at_utc, run_id, event, detail_json FROM audit WHERE id > @last ORDER BY id").With("last", last))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                previous = Hash(previous, reader);
                ids.Add(reader.GetInt64(0));
                hashes.Add(previous);
            }
        }

        if (ids.Count > 0)
        {
            await using var insert = Command(transaction, "INSERT INTO audit_chain (audit_id, sha256) SELECT * FROM unnest(@ids, @hashes)")
                .With("ids", ids.ToArray()).With("hashes", hashes.ToArray());
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Walks every audit row and link in id order (one snapshot) and reports the first that does not hold.</summary>
    public static async Task<AuditChainVerification> VerifyAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using (var orphans = Command(transaction, "SELECT MIN(audit_id) FROM audit_chain WHERE audit_id NOT IN (SELECT id FROM audit)"))
        {
            if (await orphans.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long removed)
            {
                return new AuditChainVerification(0, removed, $"audit row {removed.ToString(CultureInfo.InvariantCulture)} was removed (its link remains)");
            }
        }

        await using var select = Command(
            transaction,
            "SELECT a.id, a.at_utc, a.run_id, a.event, a.detail_json, c.sha256 FROM audit a LEFT JOIN audit_chain c ON c.audit_id = a.id ORDER BY a.id");
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        string? previous = null;
        long checkedRows = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetInt64(0);
            var text = id.ToString(CultureInfo.InvariantCulture);
            if (reader.IsDBNull(5))
            {
                return new AuditChainVerification(checkedRows, id, $"audit row {text} has no link in the chain");
            }

            var stored = reader.GetString(5);
            if (!string.Equals(Hash(previous, reader), stored, StringComparison.Ordinal))
            {
                return new AuditChainVerification(
                    checkedRows, id, $"audit row {text} does not match its link (the row was changed, or a row or link before it was removed)");
            }

            previous = stored;
            checkedRows++;
        }

        return new AuditChainVerification(checkedRows, null, null);
    }

    private static string Hash(string? previous, NpgsqlDataReader row) =>
        AuditChainLink.Compute(previous, row.GetInt64(0), row.GetString(1), NullableString(row, 2), row.GetString(3), row.GetString(4));
}
