using System.Globalization;
using MedHelm.Application.Ports;
using Microsoft.Data.Sqlite;
using static MedHelm.Storage.SqliteSql;

namespace MedHelm.Storage;

/// <summary>
/// The audit chain (table <c>audit_chain</c>): each audit row's SHA-256 over the previous row's hash and the row's own
/// id, time, run, event and details (as one JSON array, so no two rows hash alike by shifting text between fields). A
/// changed row, a removed row or a removed link breaks the chain from there on; <see cref="Verify"/> names the first.
/// </summary>
internal static class AuditChain
{
    /// <summary>Links every audit row after the last linked one, in id order (inside the caller's write transaction).</summary>
    public static void Extend(SqliteTransaction transaction)
    {
        string? previous = null;
        long last = 0;
        using (var tail = Command(transaction, "SELECT audit_id, sha256 FROM audit_chain ORDER BY audit_id DESC LIMIT 1"))
        using (var reader = tail.ExecuteReader())
        {
            if (reader.Read())
            {
                (last, previous) = (reader.GetInt64(0), reader.GetString(1));
            }
        }

        var rows = new List<(long Id, string Hash)>();
        using (var select = Command(transaction, "SELECT id, at_utc, run_id, event, detail_json FROM audit WHERE id > $last ORDER BY id"))
        {
            select.Parameters.AddWithValue("$last", last);
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                previous = Hash(previous, reader);
                rows.Add((reader.GetInt64(0), previous));
            }
        }

        using var insert = Prepared(transaction, "INSERT INTO audit_chain (audit_id, sha256) VALUES ($id, $sha)", "$id", "$sha");
        foreach (var (id, hash) in rows)
        {
            Set(insert, id, hash);
            insert.ExecuteNonQuery();
        }
    }

    /// <summary>Walks every audit row and link in id order and reports the first that does not hold.</summary>
    public static AuditChainVerification Verify(SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        using (var orphans = Command(transaction, "SELECT MIN(audit_id) FROM audit_chain WHERE audit_id NOT IN (SELECT id FROM audit)"))
        {
            if (orphans.ExecuteScalar() is long removed)
            {
                return new AuditChainVerification(0, removed, $"audit row {removed.ToString(CultureInfo.InvariantCulture)} was removed (its link remains)");
            }
        }

        using var select = Command(
            transaction,
            "SELECT a.id, a.at_utc, a.run_id, a.event, a.detail_json, c.sha256 FROM audit a LEFT JOIN audit_chain c ON c.audit_id = a.id ORDER BY a.id");
        using var reader = select.ExecuteReader();
        string? previous = null;
        long checkedRows = 0;
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var id = reader.GetInt64(0);
            if (reader.IsDBNull(5))
            {
                return new AuditChainVerification(checkedRows, id, $"audit row {id.ToString(CultureInfo.InvariantCulture)} has no link in the chain");
            }

            var stored = reader.GetString(5);
            if (!string.Equals(Hash(previous, reader), stored, StringComparison.Ordinal))
            {
                return new AuditChainVerification(
                    checkedRows, id, $"audit row {id.ToString(CultureInfo.InvariantCulture)} does not match its link (the row was changed, or a row or link before it was removed)");
            }

            previous = stored;
            checkedRows++;
        }

        return new AuditChainVerification(checkedRows, null, null);
    }

    /// <summary>The link of the row at the reader (columns id, at_utc, run_id, event, detail_json) after <paramref name="previous"/>.</summary>
    private static string Hash(string? previous, SqliteDataReader row) =>
        AuditChainLink.Compute(previous, row.GetInt64(0), row.GetString(1), row.IsDBNull(2) ? null : row.GetString(2), row.GetString(3), row.GetString(4));
}
