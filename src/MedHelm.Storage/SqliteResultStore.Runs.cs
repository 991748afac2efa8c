using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedHelm.Core.Catalog;
using MedHelm.Application.Ports;
using MedHelm.Evaluation.Results;

namespace MedHelm.Storage;

public sealed partial class SqliteResultStore
{
    /// <summary>Source path recorded for the bundled excerpts a run stores (not counted as imports).</summary>
    public const string BundledSourcePrefix = "bundled:";

    /// <summary>
    /// The latest import of <paramref name="benchmark"/> made with <c>datasets import</c> (not a bundled excerpt
    /// stored by a run, not a fingerprint without instances), or the import with hash <paramref name="sourceSha256"/>;
    /// null when there is none.
    /// </summary>
    public async Task<StoredImport?> GetImportAsync(string benchmark, string? sourceSha256 = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string sha;
            string? path;
            string? definition;
            using (var command = ReadCommand(
                """
                SELECT source_sha256, source_path, definition_json FROM datasets
                WHERE benchmark = $b AND access IS NOT NULL
                  AND (($s IS NULL AND COALESCE(source_path, '') NOT LIKE 'bundled:%') OR source_sha256 = $s)
                ORDER BY imported_utc DESC LIMIT 1
                """))
            {
                command.Parameters.AddWithValue("$b", benchmark);
                command.Parameters.AddWithValue("$s", (object?)sourceSha256 ?? DBNull.Value);
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                sha = reader.GetString(0);
                path = NullableString(reader, 1);
                definition = NullableString(reader, 2);
            }

            return new StoredImport(benchmark, sha, path, await ReadInstancesAsync(benchmark, sha, cancellationToken).ConfigureAwait(false))
            {
                DefinitionJson = definition,
            };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The benchmarks with at least one import made with <c>datasets import</c>, by name.</summary>
    public async Task<IReadOnlyList<string>> ListImportedBenchmarksAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = ReadCommand(
                "SELECT DISTINCT benchmark FROM datasets WHERE access IS NOT NULL AND COALESCE(source_path, '') NOT LIKE 'bundled:%' ORDER BY benchmark");
            var list = new List<string>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(reader.GetString(0));
            }

            return list;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Records or updates a model's identity, with what its GGUF header says.</summary>
    public Task RegisterModelAsync(
        string name, string? path, string? sha256, long? sizeBytes, string? architecture, string? quantization, long? parameters,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return InTransactionAsync(
            async (transaction, ct) =>
            {
                using var command = Command(
                    transaction,
                    """
                    INSERT INTO models (name, path, sha256, size_bytes, registered_utc, architecture, quantization, parameters)
                    VALUES ($name, $path, $sha, $size, $now, $arch, $quant, $params)
                    ON CONFLICT (name) DO UPDATE SET path = excluded.path, sha256 = excluded.sha256, size_bytes = excluded.size_bytes,
                        architecture = excluded.architecture, quantization = excluded.quantization, parameters = excluded.parameters
                    """);
                command.Parameters.AddWithValue("$name", name);
                command.Parameters.AddWithValue("$path", (object?)path ?? DBNull.Value);
                command.Parameters.AddWithValue("$sha", (object?)sha256 ?? DBNull.Value);
                command.Parameters.AddWithValue("$size", (object?)sizeBytes ?? DBNull.Value);
                command.Parameters.AddWithValue("$now", FormatTime(DateTimeOffset.UtcNow));
                command.Parameters.AddWithValue("$arch", (object?)architecture ?? DBNull.Value);
                command.Parameters.AddWithValue("$quant", (object?)quantization ?? DBNull.Value);
                command.Parameters.AddWithValue("$params", (object?)parameters ?? DBNull.Value);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                await InsertAuditAsync(transaction, null, "model_registered", $$"""{"name":{{Json(name)}},"sha256":{{Json(sha256)}}}""", ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <summary>The recorded model, or null.</summary>
    public async Task<StoredModel?> GetModelAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = ReadCommand("SELECT name, path, sha256, size_bytes, architecture, quantization, parameters FROM models WHERE name = $name");
            command.Parameters.AddWithValue("$name", name);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            return new StoredModel(
                reader.GetString(0), NullableString(reader, 1), NullableString(reader, 2), NullableLong(reader, 3),
                NullableString(reader, 4), NullableString(reader, 5), NullableLong(reader, 6));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Appends an event to the audit table (which refuses updates and deletes).</summary>
    public Task AppendAuditAsync(string? runId, string eventName, string detailJson = "{}", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        ArgumentNullException.ThrowIfNull(detailJson);
        return InTransactionAsync((transaction, ct) => InsertAuditAsync(transaction, runId, eventName, detailJson, ct), cancellationToken);
    }

    /// <summary>The audit events of a run (or all when <paramref name="runId"/> is null), oldest first.</summary>
    public async Task<IReadOnlyList<AuditEvent>> GetAuditAsync(string? runId, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = ReadCommand("SELECT id, at_utc, run_id, event, detail_json FROM audit WHERE $run IS NULL OR run_id = $run ORDER BY id");
            command.Parameters.AddWithValue("$run", (object?)runId ?? DBNull.Value);
            var list = new List<AuditEvent>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(new AuditEvent(reader.GetInt64(0), ParseTime(reader.GetString(1)), NullableString(reader, 2), reader.GetString(3), reader.GetString(4)));
            }

            return list;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Every run, newest first, with its result counts.</summary>
    public async Task<IReadOnlyList<RunSummary>> ListRunsAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = ReadCommand(
                """
                SELECT r.run_id, r.status, r.started_utc, r.finished_utc, r.config_hash,
                       COUNT(l.request_id), COALESCE(SUM(l.origin = 'computed'), 0), COALESCE(SUM(l.origin = 'reused'), 0)
                FROM runs r LEFT JOIN run_completions l ON l.run_id = r.run_id
                GROUP BY r.run_id
                ORDER BY r.started_utc DESC, r.run_id
                """);
            var list = new List<RunSummary>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(new RunSummary(
                    reader.GetString(0),
                    Enum.Parse<RunStatus>(reader.GetString(1)),
                    ParseTime(reader.GetString(2)),
                    reader.IsDBNull(3) ? null : ParseTime(reader.GetString(3)),
                    reader.GetInt32(5),
                    reader.GetInt32(6),
                    reader.GetInt32(7),
                    reader.GetString(4)));
            }

            return list;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The scored instances of a run (main score, secondary statistics beside it), ordered by model, benchmark, instance and metric (a stable order to compare two
    /// runs by). Output text is included only when <paramref name="includeOutputs"/> (it may be patient data).
    /// </summary>
    public async Task<IReadOnlyList<RunResultRow>> GetRunResultsAsync(string runId, bool includeOutputs = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = ReadCommand(
                """
                SELECT l.model, l.benchmark, l.instance_id, q.request_key, l.origin, s.metric, s.value, c.output,
                       c.prompt_tokens, c.completion_tokens, c.elapsed_ms,
                       (SELECT json_group_object(x.metric, x.value) FROM scores x
                        WHERE x.run_id = l.run_id AND x.request_id = l.request_id AND x.is_main = 0)
                FROM run_completions l
                JOIN requests q ON q.id = l.request_id
                JOIN completions c ON c.request_id = l.request_id
                JOIN scores s ON s.run_id = l.run_id AND s.request_id = l.request_id AND s.is_main = 1
                WHERE l.run_id = $run
                ORDER BY l.model, l.benchmark, l.instance_id, s.metric
                """);
            command.Parameters.AddWithValue("$run", runId);
            var rows = new List<RunResultRow>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var output = reader.GetString(7);
                rows.Add(new RunResultRow(
                    reader.GetString(0),
                    reader.GetString(1),
                    reader.GetString(2),
                    reader.GetString(3),
                    reader.GetString(4),
                    reader.GetString(5),
                    reader.GetDouble(6),
                    Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(output))),
                    NullableLong(reader, 8),
                    NullableLong(reader, 9),
                    reader.GetDouble(10),
                    includeOutputs ? output : null)
                {
                    Secondary = reader.IsDBNull(11) ? new Dictionary<string, double>()
                        : JsonSerializer.Deserialize<Dictionary<string, double>>(reader.GetString(11)) ?? [],
                });
            }

            return rows;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static async Task InsertAuditAsync(
        Microsoft.Data.Sqlite.SqliteTransaction transaction, string? runId, string eventName, string detailJson, CancellationToken cancellationToken)
    {
        using var command = Command(transaction, "INSERT INTO audit (at_utc, run_id, event, detail_json) VALUES ($now, $run, $event, $detail)");
        command.Parameters.AddWithValue("$now", FormatTime(DateTimeOffset.UtcNow));
        command.Parameters.AddWithValue("$run", (object?)runId ?? DBNull.Value);
        command.Parameters.AddWithValue("$event", eventName);
        command.Parameters.AddWithValue("$detail", detailJson);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Json(string? value) => value is null ? "null" : System.Text.Json.JsonSerializer.Serialize(value);
}
