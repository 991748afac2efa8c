using System.Net;
using System.Text.RegularExpressions;
using MedHelm.Application.Ports;
using MedHelm.Service.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace MedHelm.Service.Tests.Dashboard;

public sealed partial class DashboardEndpointTests
{
    private const string Canary = "CANARY-PATIENT-5be1";

    [Fact]
    public async Task Every_dashboard_page_needs_a_token_and_the_role_it_declares_and_is_served_under_a_strict_policy()
    {
        await using var service = new TestService();
        var anonymous = service.Anonymous();
        var clients = new Dictionary<AccessRole, HttpClient>();
        foreach (var role in Enum.GetValues<AccessRole>())
        {
            clients[role] = await service.ClientAsync(role);
        }

        var endpoints = service.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } route && (route.StartsWith("/dashboard", StringComparison.Ordinal) || route == "/"))
            .ToArray();
        Assert.True(endpoints.Length >= 10, $"only {endpoints.Length} dashboard endpoints");
        foreach (var endpoint in endpoints)
        {
            var declared = endpoint.Metadata.GetMetadata<Access.MinimumRoleAttribute>();
            Assert.True(declared is not null, $"{endpoint.RoutePattern.RawText} declares no role");
            var method = new HttpMethod(endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Single());
            var url = Regex.Replace(endpoint.RoutePattern.RawText!, "{[^}]+}", "x");
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(new HttpRequestMessage(method, url))).StatusCode);
            foreach (var (role, client) in clients)
            {
                var status = (await client.SendAsync(new HttpRequestMessage(method, url))).StatusCode;
                Assert.True(
                    role >= declared.Role ? status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) : status == HttpStatusCode.Forbidden,
                    $"{method} {url} ({declared.Role}) as {role}: {status}");
            }
        }

        using var page = await clients[AccessRole.Viewer].GetAsync("/dashboard");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        var nonce = NonceRegex().Match(policy).Groups[1].Value;
        Assert.StartsWith("default-src 'none'; style-src 'nonce-", policy, StringComparison.Ordinal);
        Assert.Contains($"<style nonce=\"{nonce}\">", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        using var missing = await clients[AccessRole.Viewer].GetAsync("/dashboard/runs/no-such-run");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("id=\"not-found\"", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var again = await clients[AccessRole.Viewer].GetAsync("/dashboard");
        Assert.NotEqual(policy, again.Headers.GetValues("Content-Security-Policy").Single()); // a fresh nonce per response
    }

    [Fact]
    public async Task The_form_queues_a_run_that_viewers_see_without_patient_text_and_operators_with_it_audited()
    {
        var loader = new ScriptedLoader { Answer = (_, _, _) => Task.FromResult("A " + Canary) };
        await using var service = new TestService(loader);
        var model = service.Model();
        await service.Database.RegisterModelAsync(new StoredModel("tiny", model, new string('0', 64), 1, "llama", "F32", 1));
        var operatorClient = await service.ClientAsync(AccessRole.Operator);

        var form = await operatorClient.GetStringAsync("/dashboard/runs/new");
        Assert.Contains($"<option value=\"{model}\">tiny (tiny.gguf)</option>", form, StringComparison.Ordinal);
        Assert.Contains("<option value=\"medbullets\"", form, StringComparison.Ordinal);
        var token = TokenRegex().Match(form);
        Assert.True(token.Success, "the form has no antiforgery field");

        // without the antiforgery field the post is refused and nothing is queued
        var fields = new Dictionary<string, string>
        {
            ["model"] = model, ["benchmark"] = "medbullets", ["maxInstances"] = "2", ["jury"] = "none", ["samples"] = "true", ["runId"] = "from-form",
        };
        var forged = await operatorClient.PostAsync("/dashboard/runs", new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Null(await service.Database.Queue.GetQueuedAsync("from-form"));

        fields[token.Groups[1].Value] = WebUtility.HtmlDecode(token.Groups[2].Value);
        var posted = await operatorClient.PostAsync("/dashboard/runs", new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        Assert.Equal("/dashboard/runs/from-form", posted.Headers.Location?.OriginalString);
        Assert.Equal("test-Operator", (await service.Database.Queue.GetQueuedAsync("from-form"))!.RequestedBy);

        // the same id again: the form comes back with the queue's conflict, not a problem document
        var duplicate = await operatorClient.PostAsync("/dashboard/runs", new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Contains("id=\"form-error\"", await duplicate.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var viewer = await service.ClientAsync(AccessRole.Viewer);
        await TestService.WaitForAsync(viewer, "from-form", "completed");
        var viewerPage = await viewer.GetStringAsync("/dashboard/runs/from-form");
        Assert.Contains("<td class=\"model\">tiny</td>", viewerPage, StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, viewerPage, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/dashboard/runs/from-form?outputs=true")).StatusCode);
        foreach (var url in new[] { "/dashboard", "/dashboard/heatmap", "/dashboard/runs", "/dashboard/models", "/dashboard/datasets", "/dashboard/cluster" })
        {
            Assert.DoesNotContain(Canary, await viewer.GetStringAsync(url), StringComparison.Ordinal);
        }

        Assert.Contains("id=\"cluster-alone\"", await viewer.GetStringAsync("/dashboard/cluster"), StringComparison.Ordinal); // no Cluster section here

        Assert.Contains("<td class=\"model\">tiny</td>", await viewer.GetStringAsync("/dashboard?runId=from-form"), StringComparison.Ordinal);
        Assert.DoesNotContain(await service.Database.GetAuditAsync("from-form"), e => e.Event == "patient_text_accessed");

        var operatorPage = await operatorClient.GetStringAsync("/dashboard/runs/from-form?outputs=true");
        Assert.Contains("A " + Canary, operatorPage, StringComparison.Ordinal);
        var access = Assert.Single(await service.Database.GetAuditAsync("from-form"), e => e.Event == "patient_text_accessed");
        Assert.Contains("dashboard_run_outputs", access.DetailJson, StringComparison.Ordinal);
    }

    [GeneratedRegex("'nonce-([^']+)'")]
    private static partial Regex NonceRegex();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\">")]
    private static partial Regex TokenRegex();
}
