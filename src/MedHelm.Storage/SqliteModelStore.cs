using MedHelm.Application.Ports;
using Microsoft.Data.Sqlite;
using static MedHelm.Storage.SqliteSql;

namespace MedHelm.Storage;

/// <summary>
/// The <c>models</c> table: each model's recorded identity (written by every run for the models it uses) and the model
/// registry's fields (header facts, trust, who). Every write is audited in its own transaction.
/// </summary>
/// <param name="dataSource">The database.</param>
internal sealed class SqliteModelStore(SqliteDataSource dataSource)
{
    private const string Columns =
        "name, path, sha256, size_bytes, architecture, quantization, parameters, context_length, chat_template_sha256, chat_template_family, " +
        "license, trust, registered_by, registered_utc";

    /// <summary>The registry's columns beside the identity.</summary>
    private static readonly string[] RegistryColumns = ["context_length", "chat_template_sha256", "chat_template_family", "license", "trust", "registered_by"];

    /// <summary>
    /// A run's record (trust NULL) keeps the registry's fields while the file is the same; a new file under the name
    /// clears them (its registration described another file). A registration sets them.
    /// </summary>
    private static readonly string UpsertSql =
        $"""
        INSERT INTO models ({Columns})
        VALUES ($name, $path, $sha, $size, $arch, $quant, $params, $context, $template_sha, $template_family, $license, $trust, $by, $now)
        ON CONFLICT (name) DO UPDATE SET
            {string.Join(", ", RegistryColumns.Select(c => $"{c} = CASE WHEN excluded.sha256 IS NOT models.sha256 THEN excluded.{c} ELSE COALESCE(excluded.{c}, models.{c}) END"))},
            registered_utc = CASE WHEN excluded.trust IS NOT NULL AND models.trust IS NULL THEN excluded.registered_utc ELSE models.registered_utc END,
            path = excluded.path, sha256 = excluded.sha256, size_bytes = excluded.size_bytes,
            architecture = excluded.architecture, quantization = excluded.quantization, parameters = excluded.parameters
        """;

    private readonly SqliteDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <inheritdoc cref="IRunStore.RegisterModelAsync"/>
    public Task RegisterAsync(StoredModel model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(model.Name);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                if (model.Trust is not null && await ReadAsync(transaction, model.Name, ct).ConfigureAwait(false) is { } existing
                    && !string.Equals(existing.Sha256, model.Sha256, StringComparison.Ordinal))
                {
                    throw ModelRegistryRecords.NameTaken(model.Name, existing);
                }

                using var command = Command(transaction, UpsertSql);
                Bind(command, model);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                await SqliteAuditLog.InsertAsync(transaction, null, "model_registered", ModelRegistryRecords.RegisteredDetail(model), ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <inheritdoc cref="IRunStore.RemoveModelAsync"/>
    public Task<StoredModel?> RemoveAsync(string name, string removedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(removedBy);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                var existing = await ReadAsync(transaction, name, ct).ConfigureAwait(false);
                if (existing is not { IsRegistered: true })
                {
                    return null;
                }

                using var used = Command(transaction, "SELECT EXISTS (SELECT 1 FROM run_completions WHERE model = $name)");
                used.Parameters.AddWithValue("$name", name);
                var keep = Convert.ToInt64(await used.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) != 0;
                using var change = Command(
                    transaction,
                    keep ? "UPDATE models SET trust = NULL, registered_by = NULL WHERE name = $name" : "DELETE FROM models WHERE name = $name");
                change.Parameters.AddWithValue("$name", name);
                await change.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                var detail = ModelRegistryRecords.RemovedDetail(name, existing, removedBy, keep);
                await SqliteAuditLog.InsertAsync(transaction, null, "model_removed", detail, ct).ConfigureAwait(false);
                return existing;
            },
            cancellationToken);
    }

    /// <summary>The recorded model, or null.</summary>
    public Task<StoredModel?> GetAsync(string name, CancellationToken cancellationToken) =>
        _dataSource.ReadSingleOrNullAsync($"SELECT {Columns} FROM models WHERE name = $p", name ?? throw new ArgumentNullException(nameof(name)), Read, cancellationToken);

    /// <summary>Every recorded model, by name.</summary>
    public Task<IReadOnlyList<StoredModel>> ListAsync(CancellationToken cancellationToken) =>
        _dataSource.ReadListAsync($"SELECT {Columns} FROM models ORDER BY name", null, Read, cancellationToken);

    private static async Task<StoredModel?> ReadAsync(SqliteTransaction transaction, string name, CancellationToken cancellationToken)
    {
        using var command = Command(transaction, $"SELECT {Columns} FROM models WHERE name = $name");
        command.Parameters.AddWithValue("$name", name);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    private static void Bind(SqliteCommand command, StoredModel model)
    {
        object Value(object? value) => value ?? DBNull.Value;
        command.Parameters.AddWithValue("$name", model.Name);
        command.Parameters.AddWithValue("$path", Value(model.Path));
        command.Parameters.AddWithValue("$sha", Value(model.Sha256));
        command.Parameters.AddWithValue("$size", Value(model.SizeBytes));
        command.Parameters.AddWithValue("$arch", Value(model.Architecture));
        command.Parameters.AddWithValue("$quant", Value(model.Quantization));
        command.Parameters.AddWithValue("$params", Value(model.Parameters));
        command.Parameters.AddWithValue("$context", Value(model.ContextLength));
        command.Parameters.AddWithValue("$template_sha", Value(model.ChatTemplateSha256));
        command.Parameters.AddWithValue("$template_family", Value(model.ChatTemplateFamily));
        command.Parameters.AddWithValue("$license", Value(model.License));
        command.Parameters.AddWithValue("$trust", Value(model.Trust is { } trust ? ModelTrustNames.Of(trust) : null));
        command.Parameters.AddWithValue("$by", Value(model.RegisteredBy));
        command.Parameters.AddWithValue("$now", FormatTime(model.RecordedUtc ?? DateTimeOffset.UtcNow));
    }

    private static StoredModel Read(SqliteDataReader reader) =>
        new(reader.GetString(0), NullableString(reader, 1), NullableString(reader, 2), NullableLong(reader, 3), NullableString(reader, 4), NullableString(reader, 5), NullableLong(reader, 6))
        {
            ContextLength = NullableLong(reader, 7),
            ChatTemplateSha256 = NullableString(reader, 8),
            ChatTemplateFamily = NullableString(reader, 9),
            License = NullableString(reader, 10),
            Trust = ModelRegistryRecords.ParseStoredTrust(reader.GetString(0), NullableString(reader, 11)),
            RegisteredBy = NullableString(reader, 12),
            RecordedUtc = ParseTime(reader.GetString(13)),
        };
}
