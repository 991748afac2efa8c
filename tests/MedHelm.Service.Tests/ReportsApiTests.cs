using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Service.Tests.Support;

namespace MedHelm.Service.Tests;

/// <summary>The decision report (json, csv, html, table) and the jury summary over HTTP, with the patient-text rule.</summary>
public sealed class ReportsApiTests
{
    [Fact]
    public async Task The_decision_report_of_a_run_is_served_in_every_format_and_text_only_to_roles_that_may_see_it()
    {
        await using var service = new TestService();
        var operatorClient = await service.ClientAsync(AccessRole.Operator);
        var body = new { models = new[] { service.Model() }, benchmarks = new[] { "medbullets" }, maxInstances = 3, samples = true, jury = new[] { "none" }, runId = "rep" };
        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsJsonAsync("/api/v1/runs", body)).StatusCode);
        var viewer = await service.ClientAsync(AccessRole.Viewer);
        Assert.Equal("completed", (await TestService.WaitForAsync(viewer, "rep", "completed", "failed")).GetProperty("status").GetString());

        var csv = await viewer.GetAsync("/api/v1/reports/decision?runId=rep&format=csv");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines.Skip(1), l => l.StartsWith("tiny,", StringComparison.Ordinal) && l.Contains("medbullets", StringComparison.Ordinal));

        var html = await viewer.GetAsync("/api/v1/reports/decision?runId=rep&format=html&replicates=50");
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("default-src 'none'", html.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("medbullets", await html.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var json = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/reports/decision?runId=rep");
        Assert.Contains("rep", json.GetRawText(), StringComparison.Ordinal);
        var table = await viewer.GetAsync("/api/v1/reports/decision?runId=rep&format=table");
        Assert.Equal("text/plain", table.Content.Headers.ContentType?.MediaType);

        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/api/v1/reports/decision?runId=rep&text=true")).StatusCode);
        var withText = await operatorClient.GetAsync("/api/v1/reports/decision?runId=rep&format=json&text=true");
        Assert.Equal(HttpStatusCode.OK, withText.StatusCode);
        var audit = await service.Database.GetAuditAsync(null);
        Assert.Contains(audit, e => e.Event == "report_exported" && e.DetailJson.Contains("\"csv\"", StringComparison.Ordinal));
        Assert.Contains(await service.Database.GetAuditAsync("rep"), e => e.Event == "patient_text_accessed" && e.DetailJson.Contains("decision_report_text", StringComparison.Ordinal));

        await RunsApiTests.AssertProblemAsync(await viewer.GetAsync("/api/v1/reports/decision?runId=rep&format=pdf"), HttpStatusCode.BadRequest, "format");
        await RunsApiTests.AssertProblemAsync(await viewer.GetAsync("/api/v1/reports/decision"), HttpStatusCode.BadRequest, "runId");
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync("/api/v1/reports/decision?runId=no-such-run")).StatusCode);

        // the run had no jury: nothing to summarise; an unknown run is not found
        Assert.Equal(0, (await viewer.GetFromJsonAsync<JsonElement>("/api/v1/runs/rep/jury")).GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync("/api/v1/runs/no-such-run/jury")).StatusCode);
    }
}
