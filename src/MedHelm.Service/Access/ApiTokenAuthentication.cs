using System.Security.Claims;
using System.Text.Encodings.Web;
using MedHelm.Application.Access;
using MedHelm.Application.Ports;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace MedHelm.Service.Access;

/// <summary>Authenticates <c>Authorization: Bearer mh_…</c> API tokens (<see cref="ApiTokenService"/>).</summary>
internal sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("Only bearer API tokens are accepted.");
        }

        var caller = await tokens.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (caller is null)
        {
            return AuthenticateResult.Fail("The token is unknown, revoked or malformed.");
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, caller.TokenId),
                new Claim(ClaimTypes.Name, caller.Name),
                new Claim(ClaimTypes.Role, Roles.Name(caller.Role)),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return base.HandleChallengeAsync(properties);
    }
}

/// <summary>The roles as claims and authorization policies: each role includes the ones below it.</summary>
public static class Roles
{
    /// <summary>The claim value of <paramref name="role"/>.</summary>
    public static string Name(AccessRole role) => role.ToString().ToLowerInvariant();

    /// <summary>The policy that admits <paramref name="role"/> and every role above it.</summary>
    public static string Policy(AccessRole role) => "at-least-" + Name(role);

    /// <summary>The roles at or above <paramref name="role"/>.</summary>
    public static string[] AtLeast(AccessRole role) => Enum.GetValues<AccessRole>().Where(r => r >= role).Select(Name).ToArray();

    /// <summary>True when <paramref name="user"/> may see patient text (prompts, outputs, reference texts): operator and admin.</summary>
    public static bool MaySeePatientText(ClaimsPrincipal user) => AtLeast(AccessRole.Operator).Any(user.IsInRole);

    /// <summary>The caller's name for audit rows.</summary>
    public static string Caller(ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";
}

/// <summary>The least role an endpoint needs; also written into the OpenAPI document (<c>x-medhelm-role</c>).</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class MinimumRoleAttribute(AccessRole role) : Attribute
{
    /// <summary>The role.</summary>
    public AccessRole Role { get; } = role;
}

/// <summary>Endpoint conventions for roles.</summary>
public static class RoleEndpointExtensions
{
    /// <summary>Requires <paramref name="role"/> or above (403 for a lower role, 401 without a valid token).</summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, AccessRole role) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Roles.Policy(role)).WithMetadata(new MinimumRoleAttribute(role));
}
