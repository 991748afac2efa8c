using MedHelm.Application.Ports;
using Npgsql;
using static MedHelm.Storage.Postgres.PostgresSql;

namespace MedHelm.Storage.Postgres;

/// <summary>
/// The <c>models</c> table: each model's recorded identity (written by every run for the models it uses) and the model
/// registry's fields (header facts, trust, who), as SQLite's model store keeps them. Every write is audited in its own
/// transaction; a registration reads the row it checks with <c>FOR UPDATE</c>, so two servers registering one name at
/// once cannot both pass the check.
/// </summary>
/// <param name="dataSource">The database.</param>
internal sealed class PostgresModelStore(PostgresDataSource dataSource)
{
    private const string Columns =
        "name, path, sha256, size_bytes, architecture, quantization, parameters, context_length, chat_template_sha256, chat_template_family, " +
        "license, trust, registered_by, registered_utc";

    private static readonly string[] RegistryColumns = ["context_length", "chat_template_sha256", "chat_template_family", "license", "trust", "registered_by"];

    /// <summary>A run's record (trust NULL) keeps the registry's fields while the file is the same; a new file clears them; a registration sets them.</summary>
    private static readonly string UpsertSql =
        $"""
        INSERT INTO models ({Columns})
        VALUES (@name, @path, @sha, @size, @arch, @quant, @params, @context, @template_sha, @template_family, @license, @trust, @by, @now)
        ON CONFLICT (name) DO UPDATE SET
            {string.Join(", ", RegistryColumns.Select(c => $"{c} = CASE WHEN excluded.sha256 IS DISTINCT FROM models.sha256 THEN excluded.{c} ELSE COALESCE(excluded.{c}, models.{c}) END"))},
            registered_utc = CASE WHEN excluded.trust IS NOT NULL AND models.trust IS NULL THEN excluded.registered_utc ELSE models.registered_utc END,
            path = excluded.path, sha256 = excluded.sha256, size_bytes = excluded.size_bytes,
            architecture = excluded.architecture, quantization = excluded.quantization, parameters = excluded.parameters
        """;

    private readonly PostgresDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <inheritdoc cref="IRunStore.RegisterModelAsync"/>
    public Task RegisterAsync(StoredModel model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(model.Name);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                if (model.Trust is not null && await ReadForUpdateAsync(transaction, model.Name, ct).ConfigureAwait(false) is { } existing
                    && !string.Equals(existing.Sha256, model.Sha256, StringComparison.Ordinal))
                {
                    throw ModelRegistryRecords.NameTaken(model.Name, existing);
                }

                await using (var command = Command(transaction, UpsertSql)
                    .WithText("name", model.Name).WithText("path", model.Path).WithText("sha", model.Sha256).With("size", model.SizeBytes)
                    .WithText("arch", model.Architecture).WithText("quant", model.Quantization).With("params", model.Parameters)
                    .With("context", model.ContextLength).WithText("template_sha", model.ChatTemplateSha256).WithText("template_family", model.ChatTemplateFamily)
                    .WithText("license", model.License).WithText("trust", model.Trust is { } trust ? ModelTrustNames.Of(trust) : null)
                    .WithText("by", model.RegisteredBy).With("now", FormatTime(model.RecordedUtc ?? DateTimeOffset.UtcNow)))
                {
                    await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                await PostgresAuditLog.InsertAsync(transaction, null, "model_registered", ModelRegistryRecords.RegisteredDetail(model), ct).ConfigureAwait(false);
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
                var existing = await ReadForUpdateAsync(transaction, name, ct).ConfigureAwait(false);
                if (existing is not { IsRegistered: true })
                {
                    return null;
                }

                bool keep;
                await using (var used = Command(transaction, "SELECT EXISTS (SELECT 1 FROM run_completions WHERE model = @name)").With("name", name))
                {
                    keep = await used.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
                }

                await using (var change = Command(
                    transaction, keep ? "UPDATE models SET trust = NULL, registered_by = NULL WHERE name = @name" : "DELETE FROM models WHERE name = @name").With("name", name))
                {
                    await change.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                var detail = ModelRegistryRecords.RemovedDetail(name, existing, removedBy, keep);
                await PostgresAuditLog.InsertAsync(transaction, null, "model_removed", detail, ct).ConfigureAwait(false);
                return existing;
            },
            cancellationToken);
    }

    /// <summary>The recorded model, or null.</summary>
    public Task<StoredModel?> GetAsync(string name, CancellationToken cancellationToken) =>
        _dataSource.ReadSingleOrNullAsync($"SELECT {Columns} FROM models WHERE name = @p", name ?? throw new ArgumentNullException(nameof(name)), Read, cancellationToken);

    /// <summary>Every recorded model, by name.</summary>
    public Task<IReadOnlyList<StoredModel>> ListAsync(CancellationToken cancellationToken) =>
        _dataSource.ReadListAsync($"SELECT {Columns} FROM models ORDER BY name COLLATE \"C\"", null, Read, cancellationToken);

    private static async Task<StoredModel?> ReadForUpdateAsync(NpgsqlTransaction transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = Command(transaction, $"SELECT {Columns} FROM models WHERE name = @name FOR UPDATE").With("name", name);
        var rows = await ReadAllAsync(command, Read, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private static StoredModel Read(NpgsqlDataReader reader) =>
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
