using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Application.Reports;
using MedHelm.Application.Reports.Decision;
using MedHelm.Core.Decision;
using MedHelm.Service.Access;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

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
        group.MapGet("/reports/decision", DecisionAsync).RequireRole(AccessRole.Viewer)
            .Produces<string>(StatusCodes.Status200OK, "application/json", "text/csv", "text/html", "text/plain")
            .WithSummary("The decision report of one or more runs (runId repeated) as json, csv, html or table (as `medhelm report --run`); " +
                "text=true (operator, admin; audited) adds example instances with their text.");
        group.MapGet("/runs/{runId}/jury", JuryAsync).RequireRole(AccessRole.Viewer)
            .WithSummary("The jury of a run per model × benchmark: mean scores, each judge's verdicts and failures, and each pair of judges' agreement (Spearman, ICC(2,1)).");
        return group;
    }

    private static async Task<IResult> DecisionAsync(
        [FromQuery] string[]? runId, string? format, bool? baselines, bool? text, ulong? seed, int? replicates,
        IResultsDatabase database, IOptions<PricingOptions> pricing, ClaimsPrincipal user, HttpContext context, CancellationToken ct)
    {
        var runs = runId ?? [];
        if (runs.Length is 0 or > 20 || runs.Any(string.IsNullOrWhiteSpace))
        {
            throw new RequestValidationException("runId: 1 to 20 runs (repeat the parameter).");
        }

        var name = (format ?? "json").ToLowerInvariant();
        if (!DecisionRunReportFormats.Names.Contains(name))
        {
            throw new RequestValidationException($"format: one of {string.Join(", ", DecisionRunReportFormats.Names)}.");
        }

        if (replicates is < 0 or > 100_000)
        {
            throw new RequestValidationException("replicates: 0 to 100000 bootstrap replicates.");
        }

        var withText = text == true;
        if (withText && !Roles.MaySeePatientText(user))
        {
            return TypedResults.Forbid();
        }

        var decision = new DecisionOptions
        {
            BootstrapReplicates = replicates ?? DecisionOptions.Default.BootstrapReplicates,
            Seed = seed ?? DecisionOptions.Default.Seed,
        };
        var report = await new DecisionRunReportBuilder(database, pricing.Value)
            .BuildAsync(runs, new DecisionRunReportOptions { Baselines = baselines == true, IncludeText = withText, Decision = decision }, ct);
        foreach (var run in withText ? runs : [])
        {
            await PatientTextAccess.AuditAsync(database, run, user, "decision_report_text", ct);
        }

        await database.AppendAuditAsync(null, "report_exported", JsonSerializer.Serialize(new { runs, format = name, text = withText, by = Roles.Caller(user) }), ct);
        if (name == "html")
        {
            // the report is self-contained: nothing it shows may load anything from anywhere
            context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
        }

        var contentType = name switch { "json" => "application/json", "csv" => "text/csv", "html" => "text/html", _ => "text/plain" };
        return TypedResults.Text(DecisionRunReportFormats.Format(name, report, DateTimeOffset.UtcNow), contentType, Encoding.UTF8);
    }

    private static async Task<Ok<JsonArray>> JuryAsync(string runId, IResultsDatabase database, CancellationToken ct)
    {
        _ = await database.GetRunAsync(runId, ct) ?? throw new NotFoundException("There is no such run in the results database.");
        var entries = await RunJuryReports.BuildAsync(database, runId, null, null, ct);
        var rows = new JsonArray();
        foreach (var entry in entries)
        {
            var report = entry.Report;
            rows.Add(new JsonObject
            {
                ["model"] = entry.Model,
                ["benchmark"] = entry.Benchmark,
                ["instances"] = report.Instances,
                ["meanScore"] = Finite(report.MeanScore),
                ["meanNormalizedScore"] = Finite(report.MeanNormalizedScore),
                ["judges"] = new JsonArray([.. report.Judges.Select(j => (JsonNode)new JsonObject
                {
                    ["judge"] = j.Judge,
                    ["verdicts"] = j.Verdicts,
                    ["failures"] = j.Failures,
                    ["failedAttempts"] = j.FailedAttempts,
                    ["meanScore"] = Finite(j.MeanScore),
                })]),
                ["pairs"] = new JsonArray([.. report.Pairs.Select(p => (JsonNode)new JsonObject
                {
                    ["first"] = p.First,
                    ["second"] = p.Second,
                    ["instances"] = p.Instances,
                    ["spearman"] = Finite(p.Spearman),
                    ["icc21"] = Finite(p.Icc21),
                })]),
            });
        }

        return TypedResults.Ok(rows);
    }

    /// <summary>A statistic as JSON: null where it is undefined (NaN: too few instances or no variance).</summary>
    private static JsonNode? Finite(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

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
