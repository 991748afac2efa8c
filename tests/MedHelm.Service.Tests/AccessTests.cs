using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Service.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace MedHelm.Service.Tests;

public sealed class AccessTests
{
    private const string Canary = "CANARY-PATIENT-7f3a";

    [Fact]
    public async Task Every_operation_of_the_OpenAPI_document_needs_a_token_and_the_role_it_declares()
    {
        await using var service = new TestService();
        var anonymous = service.Anonymous();
        var viewer = await service.ClientAsync(AccessRole.Viewer);
        var operatorClient = await service.ClientAsync(AccessRole.Operator);
        var viewerSession = await service.SessionClientAsync(AccessRole.Viewer);
        using var document = JsonDocument.Parse(await viewer.GetStringAsync("/openapi/v1.json"));

        var operations = 0;
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            var url = System.Text.RegularExpressions.Regex.Replace(path.Name, "{[^}]+}", "x");
            foreach (var operation in path.Value.EnumerateObject())
            {
                operations++;
                var method = new HttpMethod(operation.Name.ToUpperInvariant());
                var role = operation.Value.GetProperty("x-medhelm-role").GetString();
                Assert.Contains(role, new[] { "viewer", "operator", "admin" });

                var anonymousStatus = (await anonymous.SendAsync(new HttpRequestMessage(method, url))).StatusCode;
                Assert.True(anonymousStatus == HttpStatusCode.Unauthorized, $"{method} {url} anonymous: {anonymousStatus}");

                var viewerStatus = (await viewer.SendAsync(new HttpRequestMessage(method, url))).StatusCode;
                Assert.True(
                    role == "viewer" ? viewerStatus is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) : viewerStatus == HttpStatusCode.Forbidden,
                    $"{method} {url} ({role}) as viewer: {viewerStatus}");

                // a browser signed in as a viewer (session cookie) is held to the same roles
                var sessionStatus = (await viewerSession.SendAsync(new HttpRequestMessage(method, url))).StatusCode;
                Assert.True(
                    role == "viewer" ? sessionStatus is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) : sessionStatus == HttpStatusCode.Forbidden,
                    $"{method} {url} ({role}) as a viewer session: {sessionStatus}");

                var operatorStatus = (await operatorClient.SendAsync(new HttpRequestMessage(method, url))).StatusCode;
                Assert.True(
                    role == "admin" ? operatorStatus == HttpStatusCode.Forbidden : operatorStatus is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden),
                    $"{method} {url} ({role}) as operator: {operatorStatus}");
            }
        }

        Assert.True(operations >= 17, $"only {operations} operations in the document");
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/openapi/v1.json")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/no/such/route")).StatusCode);
    }

    /// <summary>
    /// The endpoints anonymous by design, all of them left out of the OpenAPI document (pages and liveness, not API):
    /// liveness, and the login and logout pages (their forms need an antiforgery token; logins are rate-limited).
    /// </summary>
    private static readonly string[] AnonymousByDesign = ["* /health/live", "GET /login", "POST /login", "POST /logout"];

    [Fact]
    public async Task Every_endpoint_declares_a_role_except_the_few_anonymous_by_design()
    {
        await using var service = new TestService();
        var anonymous = new List<string>();
        foreach (var endpoint in service.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"];
            var name = string.Join(",", methods) + " " + endpoint.RoutePattern.RawText;
            if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                anonymous.Add(name);
            }
            else
            {
                Assert.True(endpoint.Metadata.GetMetadata<Access.MinimumRoleAttribute>() is not null, $"{name} declares no role (RequireRole)");
            }
        }

        Assert.Equal(AnonymousByDesign.Order(), anonymous.Order());
        var client = service.Anonymous();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/login")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/login", new FormUrlEncodedContent([]))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/logout", new FormUrlEncodedContent([]))).StatusCode);
    }

    [Theory]
    [InlineData("Bearer mh_000000000000_0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("Bearer not-a-token")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task A_wrong_or_malformed_token_is_refused(string header)
    {
        await using var service = new TestService();
        var client = service.Anonymous();
        client.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse(header);
        var response = await client.GetAsync("/api/v1/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task A_tampered_secret_or_a_revoked_token_is_refused()
    {
        await using var service = new TestService();
        var token = await service.Services.GetRequiredService<Application.Access.ApiTokenService>().CreateAsync(AccessRole.Admin, "t", CancellationToken.None);
        var tampered = token.Token[..^1] + (token.Token[^1] == '0' ? '1' : '0');
        var client = service.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tampered);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/runs")).StatusCode);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/runs")).StatusCode);

        Assert.True(await service.Database.Tokens.RevokeTokenAsync(token.Id));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/runs")).StatusCode);
        Assert.False(await service.Database.Tokens.RevokeTokenAsync(token.Id));
        Assert.Contains(await service.Database.GetAuditAsync(null), e => e.Event == "token_revoked" && e.DetailJson.Contains(token.Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_viewer_never_gets_patient_text_and_an_operator_gets_it_audited()
    {
        var loader = new ScriptedLoader { Answer = (_, _, _) => Task.FromResult($"A {Canary}") };
        await using var service = new TestService(loader);
        var operatorClient = await service.ClientAsync(AccessRole.Operator);
        var viewer = await service.ClientAsync(AccessRole.Viewer);
        var body = new { models = new[] { service.Model() }, benchmarks = new[] { "medbullets" }, maxInstances = 2, samples = true, jury = new[] { "none" }, runId = "phi" };
        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsJsonAsync("/api/v1/runs", body)).StatusCode);
        await TestService.WaitForAsync(viewer, "phi", "completed");

        foreach (var url in new[] { "/api/v1/runs/phi/results?outputs=true", "/api/v1/runs/phi/report?outputs=true", "/api/v1/benchmarks/medbullets/prompt" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync(url)).StatusCode);
        }

        foreach (var url in new[] { "/api/v1/runs/phi/results", "/api/v1/runs/phi/report", "/api/v1/runs/phi", "/api/v1/runs", "/api/v1/leaderboard" })
        {
            var text = await viewer.GetStringAsync(url);
            Assert.DoesNotContain(Canary, text, StringComparison.Ordinal);
        }

        Assert.Contains(Canary, await operatorClient.GetStringAsync("/api/v1/runs/phi/results?outputs=true"), StringComparison.Ordinal);
        Assert.Contains(Canary, await operatorClient.GetStringAsync("/api/v1/runs/phi/report?outputs=true"), StringComparison.Ordinal);
        var preview = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/benchmarks/medbullets/prompt");
        Assert.True(preview.GetRawText().Length > 100);
        var accesses = (await service.Database.GetAuditAsync(null)).Where(e => e.Event == "patient_text_accessed").ToArray();
        Assert.Equal(3, accesses.Length);
        Assert.All(accesses, e => Assert.Contains("test-Operator", e.DetailJson, StringComparison.Ordinal));

        // the audit log (admin) holds the run, the token creations and the accesses, chained intact
        var admin = await service.ClientAsync(AccessRole.Admin);
        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit");
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("event").GetString() == "token_created");
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("event").GetString() == "run_completed");
        var chain = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify");
        Assert.True(chain.GetProperty("intact").GetBoolean());
        Assert.Equal(audit.GetArrayLength(), chain.GetProperty("rowsChecked").GetInt32());
    }
}
