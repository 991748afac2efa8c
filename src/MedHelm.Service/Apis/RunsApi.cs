using System.Security.Claims;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Service.Access;
using MedHelm.Service.Errors;
using MedHelm.Service.Runs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MedHelm.Service.Apis;

/// <summary>The body of <c>POST /api/v1/runs</c> (the fields of <c>medhelm run</c>).</summary>
/// <param name="Models">Models: Models or Endpoints names, or GGUF files.</param>
/// <param name="Benchmarks">Benchmark names (or a suite).</param>
/// <param name="Suite">medhelm-public, medhelm-all or demo (or benchmarks).</param>
/// <param name="Jury">Judges (empty: the Jury section's; ["none"]: no jury).</param>
/// <param name="MaxInstances">Instances per benchmark, or null for all.</param>
/// <param name="RunId">The run's id, or null for a generated one.</param>
/// <param name="Mode">corrected (default) or helm.</param>
/// <param name="BertScoreModel">A BERT-family model for BERTScore, or null.</param>
/// <param name="Samples">Run benchmarks that were never imported on their bundled samples.</param>
public sealed record CreateRunBody(
    IReadOnlyList<string>? Models, IReadOnlyList<string>? Benchmarks, string? Suite, IReadOnlyList<string>? Jury, int? MaxInstances, string? RunId,
    string? Mode, string? BertScoreModel, bool Samples = false);

/// <summary>A run as the API shows it: the queue's state (or the stored status of a run the CLI made), counts and live progress.</summary>
public sealed record RunView(
    string RunId, string Status, DateTimeOffset? EnqueuedUtc, DateTimeOffset? StartedUtc, DateTimeOffset? FinishedUtc, string? Error, string? RequestedBy,
    int Results, int Computed, int Reused, RunProgressView? Progress);

/// <summary>A run's per-instance result (output text only for roles that may see patient text, when asked).</summary>
public sealed record InstanceResultView(
    string Model, string Benchmark, string InstanceId, string Origin, string Metric, double? Score, string OutputSha256, long? PromptTokens,
    long? CompletionTokens, double ElapsedMs, string? Output, IReadOnlyDictionary<string, double> Secondary);

/// <summary><c>/api/v1/runs</c>: create (queue), list, status with live progress, cancel, resume, results per instance.</summary>
public static class RunsApi
{
    /// <summary>Maps the group.</summary>
    public static RouteGroupBuilder MapRunsApiV1(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/api/v1/runs", "Runs");
        group.MapPost("/", CreateAsync).RequireRole(AccessRole.Operator).WithSummary("Queue a run.");
        group.MapGet("/", ListAsync).RequireRole(AccessRole.Viewer).WithSummary("Every run, newest first.");
        group.MapGet("/{runId}", GetAsync).RequireRole(AccessRole.Viewer).WithSummary("A run's status with live progress.");
        group.MapPost("/{runId}/cancel", CancelAsync).RequireRole(AccessRole.Operator).WithSummary("Cancel a queued or running run (it can be resumed).");
        group.MapPost("/{runId}/resume", ResumeAsync).RequireRole(AccessRole.Operator).WithSummary("Queue a cancelled, failed or interrupted run to continue.");
        group.MapGet("/{runId}/results", ResultsAsync).RequireRole(AccessRole.Viewer)
            .WithSummary("Per-instance results; outputs=true (operator, admin; audited) adds the output text.");
        return group;
    }

    private static async Task<Accepted<RunView>> CreateAsync(CreateRunBody body, RunQueueService queue, IResultsDatabase database, ClaimsPrincipal user, HttpContext context, CancellationToken ct)
    {
        RequestEcho.Record(context, [.. body.Models ?? [], .. body.Benchmarks ?? [], .. body.Jury ?? [], body.Suite, body.RunId, body.Mode, body.BertScoreModel]);
        var request = new RunRequest(body.Benchmarks ?? [], body.Suite, body.Models ?? [], body.Jury ?? [], body.MaxInstances, body.RunId, false, body.Mode, body.BertScoreModel, body.Samples);
        var runId = await queue.EnqueueAsync(request, Roles.Caller(user), ct);
        return TypedResults.Accepted($"/api/v1/runs/{Uri.EscapeDataString(runId)}", await ViewAsync(runId, database, null, ct));
    }

    private static async Task<Ok<IReadOnlyList<RunView>>> ListAsync(IResultsDatabase database, CancellationToken ct) =>
        TypedResults.Ok(await ListViewsAsync(database, ct));

    /// <summary>Every run, newest first: the queue's and the ones the CLI made (also the dashboard's runs page).</summary>
    internal static async Task<IReadOnlyList<RunView>> ListViewsAsync(IResultsDatabase database, CancellationToken ct)
    {
        var stored = (await database.ListRunsAsync(ct)).ToDictionary(r => r.RunId, StringComparer.Ordinal);
        var queued = await database.Queue.ListQueuedAsync(ct);
        var views = queued.Select(q => View(q.RunId, q, stored.GetValueOrDefault(q.RunId), null))
            .Concat(stored.Values.Where(s => queued.All(q => q.RunId != s.RunId)).Select(s => View(s.RunId, null, s, null)))
            .OrderByDescending(v => v.EnqueuedUtc ?? v.StartedUtc)
            .ToArray();
        return views;
    }

    private static async Task<Ok<RunView>> GetAsync(string runId, IResultsDatabase database, RunProgressRegistry progress, CancellationToken ct) =>
        TypedResults.Ok(await ViewAsync(runId, database, progress, ct));

    private static async Task<Accepted<RunView>> CancelAsync(string runId, RunQueueService queue, IResultsDatabase database, ClaimsPrincipal user, CancellationToken ct)
    {
        await queue.CancelAsync(runId, Roles.Caller(user), ct);
        return TypedResults.Accepted($"/api/v1/runs/{Uri.EscapeDataString(runId)}", await ViewAsync(runId, database, null, ct));
    }

    private static async Task<Accepted<RunView>> ResumeAsync(string runId, RunQueueService queue, IResultsDatabase database, ClaimsPrincipal user, CancellationToken ct)
    {
        await queue.ResumeAsync(runId, Roles.Caller(user), ct);
        return TypedResults.Accepted($"/api/v1/runs/{Uri.EscapeDataString(runId)}", await ViewAsync(runId, database, null, ct));
    }

    private static async Task<Results<Ok<IReadOnlyList<InstanceResultView>>, ForbidHttpResult>> ResultsAsync(
        string runId, bool? outputs, IResultsDatabase database, ClaimsPrincipal user, CancellationToken ct)
    {
        var withText = outputs == true;
        if (withText && !Roles.MaySeePatientText(user))
        {
            return TypedResults.Forbid();
        }

        _ = await database.GetRunAsync(runId, ct) ?? throw new Application.Errors.NotFoundException("There is no such run in the results database.");
        if (withText)
        {
            await PatientTextAccess.AuditAsync(database, runId, user, "run_outputs", ct);
        }

        var rows = await database.GetRunResultsAsync(runId, withText, ct);
        return TypedResults.Ok<IReadOnlyList<InstanceResultView>>(rows.Select(r => new InstanceResultView(
            r.Model, r.Benchmark, r.InstanceId, r.Origin, r.Metric, r.Score, r.OutputSha256, r.PromptTokens, r.CompletionTokens, r.ElapsedMs,
            withText ? r.Output : null, r.Secondary)).ToArray());
    }

    /// <summary>One run with its live progress (also the dashboard's run page); 404 when neither the queue nor the database has it.</summary>
    internal static async Task<RunView> ViewAsync(string runId, IResultsDatabase database, RunProgressRegistry? progress, CancellationToken ct)
    {
        var queued = await database.Queue.GetQueuedAsync(runId, ct);
        var stored = (await database.ListRunsAsync(ct)).FirstOrDefault(r => r.RunId == runId);
        if (queued is null && stored is null)
        {
            throw new Application.Errors.NotFoundException("There is no such run in the service's queue or the results database.");
        }

        return View(runId, queued, stored, progress?.Get(runId));
    }

    private static RunView View(string runId, QueuedRun? queued, RunSummary? stored, RunProgressView? progress) => new(
        runId,
        queued?.State.ToString().ToLowerInvariant() ?? stored!.Status.ToString().ToLowerInvariant(),
        queued?.EnqueuedUtc,
        queued?.StartedUtc ?? stored?.StartedUtc,
        queued?.FinishedUtc ?? stored?.FinishedUtc,
        queued?.Error,
        queued?.RequestedBy,
        stored?.Results ?? 0,
        stored?.Computed ?? 0,
        stored?.Reused ?? 0,
        progress);
}

/// <summary>Every read of patient text through the API is audited: who, what, which run.</summary>
internal static class PatientTextAccess
{
    public static Task AuditAsync(IAuditLog audit, string? runId, ClaimsPrincipal user, string what, CancellationToken ct) =>
        audit.AppendAuditAsync(runId, "patient_text_accessed", System.Text.Json.JsonSerializer.Serialize(new { by = Roles.Caller(user), what }), ct);
}
