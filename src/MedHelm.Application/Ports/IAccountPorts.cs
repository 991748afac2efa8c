namespace MedHelm.Application.Ports;

/// <summary>A local account of the service (never its password: only the framework password hasher's hash).</summary>
/// <param name="Name">The user name (lower case).</param>
/// <param name="Role">Its role.</param>
/// <param name="PasswordHash">The hash (<c>PasswordHasher</c> format: PBKDF2 with a per-user salt).</param>
/// <param name="SecurityStamp">Random text replaced when the password changes or the account is disabled: sessions carrying an older one end.</param>
/// <param name="FailedAttempts">Failed logins since the last success or lockout.</param>
/// <param name="LockedUntilUtc">Logins are refused until then (even with the right password), or null.</param>
/// <param name="Disabled">True: logins and sessions are refused.</param>
/// <param name="CreatedUtc">When.</param>
/// <param name="LastLoginUtc">The last successful login, or null.</param>
public sealed record StoredUser(
    string Name, AccessRole Role, string PasswordHash, string SecurityStamp, int FailedAttempts, DateTimeOffset? LockedUntilUtc, bool Disabled,
    DateTimeOffset CreatedUtc, DateTimeOffset? LastLoginUtc);

/// <summary>What a failed login did to the account.</summary>
/// <param name="FailedAttempts">Failures counted now (0 after it was locked).</param>
/// <param name="Locked">True when this failure locked the account.</param>
public sealed record LoginFailureOutcome(int FailedAttempts, bool Locked);

/// <summary>
/// The service's local accounts. Each change is audited in the same transaction (<c>who</c> is the acting user, token
/// or <c>cli:OS-USER</c>; <c>client</c> is the remote address); details never hold a password or its hash.
/// </summary>
public interface IUserStore
{
    /// <summary>Stores a new account and audits <c>user_created</c>.</summary>
    /// <exception cref="Errors.ConflictException">An account has this name already.</exception>
    Task AddUserAsync(StoredUser user, string who, CancellationToken cancellationToken = default);

    /// <summary>The account named <paramref name="name"/>, or null.</summary>
    Task<StoredUser?> FindUserAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every account, by name.</summary>
    Task<IReadOnlyList<StoredUser>> ListUsersAsync(CancellationToken cancellationToken = default);

    /// <summary>Disables or enables an account (a new security stamp) and audits it; false when there is no such account.</summary>
    Task<bool> SetDisabledAsync(string name, bool disabled, string newSecurityStamp, string who, CancellationToken cancellationToken = default);

    /// <summary>Replaces the password hash and security stamp, clears failures and lockout, and audits <c>password_changed</c>; false when there is no such account.</summary>
    Task<bool> SetPasswordAsync(string name, string passwordHash, string newSecurityStamp, string who, CancellationToken cancellationToken = default);

    /// <summary>
    /// Counts one failed login (atomically) and audits <c>login_failed</c>; when the count reaches <paramref name="lockAfter"/>
    /// the account is locked until <paramref name="lockUntilUtc"/>, its count cleared, and <c>account_locked</c> audited.
    /// </summary>
    Task<LoginFailureOutcome> RecordLoginFailureAsync(
        string name, int lockAfter, DateTimeOffset lockUntilUtc, string client, CancellationToken cancellationToken = default);

    /// <summary>Replaces the security stamp (every session of the account ends) and audits <c>logout</c>; false when there is no such account.</summary>
    Task<bool> EndSessionsAsync(string name, string newSecurityStamp, string client, CancellationToken cancellationToken = default);

    /// <summary>Clears the failures, records the time (and a re-hashed password, when given) and audits <c>login_succeeded</c>.</summary>
    Task RecordLoginSuccessAsync(string name, DateTimeOffset atUtc, string? newPasswordHash, string client, CancellationToken cancellationToken = default);
}
