using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Application.Ports;
using Npgsql;
using static MedHelm.Storage.Postgres.PostgresSql;

namespace MedHelm.Storage.Postgres;

/// <summary>API tokens (table <c>api_tokens</c>): the secret's SHA-256 only; each creation and revocation is audited in the same transaction.</summary>
/// <param name="dataSource">The database.</param>
public sealed class PostgresApiTokenStore(PostgresDataSource dataSource) : IApiTokenStore
{
    private const string Columns = "id, name, role, secret_sha256, created_utc, revoked_utc";

    private readonly PostgresDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <inheritdoc />
    public Task AddTokenAsync(StoredApiToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        var role = token.Role.ToString().ToLowerInvariant();
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                await using (var insert = Command(
                    transaction,
                    "INSERT INTO api_tokens (id, name, role, secret_sha256, created_utc) VALUES (@id, @name, @role, @hash, @at) ON CONFLICT (id) DO NOTHING")
                    .With("id", token.Id).With("name", token.Name).With("role", role).With("hash", token.SecretSha256).With("at", FormatTime(token.CreatedUtc)))
                {
                    if (await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                    {
                        throw new ConflictException("A token with this id exists already.");
                    }
                }

                await PostgresAuditLog.InsertAsync(transaction, null, "token_created", JsonSerializer.Serialize(new { id = token.Id, name = token.Name, role }), ct)
                    .ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<StoredApiToken?> FindTokenAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _dataSource.ReadSingleOrNullAsync($"SELECT {Columns} FROM api_tokens WHERE id = @p", id, Read, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredApiToken>> ListTokensAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadListAsync($"SELECT {Columns} FROM api_tokens ORDER BY created_utc, id COLLATE \"C\"", null, Read, cancellationToken);

    /// <inheritdoc />
    public Task<bool> RevokeTokenAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                await using (var update = Command(transaction, "UPDATE api_tokens SET revoked_utc = @now WHERE id = @id AND revoked_utc IS NULL").With("now", Now()).With("id", id))
                {
                    if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                    {
                        return false;
                    }
                }

                await PostgresAuditLog.InsertAsync(transaction, null, "token_revoked", JsonSerializer.Serialize(new { id }), ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    private static StoredApiToken Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), Enum.Parse<AccessRole>(reader.GetString(2), ignoreCase: true), reader.GetString(3),
        ParseTime(reader.GetString(4)), NullableTime(reader, 5));
}
