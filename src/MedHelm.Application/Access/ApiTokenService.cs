using System.Security.Cryptography;
using System.Text;
using MedHelm.Application.Errors;
using MedHelm.Application.Ports;

namespace MedHelm.Application.Access;

/// <summary>A token just created: its text is shown once and stored only as a hash.</summary>
/// <param name="Id">The public id (also inside the text).</param>
/// <param name="Token">The bearer token text, <c>mh_ID_SECRET</c>.</param>
/// <param name="Role">Its role.</param>
/// <param name="Name">Who or what it is for.</param>
public sealed record CreatedApiToken(string Id, string Token, AccessRole Role, string Name);

/// <summary>Who is calling: a token's id, name and role.</summary>
public sealed record ApiCaller(string TokenId, string Name, AccessRole Role);

/// <summary>
/// Creates and checks API tokens. A token is <c>mh_</c> + 12 hex id + <c>_</c> + 64 hex secret (256 random bits); the
/// database keeps the secret's SHA-256 only (a random secret of that size needs no slow hash), compared in fixed time.
/// </summary>
public sealed class ApiTokenService(Lazy<IResultsDatabase> database)
{
    private const string Prefix = "mh_";

    /// <summary>The role named <paramref name="name"/> (viewer, operator, admin).</summary>
    /// <exception cref="RequestValidationException">Not a role.</exception>
    public static AccessRole ParseRole(string? name) =>
        name?.Trim().ToLowerInvariant() switch
        {
            "viewer" => AccessRole.Viewer,
            "operator" => AccessRole.Operator,
            "admin" => AccessRole.Admin,
            _ => throw new RequestValidationException("--role must be viewer, operator or admin."),
        };

    /// <summary>Creates a token for <paramref name="role"/>, stores its hash and audits it.</summary>
    /// <exception cref="RequestValidationException">The name is empty or longer than 100 characters.</exception>
    public async Task<CreatedApiToken> CreateAsync(AccessRole role, string name, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100 || name.Any(char.IsControl))
        {
            throw new RequestValidationException("--name must be 1 to 100 printable characters.");
        }

        if (!Enum.IsDefined(role))
        {
            throw new RequestValidationException("--role must be viewer, operator or admin.");
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await database.Value.Tokens.AddTokenAsync(new StoredApiToken(id, name.Trim(), role, Hash(secret), DateTimeOffset.UtcNow, null), cancellationToken).ConfigureAwait(false);
        return new CreatedApiToken(id, $"{Prefix}{id}_{secret}", role, name.Trim());
    }

    /// <summary>The caller a token text belongs to, or null when it is malformed, unknown, revoked or wrong.</summary>
    public async Task<ApiCaller?> AuthenticateAsync(string? token, CancellationToken cancellationToken)
    {
        if (token is not { Length: 3 + 12 + 1 + 64 } || !token.StartsWith(Prefix, StringComparison.Ordinal) || token[15] != '_')
        {
            return null;
        }

        var (id, secret) = (token.Substring(3, 12), token[16..]);
        if (!IsHex(id) || !IsHex(secret))
        {
            return null;
        }

        var stored = await database.Value.Tokens.FindTokenAsync(id, cancellationToken).ConfigureAwait(false);
        if (stored is null || stored.RevokedUtc is not null)
        {
            return null;
        }

        var matches = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(secret)), Encoding.ASCII.GetBytes(stored.SecretSha256));
        return matches ? new ApiCaller(stored.Id, stored.Name, stored.Role) : null;
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(secret)));

    private static bool IsHex(string text) => text.All(char.IsAsciiHexDigitLower);
}
