using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Application.Ports;
using Npgsql;
using static MedHelm.Storage.Postgres.PostgresSql;

namespace MedHelm.Storage.Postgres;

/// <summary>
/// Local accounts (table <c>users</c>): password hashes only; each change and each login outcome is audited in the same
/// transaction as the change (never a password or hash). A failed login counts atomically (one UPDATE ... RETURNING), so
/// servers counting failures of one account at once lose none.
/// </summary>
/// <param name="dataSource">The database.</param>
public sealed class PostgresUserStore(PostgresDataSource dataSource) : IUserStore
{
    private const string Columns = "name, role, password_hash, security_stamp, failed_attempts, locked_until_utc, disabled, created_utc, last_login_utc";

    private readonly PostgresDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <inheritdoc />
    public Task AddUserAsync(StoredUser user, string who, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(who);
        var role = user.Role.ToString().ToLowerInvariant();
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                await using (var insert = Command(
                    transaction,
                    $"INSERT INTO users ({Columns}) VALUES (@name, @role, @hash, @stamp, 0, NULL, false, @at, NULL) ON CONFLICT (name) DO NOTHING")
                    .With("name", user.Name).With("role", role).With("hash", user.PasswordHash).With("stamp", user.SecurityStamp).With("at", FormatTime(user.CreatedUtc)))
                {
                    if (await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                    {
                        throw new ConflictException($"An account named '{user.Name}' exists already.");
                    }
                }

                await AuditAsync(transaction, "user_created", new { name = user.Name, role, by = who }, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<StoredUser?> FindUserAsync(string name, CancellationToken cancellationToken = default) =>
        _dataSource.ReadSingleOrNullAsync($"SELECT {Columns} FROM users WHERE name = @p", name ?? throw new ArgumentNullException(nameof(name)), Read, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredUser>> ListUsersAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadListAsync($"SELECT {Columns} FROM users ORDER BY name COLLATE \"C\"", null, Read, cancellationToken);

    /// <inheritdoc />
    public Task<bool> SetDisabledAsync(string name, bool disabled, string newSecurityStamp, string who, CancellationToken cancellationToken = default) =>
        UpdateAsync(name, "disabled = @flag, security_stamp = @stamp", c => c.With("flag", disabled).With("stamp", newSecurityStamp),
            disabled ? "user_disabled" : "user_enabled", new { name, by = who }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> SetPasswordAsync(string name, string passwordHash, string newSecurityStamp, string who, CancellationToken cancellationToken = default) =>
        UpdateAsync(name, "password_hash = @hash, security_stamp = @stamp, failed_attempts = 0, locked_until_utc = NULL",
            c => c.With("hash", passwordHash).With("stamp", newSecurityStamp), "password_changed", new { name, by = who }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> EndSessionsAsync(string name, string newSecurityStamp, string client, CancellationToken cancellationToken = default) =>
        UpdateAsync(name, "security_stamp = @stamp", c => c.With("stamp", newSecurityStamp), "logout", new { name, client }, cancellationToken);

    /// <inheritdoc />
    public Task<LoginFailureOutcome> RecordLoginFailureAsync(
        string name, int lockAfter, DateTimeOffset lockUntilUtc, string client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(lockAfter, 1);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                int failures;
                await using (var count = Command(transaction, "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE name = @name RETURNING failed_attempts").With("name", name))
                {
                    failures = await count.ExecuteScalarAsync(ct).ConfigureAwait(false) as int? ?? 0;
                }

                await AuditAsync(transaction, "login_failed", new { name, reason = "wrong password", failures, client }, ct).ConfigureAwait(false);
                if (failures < lockAfter)
                {
                    return new LoginFailureOutcome(failures, false);
                }

                var until = FormatTime(lockUntilUtc);
                await using (var lockUser = Command(transaction, "UPDATE users SET failed_attempts = 0, locked_until_utc = @until WHERE name = @name").With("name", name).With("until", until))
                {
                    await lockUser.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                await AuditAsync(transaction, "account_locked", new { name, failures, until, client }, ct).ConfigureAwait(false);
                return new LoginFailureOutcome(0, true);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task RecordLoginSuccessAsync(string name, DateTimeOffset atUtc, string? newPasswordHash, string client, CancellationToken cancellationToken = default) =>
        UpdateAsync(
            name,
            "failed_attempts = 0, locked_until_utc = NULL, last_login_utc = @at, password_hash = COALESCE(@hash, password_hash)",
            c => c.With("at", FormatTime(atUtc)).WithText("hash", newPasswordHash),
            "login_succeeded",
            new { name, client, rehashed = newPasswordHash is not null },
            cancellationToken);

    /// <summary>Updates <paramref name="name"/>'s row and, when there is one, audits <paramref name="eventName"/>; false when there is none.</summary>
    private Task<bool> UpdateAsync(
        string name, string assignments, Action<NpgsqlCommand> parameters, string eventName, object detail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                await using (var update = Command(transaction, $"UPDATE users SET {assignments} WHERE name = @name").With("name", name))
                {
                    parameters(update);
                    if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                    {
                        return false;
                    }
                }

                await AuditAsync(transaction, eventName, detail, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    private static Task AuditAsync(NpgsqlTransaction transaction, string eventName, object detail, CancellationToken cancellationToken) =>
        PostgresAuditLog.InsertAsync(transaction, null, eventName, JsonSerializer.Serialize(detail), cancellationToken);

    private static StoredUser Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), Enum.Parse<AccessRole>(reader.GetString(1), ignoreCase: true), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
        NullableTime(reader, 5), reader.GetBoolean(6), ParseTime(reader.GetString(7)), NullableTime(reader, 8));
}
