using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MedHelm.Application.Access;
using MedHelm.Application.Ports;
using MedHelm.Service.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace MedHelm.Service.Tests;

/// <summary>Local accounts with session cookies: login, lockout, idle timeout, antiforgery, rate limit, logout, audit.</summary>
public sealed class SessionTests
{
    private static Task<AccountView> CreateAsync(TestService service, string name, AccessRole role) =>
        service.Services.GetRequiredService<AccountService>().CreateAsync(name, role, TestService.Password, "test", CancellationToken.None);

    private static async Task<string[]> AuditEventsAsync(TestService service) => (await service.Database.GetAuditAsync(null)).Select(e => e.Event).ToArray();

    [Fact]
    public async Task A_login_sets_an_HttpOnly_SameSite_strict_session_cookie_that_authorizes_viewer_routes_only()
    {
        await using var service = new TestService();
        await CreateAsync(service, "vera", AccessRole.Viewer);
        var client = service.Anonymous();

        var response = await TestService.LoginAsync(client, "vera", TestService.Password, "/ui/runs?x=1");
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/ui/runs?x=1", response.Headers.Location!.OriginalString);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("medhelm.session=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("httponly", cookie, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", cookie, StringComparison.Ordinal);
        Assert.DoesNotContain("expires=", cookie, StringComparison.Ordinal); // a browser-session cookie; the server enforces the idle timeout

        var me = await client.GetFromJsonAsync<JsonElement>("/api/v1/me");
        Assert.Equal(("vera", "viewer"), (me.GetProperty("name").GetString(), me.GetProperty("role").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/leaderboard")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/runs/x/results?outputs=true")).StatusCode);
        Assert.Contains("login_succeeded", await AuditEventsAsync(service));

        // an outside return address is not followed
        var other = service.Anonymous();
        Assert.Equal("/", (await TestService.LoginAsync(other, "vera", TestService.Password, "//evil.example/x")).Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Browsers_are_sent_to_the_login_page_and_API_callers_get_401()
    {
        await using var service = new TestService();
        var client = service.Anonymous();
        var page = new HttpRequestMessage(HttpMethod.Get, "/ui/runs/r1?tab=2");
        page.Headers.Accept.ParseAdd("text/html,application/xhtml+xml");
        var redirect = await client.SendAsync(page);
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("/login?returnUrl=%2Fui%2Fruns%2Fr1%3Ftab%3D2", redirect.Headers.Location!.OriginalString);

        foreach (var url in new[] { "/api/v1/runs", "/v1/models", "/health/ready", "/openapi/v1.json" })
        {
            var api = new HttpRequestMessage(HttpMethod.Get, url);
            api.Headers.Accept.ParseAdd("text/html");
            var response = await client.SendAsync(api);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }

        var html = await client.GetStringAsync("/login");
        Assert.Contains("medhelm auth create-user", html, StringComparison.Ordinal); // no account yet: the page says how to make one
        Assert.DoesNotContain("http", html.Replace("http-equiv", "", StringComparison.Ordinal), StringComparison.Ordinal); // no external asset
    }

    [Fact]
    public async Task A_wrong_password_fails_without_a_session_and_is_audited_without_the_password()
    {
        await using var service = new TestService();
        await CreateAsync(service, "vera", AccessRole.Admin);
        var client = service.Anonymous();
        var response = await TestService.LoginAsync(client, "vera", "not the password at all");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(Access.LoginPages.FailureMessage, System.Net.WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.StartsWith("medhelm.session=", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/me")).StatusCode);

        var failed = (await service.Database.GetAuditAsync(null)).Single(e => e.Event == "login_failed");
        Assert.Contains("\"name\":\"vera\"", failed.DetailJson, StringComparison.Ordinal);
        Assert.DoesNotContain("not the password", failed.DetailJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Five_failures_lock_the_account_even_for_the_right_password()
    {
        await using var service = new TestService();
        await CreateAsync(service, "vera", AccessRole.Viewer);
        var client = service.Anonymous();
        for (var i = 0; i < 5; i++)
        {
            await TestService.LoginAsync(client, "vera", $"wrong password {i}");
        }

        var locked = await TestService.LoginAsync(client, "vera", TestService.Password);
        Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/me")).StatusCode);
        var events = await AuditEventsAsync(service);
        Assert.Equal(5, events.Count(e => e == "login_failed"));
        Assert.Equal(["account_locked"], events.Where(e => e == "account_locked"));
        Assert.Equal("login_refused", events[^1]);
    }

    [Fact]
    public async Task A_session_ends_after_15_idle_minutes_and_requests_keep_it_alive()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var service = new TestService(services: s => s.AddSingleton<TimeProvider>(clock));
        var client = await service.SessionClientAsync(AccessRole.Viewer);

        for (var i = 0; i < 4; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(10)); // 40 minutes in all, never 15 without a request
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me")).StatusCode);
        }

        clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task Forms_and_cookie_requests_that_change_state_need_the_antiforgery_token()
    {
        await using var service = new TestService();
        await CreateAsync(service, "olga", AccessRole.Operator);
        var client = service.Anonymous();
        await client.GetAsync("/login"); // the antiforgery cookie, but no token in the form
        var noToken = new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "olga", ["password"] = TestService.Password });
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/login", noToken)).StatusCode);
        Assert.DoesNotContain("login_succeeded", await AuditEventsAsync(service));

        Assert.Equal(HttpStatusCode.SeeOther, (await TestService.LoginAsync(client, "olga", TestService.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/v1/runs/none/cancel", null)).StatusCode);
        var token = await TestService.FormTokenAsync(client, "/login"); // signed in: the page's sign-out form
        var withToken = new HttpRequestMessage(HttpMethod.Post, "/api/v1/runs/none/cancel");
        withToken.Headers.Add("RequestVerificationToken", token);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(withToken)).StatusCode);
    }

    [Fact]
    public async Task Login_attempts_beyond_the_limit_per_client_get_429()
    {
        await using var service = new TestService(settings: [("Service:LoginAttemptsPerMinute", "3")]);
        var client = service.Anonymous();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/login", new FormUrlEncodedContent([]))).StatusCode);
        }

        var limited = await client.PostAsync("/login", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(60), limited.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/login")).StatusCode); // the page itself is not limited
    }

    [Fact]
    public async Task A_session_survives_a_restart_because_its_keys_are_kept_owner_only_in_the_data_folder()
    {
        using var home = new TempFolder("medhelm-service-");
        string cookie;
        await using (var first = new TestService(home: home))
        {
            await CreateAsync(first, "vera", AccessRole.Viewer);
            var login = await TestService.LoginAsync(first.Anonymous(), "vera", TestService.Password);
            cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("medhelm.session=", StringComparison.Ordinal)).Split(';')[0];
        }

        var keys = Path.Combine(home.Path, "data", "keys");
        Assert.NotEmpty(Directory.GetFiles(keys, "key-*.xml"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(keys));
        }

        await using var second = new TestService(home: home);
        var client = second.Anonymous();
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task Logout_ends_the_session_even_for_a_copied_cookie_and_disabling_ends_sessions()
    {
        await using var service = new TestService();
        await CreateAsync(service, "adam", AccessRole.Admin);
        var client = service.Anonymous();
        var login = await TestService.LoginAsync(client, "adam", TestService.Password);
        var copy = service.Anonymous();
        copy.DefaultRequestHeaders.Add("Cookie", login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("medhelm.session=", StringComparison.Ordinal)).Split(';')[0]);
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/api/v1/me")).StatusCode);

        var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = await TestService.FormTokenAsync(client, "/login") });
        var logout = await client.PostAsync("/logout", form);
        Assert.Equal((HttpStatusCode.SeeOther, "/login"), (logout.StatusCode, logout.Headers.Location!.OriginalString));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await copy.GetAsync("/api/v1/me")).StatusCode);

        var second = await service.SessionClientAsync(AccessRole.Viewer);
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/api/v1/me")).StatusCode);
        await service.Services.GetRequiredService<AccountService>().SetDisabledAsync("user-viewer", true, "test", CancellationToken.None);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.GetAsync("/api/v1/me")).StatusCode);

        var events = await AuditEventsAsync(service);
        Assert.Contains("logout", events);
        Assert.Contains("user_disabled", events);
        Assert.True((await service.Database.VerifyAuditChainAsync()).Intact);
    }
}
