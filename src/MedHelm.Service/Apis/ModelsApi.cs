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
    /// <param name="Kind">configured (Models section), endpoint (Endpoints section), registered (the model registry: models add, POST) or recorded (only used by a run).</param>
    /// <param name="FileName">The GGUF file's name (local models).</param>
    /// <param name="Sha256">The recorded SHA-256, when recorded.</param>
    /// <param name="SizeBytes">The recorded size.</param>
    /// <param name="Architecture">The recorded architecture.</param>
    /// <param name="Quantization">The recorded quantization.</param>
    public sealed record ModelView(string Name, string Kind, string? FileName, string? Sha256, long? SizeBytes, string? Architecture, string? Quantization)
    {
        /// <summary>Parameters (elements of all tensors), when recorded.</summary>
        public long? Parameters { get; init; }

        /// <summary>The trained context length, when registered.</summary>
        public long? ContextLength { get; init; }

        /// <summary>The chat template's detected family (llama3, deepseek-r1, chatml, …, none, unknown), when registered.</summary>
        public string? ChatTemplateFamily { get; init; }

        /// <summary>The SHA-256 of the chat template's text, when registered.</summary>
        public string? ChatTemplateSha256 { get; init; }

        /// <summary>The file's general.license, when it has one.</summary>
        public string? License { get; init; }

        /// <summary>Why the file was accepted: manifest, sha256 (the given hash) or trusted; null when not registered.</summary>
        public string? Trust { get; init; }

        /// <summary>Who registered it.</summary>
        public string? RegisteredBy { get; init; }

        /// <summary>When it was first recorded.</summary>
        public DateTimeOffset? RecordedUtc { get; init; }
    }

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
            .WithSummary("Register a GGUF file of the model folder under a name after validating it and checking its SHA-256 against the given one (audited).");
        group.MapDelete("/{name}", RemoveAsync).RequireRole(AccessRole.Admin)
            .WithSummary("Remove a registered model from the registry (never its file); refused while a queued or running run uses it (audited).");
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

    private static async Task<Ok<IReadOnlyList<ModelView>>> ListAsync(ModelRegistry registry, CancellationToken ct) =>
        TypedResults.Ok(await ListViewsAsync(registry, ct));

    /// <summary>Configured models, endpoints, registered and recorded models (also the dashboard's models page).</summary>
    internal static async Task<IReadOnlyList<ModelView>> ListViewsAsync(ModelRegistry registry, CancellationToken ct) =>
        (await registry.ListAsync(ct)).Select(View).ToArray();

    private static ModelView View(ModelListing m) => m.Stored is not { } s
        ? new ModelView(m.Name, m.Kind, m.File is null ? null : Path.GetFileName(m.File), null, null, null, null)
        : new ModelView(m.Name, m.Kind, s.Path is null ? null : Path.GetFileName(s.Path), s.Sha256, s.SizeBytes, s.Architecture, s.Quantization)
        {
            Parameters = s.Parameters,
            ContextLength = s.ContextLength,
            ChatTemplateFamily = s.ChatTemplateFamily,
            ChatTemplateSha256 = s.ChatTemplateSha256,
            License = s.License,
            Trust = s.Trust is { } trust ? ModelTrustNames.Of(trust) : null,
            RegisteredBy = s.RegisteredBy,
            RecordedUtc = s.RecordedUtc,
        };

    private static async Task<Created<ModelView>> RegisterAsync(
        RegisterModelBody body, IOptions<ServiceOptions> options, MedHelmPaths paths, ModelRegistry registry, ClaimsPrincipal user, HttpContext context, CancellationToken ct)
    {
        RequestEcho.Record(context, [body.Name, body.Path, body.Sha256]);
        ModelRegistry.ValidateName(body.Name ?? "");
        var expected = ModelRegistry.ValidateSha256(body.Sha256 ?? ""); // the service registers only files whose hash the caller gives
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

        var added = await registry.AddAsync(new ModelAddRequest(file, body.Name, expected), Roles.Caller(user), ct);
        return TypedResults.Created($"/api/v1/models/{Uri.EscapeDataString(added.Model.Name)}", View(new ModelListing(added.Model.Name, "registered", file, added.Model)));
    }

    private static async Task<NoContent> RemoveAsync(string name, ModelRegistry registry, ClaimsPrincipal user, CancellationToken ct)
    {
        await registry.RemoveAsync(name, Roles.Caller(user), ct);
        return TypedResults.NoContent();
    }
}
