using System.Security.Claims;
using System.Text.Json.Nodes;
using MedHelm.Application.Errors;
using MedHelm.Application.Ports;
using MedHelm.Evaluation.Datasets;
using MedHelm.Service.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MedHelm.Service.Apis;

/// <summary><c>/api/v1/benchmarks</c>: the catalog and imported definitions (<see cref="BenchmarkBrowser"/>, as <c>medhelm benchmarks</c>).</summary>
public static class BenchmarksApi
{
    /// <summary>Maps the group.</summary>
    public static RouteGroupBuilder MapBenchmarksApiV1(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/api/v1/benchmarks", "Benchmarks");
        group.MapGet("/", ListAsync).RequireRole(AccessRole.Viewer).WithSummary("Every benchmark: built in, or defined by an imported definition file.");
        group.MapGet("/{name}", ShowAsync).RequireRole(AccessRole.Viewer).WithSummary("One benchmark's definition.");
        group.MapGet("/{name}/prompt", PromptAsync).RequireRole(AccessRole.Operator)
            .WithSummary("The chat messages the model receives for one instance (imported data may be patient text: operator, admin; audited).");
        return group;
    }

    private static async Task<Ok<JsonObject>> ListAsync(IResultsDatabase database, CancellationToken ct)
    {
        var listing = await new BenchmarkBrowser(database).ListAsync(ct);
        return TypedResults.Ok(new JsonObject
        {
            ["benchmarks"] = BenchmarkBrowser.ToJson(listing.Benchmarks),
            ["problems"] = new JsonArray([.. listing.Problems.Select(p => JsonValue.Create(p))]),
        });
    }

    private static async Task<Ok<JsonObject>> ShowAsync(string name, IResultsDatabase database, CancellationToken ct) =>
        TypedResults.Ok(BenchmarkBrowser.ToJson(await FindAsync(() => new BenchmarkBrowser(database).FindAsync(name, ct))));

    private static async Task<Ok<JsonObject>> PromptAsync(string name, string? instance, IResultsDatabase database, ClaimsPrincipal user, CancellationToken ct)
    {
        var preview = await FindAsync(() => new BenchmarkBrowser(database).PreviewAsync(name, instance, ct));
        await PatientTextAccess.AuditAsync(database, null, user, "benchmark_prompt", ct);
        return TypedResults.Ok(preview.ToJson());
    }

    /// <summary>The browser reports an unknown benchmark or instance as an argument error: a 404 here.</summary>
    private static async Task<T> FindAsync<T>(Func<Task<T>> find)
    {
        try
        {
            return await find();
        }
        catch (ArgumentException e)
        {
            throw new NotFoundException(e.Message, e);
        }
    }
}
