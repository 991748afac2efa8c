using System.Security.Claims;
using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Service.Access;
using MedHelm.Service.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace MedHelm.Service.Apis;

/// <summary><c>/api/v1/models</c>: the configured models and endpoints, the recorded ones, and registering a file with its SHA-256.</summary>
public static class ModelsApi
{
    /// <summary>A model the service knows.</summary>
    /// <param name="Name">Its name.</param>
    /// <param name="Kind">configured (Models section), endpoint (Endpoints section) or recorded (registered, or used by a run).</param>
    /// <param name="FileName">The GGUF file's name (local models).</param>
    /// <param name="Sha256">The recorded SHA-256, when recorded.</param>
    /// <param name="SizeBytes">The recorded size.</param>
    /// <param name="Architecture">The recorded architecture.</param>
    /// <param name="Quantization">The recorded quantization.</param>
    public sealed record ModelView(string Name, string Kind, string? FileName, string? Sha256, long? SizeBytes, string? Architecture, string? Quantization);

    /// <summary>What an unload did.</summary>
    /// <param name="Name">The model.</param>
    /// <param name="State">unloaded (released now) or unloaded-after-use (released when the runs using it end).</param>
    public sealed record UnloadView(string Name, string State);

    /// <summary>The body of <c>POST /api/v1/models</c>.</summary>
    /// <param name="Name">The name to record it under.</param>
    /// <param name="Path">The GGUF file, inside Service:ModelFolder (relative paths resolve there).</param>
    /// <param name="Sha256">The SHA-256 the file must have (lower- or upper-case hex).</param>
    public sealed record RegisterModelBody(string? Name, string? Path, string? Sha256);

    /// <summary>Maps the group.</summary>
    public static RouteGroupBuilder MapModelsApiV1(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/api/v1/models", "Models");
        group.MapGet("/", ListAsync).RequireRole(AccessRole.Viewer).WithSummary("Configured models and endpoints, and every recorded model.");
        group.MapPost("/", RegisterAsync).RequireRole(AccessRole.Admin)
            .WithSummary("Record a GGUF file under a name after checking its header and its SHA-256 against the given one.");
        group.MapGet("/loaded", Loaded).RequireRole(AccessRole.Viewer).WithSummary("The local models in memory now, with the runs and requests using each.");
        group.MapPost("/{name}/load", LoadAsync).RequireRole(AccessRole.Admin)
            .WithSummary("Load a configured or registered local model and keep it in memory (within ModelLoader's budget) until it is unloaded.");
        group.MapPost("/{name}/unload", Unload).RequireRole(AccessRole.Admin)
            .WithSummary("Release a loaded model: at once when idle (200), else when the runs using it end (202).");
        return group;
    }

    private static Ok<IReadOnlyList<LoadedModelInfo>> Loaded(IResidentModels resident) => TypedResults.Ok(resident.Loaded);

    private static async Task<Ok<LoadedModelInfo>> LoadAsync(
        string name, IResidentModels resident, RunPlanner planner, IOptions<Dictionary<string, LocalModelOptions>> configured, IResultsDatabase database,
        ClaimsPrincipal user, CancellationToken ct)
    {
        // a Models name, or a model registered through POST /api/v1/models (its recorded file); never a path from the caller
        var argument = configured.Value.ContainsKey(name) ? name
            : (await database.GetModelAsync(name, ct))?.Path ?? throw new NotFoundException("name: no configured or registered local model has this name.");
        var loaded = await resident.LoadAsync(argument, name, planner.FileModelDefaults, ct);
        await database.AppendAuditAsync(null, "model_loaded", JsonSerializer.Serialize(new { name, by = Roles.Caller(user) }), ct);
        return TypedResults.Ok(loaded);
    }

    private static async Task<Results<Ok<UnloadView>, Accepted<UnloadView>>> Unload(
        string name, IResidentModels resident, IResultsDatabase database, ClaimsPrincipal user, CancellationToken ct)
    {
        var outcome = resident.Unload(name);
        if (outcome == UnloadOutcome.NotLoaded)
        {
            throw new NotFoundException("name: no model of this name is in memory.");
        }

        await database.AppendAuditAsync(null, "model_unloaded", JsonSerializer.Serialize(new { name, by = Roles.Caller(user) }), ct);
        var view = new UnloadView(name, outcome == UnloadOutcome.Unloaded ? "unloaded" : "unloaded-after-use");
        return outcome == UnloadOutcome.Unloaded ? TypedResults.Ok(view) : TypedResults.Accepted((string?)null, view);
    }

    private static async Task<Ok<IReadOnlyList<ModelView>>> ListAsync(
        IOptions<Dictionary<string, LocalModelOptions>> configured, IOptions<EndpointsOptions> endpoints, IResultsDatabase database, CancellationToken ct) =>
        TypedResults.Ok(await ListViewsAsync(configured.Value, endpoints.Value, database, ct));

    /// <summary>Configured models, endpoints and recorded models (also the dashboard's models page and run form).</summary>
    internal static async Task<IReadOnlyList<ModelView>> ListViewsAsync(
        IReadOnlyDictionary<string, LocalModelOptions> configured, EndpointsOptions endpoints, IResultsDatabase database, CancellationToken ct)
    {
        return configured.Select(m => new ModelView(m.Key, "configured", Path.GetFileName(m.Value.File), null, null, null, null))
            .Concat(endpoints.Items.Keys.Select(e => new ModelView(e, "endpoint", null, null, null, null, null)))
            .Concat((await database.ListModelsAsync(ct)).Select(m => new ModelView(
                m.Name, "recorded", m.Path is null ? null : Path.GetFileName(m.Path), m.Sha256, m.SizeBytes, m.Architecture, m.Quantization)))
            .ToArray();
    }

    private static async Task<Created<ModelView>> RegisterAsync(
        RegisterModelBody body, IOptions<ServiceOptions> options, MedHelmPaths paths, IResultsDatabase database, ClaimsPrincipal user, HttpContext context, CancellationToken ct)
    {
        RequestEcho.Record(context, [body.Name, body.Path, body.Sha256]);
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100 || body.Name.Any(char.IsControl))
        {
            throw new RequestValidationException("name: 1 to 100 printable characters.");
        }

        if (body.Sha256 is not { Length: 64 } expected || !expected.All(char.IsAsciiHexDigit))
        {
            throw new RequestValidationException("sha256: the file's SHA-256 as 64 hex digits.");
        }

        if (string.IsNullOrWhiteSpace(body.Path))
        {
            throw new RequestValidationException("path: the GGUF file, inside the model folder (Service:ModelFolder).");
        }

        var folder = paths.Resolve(options.Value.ModelFolder);
        var file = Path.GetFullPath(Path.Combine(folder, body.Path));
        if (!file.StartsWith(Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new PolicyViolationException("path: only files inside the model folder (Service:ModelFolder) can be registered.");
        }

        if (!File.Exists(file))
        {
            throw new NotFoundException("path: there is no such file in the model folder.");
        }

        var model = ModelFiles.Read(file);
        if (!string.Equals(model.Sha256, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new RequestValidationException($"sha256: the file's SHA-256 is {model.Sha256}, not the one given; nothing was registered.");
        }

        if (await database.GetModelAsync(body.Name, ct) is { } existing && !string.Equals(existing.Sha256, model.Sha256, StringComparison.Ordinal))
        {
            throw new ConflictException("name: a different model is recorded under this name.");
        }

        await database.RegisterModelAsync(body.Name, file, model.Sha256, model.SizeBytes, model.Architecture, model.Quantization, model.Parameters, ct);
        await database.AppendAuditAsync(null, "model_registered", JsonSerializer.Serialize(new { name = body.Name, sha256 = model.Sha256, by = Roles.Caller(user) }), ct);
        return TypedResults.Created(
            "/api/v1/models",
            new ModelView(body.Name, "recorded", Path.GetFileName(file), model.Sha256, model.SizeBytes, model.Architecture, model.Quantization));
    }
}
