using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Application.Reports;
using MedHelm.Application.Runs;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Jury;
using MedHelm.Service.Access;
using MedHelm.Service.Apis;
using MedHelm.Service.Errors;
using MedHelm.Service.Runs;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace MedHelm.Service.Dashboard;

/// <summary>
/// The browser dashboard under <c>/dashboard</c>: server-rendered pages over the same application services and
/// stores as the JSON API (leaderboard, heatmap, runs with live progress, run detail, models, datasets, cluster, audit) and the
/// start-a-run form (antiforgery-checked). Every page declares its least role; none is in the OpenAPI document.
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>Maps the pages.</summary>
    public static RouteGroupBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", () => Results.LocalRedirect("/dashboard")).RequireRole(AccessRole.Viewer).ExcludeFromDescription();
        var group = app.MapGroup("/dashboard").ExcludeFromDescription();
        group.MapGet("/", LeaderboardAsync).RequireRole(AccessRole.Viewer);
        group.MapGet("/heatmap", HeatmapAsync).RequireRole(AccessRole.Viewer);
        group.MapGet("/runs", async (IResultsDatabase database, CancellationToken ct) =>
            new DashboardPage("Runs", "/dashboard/runs", DashboardPages.Runs(await RunsApi.ListViewsAsync(database, ct), mayStart: false), WithScript: true))
            .RequireRole(AccessRole.Viewer);
        group.MapGet("/runs/new", NewRunAsync).RequireRole(AccessRole.Operator);
        group.MapPost("/runs", StartRunAsync).RequireRole(AccessRole.Operator);
        group.MapGet("/runs/{runId}", RunAsync).RequireRole(AccessRole.Viewer);
        group.MapGet("/models", async (ModelRegistry registry, CancellationToken ct) =>
            new DashboardPage("Models", "/dashboard/models", DashboardPages.Models(await ModelsApi.ListViewsAsync(registry, ct))))
            .RequireRole(AccessRole.Viewer);
        group.MapGet("/datasets", async (IDatasetStore store, CancellationToken ct) =>
            new DashboardPage("Datasets", "/dashboard/datasets", DashboardPages.Datasets(await store.ListDatasetsAsync(ct))))
            .RequireRole(AccessRole.Viewer);
        group.MapGet("/cluster", async (IServiceProvider services, CancellationToken ct) =>
            new DashboardPage("Cluster", "/dashboard/cluster", DashboardPages.Cluster(await ClusterApi.ViewAsync(services, ct))))
            .RequireRole(AccessRole.Viewer);
        group.MapGet("/audit", async (IAuditLog audit, CancellationToken ct) =>
            new DashboardPage("Audit log", "/dashboard/audit", DashboardPages.Audit(await audit.GetAuditAsync(null, ct), await audit.VerifyAuditChainAsync(ct))))
            .RequireRole(AccessRole.Admin);
        return group;
    }

    private static async Task<DashboardPage> LeaderboardAsync(string? runId, IResultsDatabase database, CancellationToken ct)
    {
        var board = await new RunReportBuilder(database).BuildLeaderboardAsync(runId, ct);
        return new DashboardPage("Leaderboard", "/dashboard", DashboardPages.Leaderboard(board.Rows, runId));
    }

    private static async Task<DashboardPage> HeatmapAsync(IResultsDatabase database, CancellationToken ct)
    {
        var board = await new RunReportBuilder(database).BuildLeaderboardAsync(null, ct);
        return new DashboardPage("Heatmap", "/dashboard/heatmap", DashboardPages.Heatmap(board.Rows));
    }

    private static async Task<IResult> RunAsync(
        string runId, bool? outputs, IResultsDatabase database, RunProgressRegistry progress, ClaimsPrincipal user, CancellationToken ct)
    {
        var withText = outputs == true;
        var maySee = Roles.MaySeePatientText(user);
        if (withText && !maySee)
        {
            return Results.Forbid();
        }

        RunView run;
        try
        {
            run = await RunsApi.ViewAsync(runId, database, progress, ct);
        }
        catch (NotFoundException)
        {
            return new DashboardPage("No such run", "/dashboard/runs", Html.Of($"<p id=\"not-found\">There is no such run. <a href=\"/dashboard/runs\">Every run</a></p>"), StatusCode: StatusCodes.Status404NotFound);
        }

        var stored = await database.GetRunAsync(runId, ct) is not null;
        if (withText && stored)
        {
            await PatientTextAccess.AuditAsync(database, runId, user, "dashboard_run_outputs", ct);
        }

        var results = stored ? await database.GetRunResultsAsync(runId, withText, ct) : [];
        var jury = stored ? Jury(await database.GetJuryRatingsAsync(runId, ct), withText) : [];
        return new DashboardPage("Run " + runId, "/dashboard/runs", DashboardPages.RunDetail(new RunDetailModel(run, results, jury, withText, maySee)), WithScript: true);
    }

    private static async Task<DashboardPage> NewRunAsync(HttpContext context, IAntiforgery antiforgery, IResultsDatabase database, IOptions<Dictionary<string, LocalModelOptions>> configured,
        IOptions<EndpointsOptions> endpoints, CancellationToken ct) =>
        new("Start a run", "/dashboard/runs/new", DashboardPages.StartRun(await FormAsync(context, antiforgery, database, configured.Value, endpoints.Value, null, null, ct)));

    /// <summary>Queues the run through <see cref="RunQueueService"/> (as <c>POST /api/v1/runs</c>) and shows its page; a refused request shows the form again with why.</summary>
    private static async Task<IResult> StartRunAsync(
        [FromForm] StartRunForm form, HttpContext context, IAntiforgery antiforgery, RunQueueService queue, IResultsDatabase database,
        IOptions<Dictionary<string, LocalModelOptions>> configured, IOptions<EndpointsOptions> endpoints, ClaimsPrincipal user, CancellationToken ct)
    {
        RequestEcho.Record(context, [form.Model, form.Benchmark, form.RunId, form.MaxInstances]);
        try
        {
            var request = ToRequest(form);
            var runId = await queue.EnqueueAsync(request, Roles.Caller(user), ct);
            return Results.LocalRedirect(DashboardPages.RunPath(runId));
        }
        catch (ApplicationError e)
        {
            var model = await FormAsync(context, antiforgery, database, configured.Value, endpoints.Value, form, RequestEcho.Redact(context, e.Message), ct);
            return new DashboardPage("Start a run", "/dashboard/runs/new", DashboardPages.StartRun(model), StatusCode: ProblemDetailsExceptionHandler.StatusOf(e.Kind));
        }
    }

    /// <summary>The form's fields as a run request; a field that does not parse is a validation error naming it.</summary>
    internal static RunRequest ToRequest(StartRunForm form)
    {
        if (string.IsNullOrWhiteSpace(form.Model))
        {
            throw new RequestValidationException("model: choose a model.");
        }

        if (string.IsNullOrWhiteSpace(form.Benchmark))
        {
            throw new RequestValidationException("benchmark: choose a benchmark.");
        }

        int? max = null;
        if (!string.IsNullOrWhiteSpace(form.MaxInstances))
        {
            max = int.TryParse(form.MaxInstances, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new RequestValidationException("maxInstances: a whole number of at least 1, or empty for all.");
        }

        var jury = form.Jury switch
        {
            null or "" or "none" => new[] { "none" },
            "configured" => [],
            _ => throw new RequestValidationException("jury: none or configured."),
        };
        return new RunRequest([form.Benchmark], null, [form.Model], jury, max, string.IsNullOrWhiteSpace(form.RunId) ? null : form.RunId.Trim(),
            Samples: form.Samples == "true");
    }

    private static async Task<StartRunFormModel> FormAsync(
        HttpContext context, IAntiforgery antiforgery, IResultsDatabase database, IReadOnlyDictionary<string, LocalModelOptions> configured, EndpointsOptions endpoints,
        StartRunForm? values, string? error, CancellationToken ct)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var recorded = (await database.ListModelsAsync(ct)).Where(m => m.Path is not null && !configured.ContainsKey(m.Name) && File.Exists(m.Path));
        var models = configured.Keys.Order(StringComparer.Ordinal).Select(n => (n, n + " (configured)"))
            .Concat(endpoints.Items.Keys.Order(StringComparer.Ordinal).Select(n => (n, n + " (endpoint)")))
            .Concat(recorded.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => (m.Path!, $"{m.Name} ({Path.GetFileName(m.Path)})")))
            .ToArray();
        var benchmarks = (await new BenchmarkBrowser(database).ListAsync(ct)).Benchmarks.Select(b => b.Definition.Name).ToArray();
        return new StartRunFormModel(models, benchmarks, tokens.FormFieldName, tokens.RequestToken!, values, error);
    }

    /// <summary>The run's jury ratings; explanations (patient text; a failed judge's reason) only when <paramref name="withText"/>.</summary>
    internal static JuryRatingView[] Jury(IReadOnlyList<StoredJuryRating> ratings, bool withText) =>
        ratings.OrderBy(r => r.Model, StringComparer.Ordinal).ThenBy(r => r.Benchmark, StringComparer.Ordinal).ThenBy(r => r.InstanceId, StringComparer.Ordinal)
            .Select(r => new JuryRatingView(r.Model, r.Benchmark, r.InstanceId, r.Judge, r.Criterion, r.Rating, withText ? Explanation(r.DetailJson) : null))
            .ToArray();

    private static string? Explanation(string? detailJson)
    {
        if (string.IsNullOrEmpty(detailJson))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(detailJson);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && (root.TryGetProperty("explanation", out var text) || root.TryGetProperty("failure", out text)) && text.ValueKind == JsonValueKind.String
                ? text.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
