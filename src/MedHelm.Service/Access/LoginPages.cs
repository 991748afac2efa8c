using System.Net;
using System.Text;
using MedHelm.Application.Access;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace MedHelm.Service.Access;

/// <summary>
/// <c>GET/POST /login</c> and <c>POST /logout</c>: server-rendered minimal HTML (no script, no external asset) for the
/// dashboard's session cookie. Anonymous by design (and left out of the OpenAPI document: they are pages, not API);
/// the forms carry antiforgery tokens and login attempts are rate-limited per client address.
/// </summary>
public static class LoginPages
{
    /// <summary>The login page.</summary>
    public const string LoginPath = "/login";

    /// <summary>The logout action (POST with an antiforgery token).</summary>
    public const string LogoutPath = "/logout";

    /// <summary>The query and form field naming where to go after login.</summary>
    public const string ReturnUrlField = "returnUrl";

    /// <summary>The page shown when a login fails (whatever the reason: the page never tells which).</summary>
    public const string FailureMessage = "Sign-in failed: wrong user name or password, or the account is locked or disabled.";

    /// <summary>Maps the pages (anonymous, excluded from the OpenAPI document).</summary>
    public static IEndpointRouteBuilder MapLoginPages(this IEndpointRouteBuilder app)
    {
        app.MapGet(LoginPath, ShowAsync).AllowAnonymous().ExcludeFromDescription();
        app.MapPost(LoginPath, LoginAsync).AllowAnonymous().ExcludeFromDescription().RequireRateLimiting(SessionAuthentication.LoginRateLimitPolicy);
        app.MapPost(LogoutPath, LogoutAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>A sign-out button (a form with its antiforgery token) for the dashboard's pages to embed.</summary>
    public static string LogoutForm(HttpContext context)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        return $"""<form method="post" action="{LogoutPath}">{Hidden(tokens.FormFieldName, tokens.RequestToken)}<button type="submit">Sign out</button></form>""";
    }

    private static async Task<IResult> ShowAsync(HttpContext context, AccountService accounts, string? returnUrl, CancellationToken ct)
    {
        if (context.User.Identity is { IsAuthenticated: true, AuthenticationType: SessionAuthentication.CookieScheme } identity)
        {
            var role = context.User.FindFirst(System.Security.Claims.ClaimTypes.Role)?.Value ?? "";
            return Page(
                StatusCodes.Status200OK,
                $"""<p>Signed in as <b>{Html(identity.Name)}</b> ({Html(role)}).</p><p><a href="{Html(Target(returnUrl))}">Continue</a></p>{LogoutForm(context)}""");
        }

        var hint = (await accounts.ListAsync(ct)).Count == 0
            ? "<p class=\"note\">No account exists yet: create the first administrator on the server with <code>medhelm auth create-user --name NAME --role admin</code>.</p>"
            : "";
        return Page(StatusCodes.Status200OK, LoginForm(context, returnUrl, null) + hint);
    }

    private static async Task<IResult> LoginAsync(HttpContext context, AccountService accounts, CancellationToken ct)
    {
        if (!await SessionAuthentication.HasValidAntiforgeryTokenAsync(context))
        {
            return Page(StatusCodes.Status400BadRequest, $"""<p class="error">The form expired or did not come from this site.</p><p><a href="{LoginPath}">Sign in again</a></p>""");
        }

        var form = await context.Request.ReadFormAsync(ct);
        var returnUrl = form[ReturnUrlField].ToString();
        var result = await accounts.LoginAsync(form["username"].ToString(), form["password"].ToString(), Client(context), ct);
        if (result.Session is null)
        {
            return Page(StatusCodes.Status200OK, LoginForm(context, returnUrl, FailureMessage));
        }

        await context.SignInAsync(
            SessionAuthentication.CookieScheme, SessionAuthentication.Principal(result.Session), new AuthenticationProperties { IsPersistent = false });
        return SeeOther(Target(returnUrl));
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, AccountService accounts, CancellationToken ct)
    {
        if (!await SessionAuthentication.HasValidAntiforgeryTokenAsync(context))
        {
            return Page(StatusCodes.Status400BadRequest, """<p class="error">The form expired or did not come from this site.</p>""");
        }

        if (context.User.Identity is { IsAuthenticated: true, AuthenticationType: SessionAuthentication.CookieScheme, Name: { } name })
        {
            await accounts.LogoutAsync(name, Client(context), ct);
            await context.SignOutAsync(SessionAuthentication.CookieScheme);
        }

        return SeeOther(LoginPath);
    }

    private static string LoginForm(HttpContext context, string? returnUrl, string? error)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        var html = new StringBuilder();
        if (error is not null)
        {
            html.Append($"""<p class="error" role="alert">{Html(error)}</p>""");
        }

        html.Append($"""<form method="post" action="{LoginPath}">""")
            .Append(Hidden(tokens.FormFieldName, tokens.RequestToken))
            .Append(Hidden(ReturnUrlField, SessionAuthentication.IsLocalUrl(returnUrl) ? returnUrl : null))
            .Append("""<label>User name<input name="username" autocomplete="username" required autofocus maxlength="64"></label>""")
            .Append($"""<label>Password<input name="password" type="password" autocomplete="current-password" required maxlength="{AccountService.MaxPasswordLength}"></label>""")
            .Append("""<button type="submit">Sign in</button></form>""");
        return html.ToString();
    }

    /// <summary>Where to go after login: a local URL, never the login or logout pages; otherwise the dashboard's root.</summary>
    private static string Target(string? returnUrl) =>
        SessionAuthentication.IsLocalUrl(returnUrl)
        && !returnUrl!.StartsWith(LoginPath, StringComparison.OrdinalIgnoreCase) && !returnUrl.StartsWith(LogoutPath, StringComparison.OrdinalIgnoreCase)
            ? returnUrl
            : "/";

    private static string Client(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static string Hidden(string name, string? value) => $"""<input type="hidden" name="{Html(name)}" value="{Html(value)}">""";

    private static string Html(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static IResult SeeOther(string location) => new SeeOtherResult(location);

    private static IResult Page(int status, string body)
    {
        const string Style = "body{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0}main{max-width:22rem;margin:12vh auto;background:#fff;"
            + "padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}label{display:block;margin:.8rem 0}input{display:block;width:100%;"
            + "box-sizing:border-box;padding:.5rem;margin-top:.3rem}button{padding:.5rem 1.2rem;margin-top:.5rem}.error{color:#a00}.note{color:#555;font-size:.9rem}";
        var html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sign in · MedHelm.OnPrem</title><style>{Style}</style></head>
            <body><main><h1>MedHelm.OnPrem</h1>{body}</main></body></html>
            """;
        return new HtmlPage(status, html);
    }

    /// <summary>An HTML page that nothing caches or frames, with a policy allowing no script and no external resource.</summary>
    private sealed class HtmlPage(int status, string html) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = "text/html; charset=utf-8";
            response.Headers.CacheControl = "no-store";
            response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            response.Headers["Referrer-Policy"] = "no-referrer";
            return response.WriteAsync(html, httpContext.RequestAborted);
        }
    }

    /// <summary>303 See Other: after a form POST, the browser GETs <paramref name="location"/>.</summary>
    private sealed class SeeOtherResult(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}
