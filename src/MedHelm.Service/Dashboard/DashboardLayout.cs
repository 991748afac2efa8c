using System.Security.Claims;
using System.Security.Cryptography;
using MedHelm.Application.Ports;
using MedHelm.Service.Access;

namespace MedHelm.Service.Dashboard;

/// <summary>Who is looking at a page: the name shown in the header and the highest role held (it decides the links and the patient text).</summary>
/// <param name="Name">The account's or token's name.</param>
/// <param name="Role">The highest role.</param>
public sealed record DashboardUser(string Name, AccessRole Role)
{
    /// <summary>Operators and admins may see patient text (outputs, jury explanations); viewers see scores only.</summary>
    public bool MaySeePatientText => Role >= AccessRole.Operator;

    /// <summary>The user of a request (authorization already required at least viewer).</summary>
    public static DashboardUser From(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var role = Enum.GetValues<AccessRole>().Where(r => principal.IsInRole(Roles.Name(r))).DefaultIfEmpty(AccessRole.Viewer).Max();
        return new DashboardUser(Roles.Caller(principal), role);
    }
}

/// <summary>The page shell: header with the links the user's role may follow, the body, the inline stylesheet and script.</summary>
public static class DashboardLayout
{
    private static readonly Lazy<string> Stylesheet = new(() => Resource("dashboard.css"));
    private static readonly Lazy<string> Script = new(() => Resource("dashboard.js"));

    private static readonly (string Path, string Label, AccessRole Role)[] Links =
    [
        ("/dashboard", "Leaderboard", AccessRole.Viewer),
        ("/dashboard/heatmap", "Heatmap", AccessRole.Viewer),
        ("/dashboard/runs", "Runs", AccessRole.Viewer),
        ("/dashboard/runs/new", "Start a run", AccessRole.Operator),
        ("/dashboard/models", "Models", AccessRole.Viewer),
        ("/dashboard/datasets", "Datasets", AccessRole.Viewer),
        ("/dashboard/cluster", "Cluster", AccessRole.Viewer),
        ("/dashboard/audit", "Audit", AccessRole.Admin),
    ];

    /// <summary>A new nonce for one response's Content-Security-Policy.</summary>
    public static string NewNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The policy: nothing but this page's own nonce'd style and script, fetches and forms to this origin (and the empty inline icon, so the browser asks for no /favicon.ico).</summary>
    public static string ContentSecurityPolicy(string nonce) =>
        $"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; connect-src 'self'; img-src 'self' data:; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>The whole document.</summary>
    /// <param name="title">The page's title (encoded).</param>
    /// <param name="current">The path of the link to mark as the current page.</param>
    /// <param name="body">The page's content.</param>
    /// <param name="user">The viewer.</param>
    /// <param name="nonce">The response's CSP nonce.</param>
    /// <param name="withScript">Include the live-update script.</param>
    /// <param name="signOut">The sign-out form of a cookie session (none for a token caller).</param>
    public static string Render(string title, string current, Markup body, DashboardUser user, string nonce, bool withScript, Markup? signOut = null)
    {
        ArgumentNullException.ThrowIfNull(user);
        var html = new Html();
        html.Add($"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">");
        html.Add($"<title>{title} · MedHelm</title><style nonce=\"{nonce}\">{new Markup(Stylesheet.Value)}</style></head>\n<body><header><span class=\"brand\">MedHelm</span><nav>");
        html.Each(Links.Where(l => user.Role >= l.Role), (h, l) =>
            h.Add($"<a href=\"{l.Path}\"{new Markup(l.Path == current ? " aria-current=\"page\"" : "")}>{l.Label}</a>"));
        html.Add($"</nav><span class=\"who\">{user.Name} ({Roles.Name(user.Role)})</span>{signOut ?? Markup.Empty}</header>\n<main><h1>{title}</h1>\n{body}</main>");
        if (withScript)
        {
            html.Add($"<script nonce=\"{nonce}\">{new Markup(Script.Value)}</script>");
        }

        html.Add($"</body></html>\n");
        return html.ToString();
    }

    private static string Resource(string name)
    {
        using var stream = typeof(DashboardLayout).Assembly.GetManifestResourceStream("MedHelm.Service.Dashboard." + name)
            ?? throw new InvalidOperationException($"The dashboard resource {name} is not embedded in the service assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>A dashboard page as a result: the document with security headers (strict CSP with a fresh nonce, no caching, no sniffing, no framing).</summary>
/// <param name="Title">The title.</param>
/// <param name="Current">The current link's path.</param>
/// <param name="Body">The content.</param>
/// <param name="WithScript">Include the live-update script.</param>
/// <param name="StatusCode">The status (e.g. 400 for a form shown again with its error).</param>
public sealed record DashboardPage(string Title, string Current, Markup Body, bool WithScript = false, int StatusCode = StatusCodes.Status200OK) : IResult
{
    /// <inheritdoc />
    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var nonce = DashboardLayout.NewNonce();
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.ContentSecurityPolicy = DashboardLayout.ContentSecurityPolicy(nonce);
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        // a browser session signs out with a form (antiforgery-protected); an API token has nothing to sign out of
        var signOut = httpContext.User.Identity?.AuthenticationType == Access.SessionAuthentication.CookieScheme
            ? new Markup(Access.LoginPages.LogoutForm(httpContext))
            : (Markup?)null;
        return response.WriteAsync(DashboardLayout.Render(Title, Current, Body, DashboardUser.From(httpContext.User), nonce, WithScript, signOut), httpContext.RequestAborted);
    }
}
