using System.Security.Claims;
using System.Threading.RateLimiting;
using MedHelm.Application.Access;
using MedHelm.Application.Hosting;
using MedHelm.Application.Options;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace MedHelm.Service.Access;

/// <summary>
/// Authentication of both kinds of caller: a policy scheme sends a request with an <c>Authorization</c> header to the
/// API token handler and every other request to the dashboard's session cookie (local accounts, <see cref="AccountService"/>).
/// A browser page request without a session is redirected to <c>/login</c>; every other unauthenticated request gets 401.
/// </summary>
public static class SessionAuthentication
{
    /// <summary>The default scheme: token or cookie, by the presence of an Authorization header.</summary>
    public const string PolicyScheme = "TokenOrSession";

    /// <summary>The session cookie's scheme.</summary>
    public const string CookieScheme = "Session";

    /// <summary>The session cookie's name.</summary>
    public const string CookieName = "medhelm.session";

    /// <summary>The claim holding the account's security stamp at login (the session ends when the stamp changes).</summary>
    public const string StampClaim = "medhelm:security-stamp";

    /// <summary>The login rate limiter policy (per client address).</summary>
    public const string LoginRateLimitPolicy = "login";

    /// <summary>The paths of machine clients: never redirected to the login page.</summary>
    private static readonly string[] ApiPrefixes = ["/api", "/v1", "/health", "/openapi"];

    /// <summary>Token and session authentication, the role policies' schemes, antiforgery, the login rate limiter and persisted data protection keys.</summary>
    public static IServiceCollection AddMedHelmAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(PolicyScheme)
            .AddPolicyScheme(PolicyScheme, "API token or session cookie", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey(Microsoft.Net.Http.Headers.HeaderNames.Authorization) ? ApiTokenAuthenticationHandler.SchemeName : CookieScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null)
            .AddCookie(CookieScheme);
        services.AddOptions<CookieAuthenticationOptions>(CookieScheme).Configure<IOptions<ServiceOptions>>((o, service) => ConfigureCookie(o, service.Value));

        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "medhelm.antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(LoginRateLimitPolicy, context =>
            {
                var perMinute = context.RequestServices.GetRequiredService<IOptions<ServiceOptions>>().Value.LoginAttemptsPerMinute;
                return RateLimitPartition.GetFixedWindowLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
            });
            o.OnRejected = (context, _) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                return ValueTask.CompletedTask;
            };
        });

        // session cookies and antiforgery tokens are encrypted with data protection keys: kept owner-only in the data
        // folder, so sessions survive a restart and no key is written to the service account's home
        services.AddDataProtection().SetApplicationName("MedHelm.OnPrem");
        services.AddOptions<KeyManagementOptions>().Configure<MedHelmPaths, ILoggerFactory>((o, paths, logs) =>
        {
            var folder = Path.Combine(paths.DataFolder, "keys");
            PrivateFolder.Ensure(folder);
            o.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(folder), logs);
        });
        return services;
    }

    /// <summary>
    /// Refuses a state-changing request (POST, PUT, PATCH, DELETE) made with a session cookie unless it carries an
    /// antiforgery token (form field or <c>RequestVerificationToken</c> header): 400. Token callers are not affected.
    /// </summary>
    public static IApplicationBuilder UseSessionAntiforgery(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var method = context.Request.Method;
            var unsafeMethod = !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method));
            if (unsafeMethod && context.User.Identity is { IsAuthenticated: true, AuthenticationType: CookieScheme }
                && !await HasValidAntiforgeryTokenAsync(context))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync("The antiforgery token is missing or invalid: reload the page.", context.RequestAborted);
                return;
            }

            await next(context);
        });

    /// <summary>True when the request carries a valid antiforgery token; false also when its form cannot be read at all.</summary>
    public static async Task<bool> HasValidAntiforgeryTokenAsync(HttpContext context)
    {
        try
        {
            return await context.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            return false; // a malformed form body (e.g. a multipart boundary missing)
        }
    }

    /// <summary>The principal of a signed-in account.</summary>
    public static ClaimsPrincipal Principal(AccountSession session) =>
        new(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, "user:" + session.Name),
                new Claim(ClaimTypes.Name, session.Name),
                new Claim(ClaimTypes.Role, Roles.Name(session.Role)),
                new Claim(StampClaim, session.SecurityStamp),
            ],
            CookieScheme));

    /// <summary>True for a browser asking for a page (GET/HEAD accepting text/html outside the machine paths): such a request goes to the login page.</summary>
    public static bool IsBrowserPage(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && !ApiPrefixes.Any(p => request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
        && request.Headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>True for a path on this site (<c>/x</c>, not <c>//host</c> or <c>/\host</c>), safe to redirect to.</summary>
    public static bool IsLocalUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && !url.Any(char.IsControl);

    private static void ConfigureCookie(CookieAuthenticationOptions o, ServiceOptions service)
    {
        o.Cookie.Name = CookieName;
        o.Cookie.HttpOnly = true;
        o.Cookie.SameSite = SameSiteMode.Strict;
        o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure on https
        o.ExpireTimeSpan = TimeSpan.FromMinutes(service.SessionIdleMinutes);
        o.SlidingExpiration = true; // idle timeout: renewed by requests, ends after SessionIdleMinutes without one
        o.LoginPath = LoginPages.LoginPath;
        o.LogoutPath = LoginPages.LogoutPath;
        o.ReturnUrlParameter = LoginPages.ReturnUrlField;
        o.Events = new CookieAuthenticationEvents
        {
            OnRedirectToLogin = context =>
            {
                if (IsBrowserPage(context.Request))
                {
                    var returnUrl = context.Request.PathBase + context.Request.Path + context.Request.QueryString;
                    context.Response.Redirect($"{context.Request.PathBase}{LoginPages.LoginPath}?{LoginPages.ReturnUrlField}={Uri.EscapeDataString(returnUrl)}");
                }
                else
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                }

                return Task.CompletedTask;
            },
            OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            },
            OnValidatePrincipal = ValidateSessionAsync,
        };
    }

    /// <summary>Ends a session whose account was disabled, removed or given a new password; follows a changed role.</summary>
    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var name = context.Principal?.Identity?.Name;
        var stamp = context.Principal?.FindFirstValue(StampClaim);
        var accounts = context.HttpContext.RequestServices.GetRequiredService<AccountService>();
        var session = name is null || stamp is null ? null : await accounts.ValidateSessionAsync(name, stamp, context.HttpContext.RequestAborted);
        if (session is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
        }
        else if (!context.Principal!.IsInRole(Roles.Name(session.Role)))
        {
            context.ReplacePrincipal(Principal(session));
            context.ShouldRenew = true;
        }
    }
}
