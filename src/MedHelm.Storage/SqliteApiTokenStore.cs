using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Application.Ports;
using Microsoft.Data.Sqlite;
using static MedHelm.Storage.SqliteSql;

namespace MedHelm.Storage;

/// <summary>API tokens (table <c>api_tokens</c>): the secret's SHA-256 only; each creation is audited in the same transaction.</summary>
public sealed class SqliteApiTokenStore : IApiTokenStore
{
    private const string Columns = "id, name, role, secret_sha256, created_utc, revoked_utc";

    private readonly SqliteDataSource _dataSource;

    /// <summary>The tokens of <paramref name="dataSource"/>.</summary>
    public SqliteApiTokenStore(SqliteDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    /// <inheritdoc />
    public Task AddTokenAsync(StoredApiToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                using var insert = Command(
                    transaction,
                    "INSERT INTO api_tokens (id, name, role, secret_sha256, created_utc) VALUES ($id, $name, $role, $hash, $now) ON CONFLICT (id) DO NOTHING");
                insert.Parameters.AddWithValue("$id", token.Id);
                insert.Parameters.AddWithValue("$name", token.Name);
                insert.Parameters.AddWithValue("$role", token.Role.ToString().ToLowerInvariant());
                insert.Parameters.AddWithValue("$hash", token.SecretSha256);
                insert.Parameters.AddWithValue("$now", FormatTime(token.CreatedUtc));
                if (await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                {
                    throw new ConflictException("A token with this id exists already.");
                }

                await SqliteAuditLog.InsertAsync(
                    transaction, null, "token_created", JsonSerializer.Serialize(new { id = token.Id, name = token.Name, role = token.Role.ToString().ToLowerInvariant() }), ct)
                    .ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<StoredApiToken?> FindTokenAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _dataSource.ReadSingleOrNullAsync($"SELECT {Columns} FROM api_tokens WHERE id = $p", id, Read, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredApiToken>> ListTokensAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadListAsync($"SELECT {Columns} FROM api_tokens ORDER BY created_utc, id", null, Read, cancellationToken);

    /// <inheritdoc />
    public Task<bool> RevokeTokenAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                using var update = Command(transaction, "UPDATE api_tokens SET revoked_utc = $now WHERE id = $id AND revoked_utc IS NULL");
                update.Parameters.AddWithValue("$now", FormatTime(DateTimeOffset.UtcNow));
                update.Parameters.AddWithValue("$id", id);
                if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                {
                    return false;
                }

                await SqliteAuditLog.InsertAsync(transaction, null, "token_revoked", JsonSerializer.Serialize(new { id }), ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    private static StoredApiToken Read(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        Enum.Parse<AccessRole>(reader.GetString(2), ignoreCase: true),
        reader.GetString(3),
        ParseTime(reader.GetString(4)),
        reader.IsDBNull(5) ? null : ParseTime(reader.GetString(5)));
}
