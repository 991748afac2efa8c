using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace MedHelm.Application.Access;

/// <summary>An account as hosts show it (never its hash or stamp).</summary>
/// <param name="Name">The user name.</param>
/// <param name="Role">Its role.</param>
/// <param name="Disabled">True when disabled.</param>
/// <param name="LockedUntilUtc">Locked until then, or null.</param>
/// <param name="CreatedUtc">When created.</param>
/// <param name="LastLoginUtc">The last successful login, or null.</param>
public sealed record AccountView(string Name, AccessRole Role, bool Disabled, DateTimeOffset? LockedUntilUtc, DateTimeOffset CreatedUtc, DateTimeOffset? LastLoginUtc);

/// <summary>How a login ended.</summary>
public enum LoginOutcome
{
    /// <summary>The password was right: <see cref="LoginResult.Session"/> is set.</summary>
    Succeeded,

    /// <summary>Unknown user or wrong password.</summary>
    Failed,

    /// <summary>The account is locked (now, or by this failure): refused even with the right password.</summary>
    LockedOut,

    /// <summary>The account is disabled.</summary>
    Disabled,
}

/// <summary>A signed-in user: what a session carries.</summary>
/// <param name="Name">The user name.</param>
/// <param name="Role">Its role.</param>
/// <param name="SecurityStamp">The account's stamp at login; the session ends when it changes.</param>
public sealed record AccountSession(string Name, AccessRole Role, string SecurityStamp);

/// <summary>The result of <see cref="AccountService.LoginAsync"/>.</summary>
public sealed record LoginResult(LoginOutcome Outcome, AccountSession? Session);

/// <summary>
/// Local accounts of the service: create, list, disable, change passwords and check logins, with the framework's
/// <see cref="PasswordHasher{TUser}"/> (PBKDF2, per-user salt) and a lockout after <see cref="ServiceOptions.LoginMaxFailures"/>
/// failures in a row. Every change and every login attempt is audited by the store (never a password).
/// </summary>
public sealed class AccountService(Lazy<IResultsDatabase> database, IOptions<ServiceOptions> options, TimeProvider time)
{
    /// <summary>The shortest password accepted.</summary>
    public const int MinPasswordLength = 12;

    /// <summary>The longest password accepted (bounds the hashing work an attacker can ask for).</summary>
    public const int MaxPasswordLength = 256;

    private static readonly PasswordHasher<string> Hasher = new();

    // verified when the user is unknown, so that an unknown name costs the same time as a wrong password
    private static readonly Lazy<string> DummyHash = new(() => Hasher.HashPassword("-", Convert.ToHexString(RandomNumberGenerator.GetBytes(16))));

    private IUserStore Users => database.Value.Users;

    /// <summary>The user name rules: 1 to 64 of a-z, 0-9, '.', '_', '-', '@', starting with a letter or digit; compared lower case.</summary>
    /// <exception cref="RequestValidationException">Not a valid name.</exception>
    public static string NormalizeName(string? name)
    {
        var normalized = name?.Trim().ToLowerInvariant() ?? "";
        if (normalized.Length is 0 or > 64 || !char.IsAsciiLetterOrDigit(normalized[0])
            || !normalized.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-' or '@'))
        {
            throw new RequestValidationException("--name must be 1 to 64 characters of a-z, 0-9, '.', '_', '-' or '@', starting with a letter or digit.");
        }

        return normalized;
    }

    /// <summary>The password rules: 12 to 256 characters, no control characters, not containing the user name (of 3 characters or more).</summary>
    /// <exception cref="RequestValidationException">The password breaks a rule (the message never repeats it).</exception>
    public static void ValidatePassword(string name, string? password)
    {
        if (password is null || password.Length < MinPasswordLength || password.Length > MaxPasswordLength)
        {
            throw new RequestValidationException($"The password must be {MinPasswordLength} to {MaxPasswordLength} characters long.");
        }

        if (password.Any(char.IsControl))
        {
            throw new RequestValidationException("The password must not contain control characters (tabs, line breaks).");
        }

        if (name.Length >= 3 && password.Contains(name, StringComparison.OrdinalIgnoreCase))
        {
            throw new RequestValidationException("The password must not contain the user name.");
        }
    }

    /// <summary>Creates an account (audited as <c>user_created</c> by <paramref name="who"/>).</summary>
    /// <exception cref="RequestValidationException">A bad name, role or password.</exception>
    /// <exception cref="ConflictException">The name is taken.</exception>
    public async Task<AccountView> CreateAsync(string name, AccessRole role, string password, string who, CancellationToken cancellationToken)
    {
        var normalized = NormalizeName(name);
        if (!Enum.IsDefined(role))
        {
            throw new RequestValidationException("--role must be viewer, operator or admin.");
        }

        ValidatePassword(normalized, password);
        var user = new StoredUser(normalized, role, Hasher.HashPassword(normalized, password), NewStamp(), 0, null, false, time.GetUtcNow(), null);
        await Users.AddUserAsync(user, who, cancellationToken).ConfigureAwait(false);
        return View(user);
    }

    /// <summary>Every account, by name.</summary>
    public async Task<IReadOnlyList<AccountView>> ListAsync(CancellationToken cancellationToken) =>
        (await Users.ListUsersAsync(cancellationToken).ConfigureAwait(false)).Select(View).ToArray();

    /// <summary>Disables (or enables again) an account; a disabled account's sessions end at their next request.</summary>
    /// <exception cref="NotFoundException">No such account.</exception>
    public async Task SetDisabledAsync(string name, bool disabled, string who, CancellationToken cancellationToken)
    {
        if (!await Users.SetDisabledAsync(NormalizeName(name), disabled, NewStamp(), who, cancellationToken).ConfigureAwait(false))
        {
            throw new NotFoundException("There is no such account (see `medhelm auth list-users`).");
        }
    }

    /// <summary>Sets a new password: failures and lockout are cleared, and the account's other sessions end.</summary>
    /// <exception cref="RequestValidationException">The password breaks a rule.</exception>
    /// <exception cref="NotFoundException">No such account.</exception>
    public async Task SetPasswordAsync(string name, string password, string who, CancellationToken cancellationToken)
    {
        var normalized = NormalizeName(name);
        ValidatePassword(normalized, password);
        if (!await Users.SetPasswordAsync(normalized, Hasher.HashPassword(normalized, password), NewStamp(), who, cancellationToken).ConfigureAwait(false))
        {
            throw new NotFoundException("There is no such account (see `medhelm auth list-users`).");
        }
    }

    /// <summary>
    /// Checks a login from <paramref name="client"/>. Every outcome is audited; an unknown name is recorded by a short
    /// hash only (it may be a password typed in the wrong field). A locked or disabled account is refused even with the
    /// right password, and every path costs one password verification, so timing tells nothing.
    /// </summary>
    public async Task<LoginResult> LoginAsync(string? name, string? password, string client, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var normalized = name?.Trim().ToLowerInvariant() ?? "";
        password ??= "";
        var user = normalized.Length is > 0 and <= 64 ? await Users.FindUserAsync(normalized, cancellationToken).ConfigureAwait(false) : null;
        var verified = password.Length <= MaxPasswordLength
            ? Hasher.VerifyHashedPassword(normalized, user?.PasswordHash ?? DummyHash.Value, password)
            : PasswordVerificationResult.Failed;
        var now = time.GetUtcNow();

        if (user is null)
        {
            await AuditAsync("login_failed", new { name_sha256 = ShortHash(normalized), reason = "unknown user", client }, cancellationToken).ConfigureAwait(false);
            return new LoginResult(LoginOutcome.Failed, null);
        }

        if (user.Disabled || user.LockedUntilUtc > now)
        {
            var outcome = user.Disabled ? LoginOutcome.Disabled : LoginOutcome.LockedOut;
            await AuditAsync("login_refused", new { name = user.Name, reason = user.Disabled ? "disabled" : "locked", client }, cancellationToken).ConfigureAwait(false);
            return new LoginResult(outcome, null);
        }

        if (verified == PasswordVerificationResult.Failed)
        {
            var failure = await Users.RecordLoginFailureAsync(
                user.Name, settings.LoginMaxFailures, now.AddMinutes(settings.LoginLockoutMinutes), client, cancellationToken).ConfigureAwait(false);
            return new LoginResult(failure.Locked ? LoginOutcome.LockedOut : LoginOutcome.Failed, null);
        }

        var rehash = verified == PasswordVerificationResult.SuccessRehashNeeded ? Hasher.HashPassword(user.Name, password) : null;
        await Users.RecordLoginSuccessAsync(user.Name, now, rehash, client, cancellationToken).ConfigureAwait(false);
        return new LoginResult(LoginOutcome.Succeeded, new AccountSession(user.Name, user.Role, user.SecurityStamp));
    }

    /// <summary>
    /// Signs the account out (audited as <c>logout</c>): its security stamp is replaced, so every session cookie it was
    /// given stops working at once, including a copy kept by someone else.
    /// </summary>
    public Task LogoutAsync(string name, string client, CancellationToken cancellationToken) =>
        Users.EndSessionsAsync(name, NewStamp(), client, cancellationToken);

    /// <summary>The session's account when it is still valid (exists, enabled, same stamp), with its current role; otherwise null.</summary>
    public async Task<AccountSession?> ValidateSessionAsync(string name, string securityStamp, CancellationToken cancellationToken)
    {
        var user = await Users.FindUserAsync(name, cancellationToken).ConfigureAwait(false);
        var valid = user is { Disabled: false }
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(user.SecurityStamp), Encoding.ASCII.GetBytes(securityStamp));
        return valid ? new AccountSession(user!.Name, user.Role, user.SecurityStamp) : null;
    }

    private Task AuditAsync(string eventName, object detail, CancellationToken cancellationToken) =>
        database.Value.AppendAuditAsync(null, eventName, JsonSerializer.Serialize(detail), cancellationToken);

    private static AccountView View(StoredUser user) => new(user.Name, user.Role, user.Disabled, user.LockedUntilUtc, user.CreatedUtc, user.LastLoginUtc);

    private static string NewStamp() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static string ShortHash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
}
