using System.Security.Claims;
using System.Text.Json.Nodes;
using MedHelm.Application.Ports;
using MedHelm.Application.Reports;
using MedHelm.Service.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MedHelm.Service.Apis;

/// <summary>Leaderboards and run reports as JSON (<see cref="RunReportBuilder"/>, <see cref="RunReportJsonFormatter"/>: the same as <c>medhelm runs show --json</c>).</summary>
public static class ReportsApi
{
    /// <summary>Maps the group.</summary>
    public static RouteGroupBuilder MapReportsApiV1(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/api/v1", "Reports");
        group.MapGet("/leaderboard", LeaderboardAsync).RequireRole(AccessRole.Viewer)
            .WithSummary("Model × benchmark scores of one run (runId), or the latest result of every instance across runs.");
        group.MapGet("/runs/{runId}/report", ReportAsync).RequireRole(AccessRole.Viewer)
            .WithSummary("Everything recorded about a run; outputs=true (operator, admin; audited) adds output and reference texts.");
        return group;
    }

    private static async Task<Ok<JsonArray>> LeaderboardAsync(string? runId, IResultsDatabase database, CancellationToken ct)
    {
        var board = await new RunReportBuilder(database).BuildLeaderboardAsync(runId, ct);
        return TypedResults.Ok(RunReportJsonFormatter.FormatLeaderboard(board.Rows));
    }

    private static async Task<Results<Ok<JsonObject>, ForbidHttpResult>> ReportAsync(
        string runId, bool? outputs, IResultsDatabase database, ClaimsPrincipal user, CancellationToken ct)
    {
        var withText = outputs == true;
        if (withText && !Roles.MaySeePatientText(user))
        {
            return TypedResults.Forbid();
        }

        var report = await new RunReportBuilder(database).BuildAsync(runId, new RunReportOptions { IncludeOutputs = withText }, ct);
        if (withText)
        {
            await PatientTextAccess.AuditAsync(database, runId, user, "run_report_outputs", ct);
        }

        return TypedResults.Ok(RunReportJsonFormatter.ToJson(report));
    }
}
