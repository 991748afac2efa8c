using System.Security.Cryptography;
using System.Text;
using MedHelm.Application.Errors;
using MedHelm.Application.Hosting;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Gguf;
using Microsoft.Extensions.Options;

namespace MedHelm.Application.Models;

/// <summary>What a host asks the registry to add.</summary>
/// <param name="Path">The GGUF file.</param>
/// <param name="Name">The name to record it under; null: the manifest entry's name when its hash is listed, else the file name without .gguf.</param>
/// <param name="Sha256">The SHA-256 the file must have (hex), or null.</param>
/// <param name="Trust">Register a file whose hash is neither listed in the manifest nor given (audited as trusted).</param>
public sealed record ModelAddRequest(string Path, string? Name = null, string? Sha256 = null, bool Trust = false);

/// <summary>What an add did.</summary>
public enum ModelAddOutcome
{
    /// <summary>The model is registered now.</summary>
    Registered,

    /// <summary>The same file was registered under this name already; nothing was written.</summary>
    AlreadyRegistered,
}

/// <summary>The registered model, what the add did, and the header's warnings (those <c>models inspect</c> prints).</summary>
public sealed record ModelAddResult(StoredModel Model, ModelAddOutcome Outcome, IReadOnlyList<string> Warnings);

/// <summary>A model a host lists: a Models entry, an Endpoints entry, or a row of the registry (registered, or recorded by a run).</summary>
/// <param name="Name">Its name.</param>
/// <param name="Kind">configured, endpoint, registered, or recorded (only used by a run).</param>
/// <param name="File">The GGUF file (configured and stored models).</param>
/// <param name="Stored">The stored row (registered and recorded models).</param>
public sealed record ModelListing(string Name, string Kind, string? File, StoredModel? Stored);

/// <summary>
/// The model registry every host uses (<c>medhelm models add|list|remove</c>, <c>/api/v1/models</c>): a GGUF file is
/// fully validated and hashed, its SHA-256 checked against models/manifest.json or the given one (an unknown file only
/// with an explicit, audited trust), and its identity, header facts and source of trust recorded in the results database.
/// </summary>
public sealed class ModelRegistry(
    Lazy<IResultsDatabase> database,
    MedHelmPaths paths,
    IOptions<Dictionary<string, LocalModelOptions>> configured,
    IOptions<EndpointsOptions> endpoints,
    TimeProvider time)
{
    /// <summary>The longest name accepted.</summary>
    public const int MaxNameLength = 100;

    /// <summary>The installation's manifest (models/manifest.json under the MedHelm home), which runs check model files against.</summary>
    public string ManifestPath => paths.Resolve("models/manifest.json");

    /// <summary>
    /// Validates, hashes and registers <paramref name="request"/>'s file, by <paramref name="registeredBy"/>. Nothing is
    /// recorded unless every check passes; re-adding the same file under the same name changes nothing.
    /// </summary>
    /// <exception cref="RequestValidationException">A bad name or hash; the file is not a usable GGUF model; the given SHA-256 is not the file's.</exception>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    /// <exception cref="PolicyViolationException">The hash is neither in the manifest nor given, and trust was not asked for.</exception>
    /// <exception cref="ConflictException">The manifest lists this file name with another hash, or the name holds another model.</exception>
    public async Task<ModelAddResult> AddAsync(ModelAddRequest request, string registeredBy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(registeredBy);
        if (request.Name is not null)
        {
            ValidateName(request.Name);
        }

        var given = request.Sha256 is null ? null : ValidateSha256(request.Sha256);
        var path = System.IO.Path.GetFullPath(request.Path);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new NotFoundException($"{path} does not exist; nothing was registered.");
        }

        var manifest = ModelManifest.Load(ManifestPath);
        var (file, header) = ModelFiles.ReadWithHeader(path);
        if (given is not null && !string.Equals(given, file.Sha256, StringComparison.Ordinal))
        {
            throw new RequestValidationException($"sha256: {path} has SHA-256 {file.Sha256}, not the {given} given; nothing was registered.");
        }

        manifest.Verify(path, file.Sha256);
        var entry = manifest.Entries.FirstOrDefault(e => string.Equals(e.Sha256, file.Sha256, StringComparison.Ordinal));
        var trust = entry is not null ? ModelTrust.Manifest
            : given is not null ? ModelTrust.GivenHash
            : request.Trust ? ModelTrust.Trusted
            : throw new PolicyViolationException(
                $"{path} has SHA-256 {file.Sha256}, which the manifest {ManifestPath} does not list{(File.Exists(ManifestPath) ? "" : " (it does not exist)")}, and no SHA-256 was given to check it " +
                "against: give the publisher's SHA-256 (--sha256), list the file in the manifest, or register it unchecked with --trust (audited). Nothing was registered.");

        var name = request.Name ?? entry?.Name ?? DefaultName(path);
        ValidateName(name);
        EnsureNameFree(name, path);
        var existing = await database.Value.GetModelAsync(name, cancellationToken).ConfigureAwait(false);
        if (existing is not null && !string.Equals(existing.Sha256, file.Sha256, StringComparison.Ordinal))
        {
            throw new ConflictException(
                $"name: a different model (SHA-256 {existing.Sha256 ?? "none"}) is recorded under '{name}'; choose another name, or remove it first. Nothing was registered.");
        }

        var warnings = GgufModelValidator.Validate(header);
        if (existing is { IsRegistered: true } && string.Equals(existing.Path, path, StringComparison.Ordinal))
        {
            return new ModelAddResult(existing, ModelAddOutcome.AlreadyRegistered, warnings);
        }

        var model = new StoredModel(name, path, file.Sha256, file.SizeBytes, file.Architecture, file.Quantization, file.Parameters)
        {
            ContextLength = header.Architecture is { } arch && header.TryGetInteger($"{arch}.context_length", out var context) ? context : null,
            ChatTemplateSha256 = header.ChatTemplate is { } template ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(template))) : null,
            ChatTemplateFamily = ChatTemplateFamilies.Detect(header.ChatTemplate),
            License = header.TryGetString("general.license", out var license) ? license : null,
            Trust = trust,
            RegisteredBy = registeredBy,
            RecordedUtc = time.GetUtcNow(),
        };
        await database.Value.RegisterModelAsync(model, cancellationToken).ConfigureAwait(false);
        return new ModelAddResult(await database.Value.GetModelAsync(name, cancellationToken).ConfigureAwait(false) ?? model, ModelAddOutcome.Registered, warnings);
    }

    /// <summary>The Models entries, the Endpoints entries, then every stored model (registered, or recorded by a run), each group by name.</summary>
    public async Task<IReadOnlyList<ModelListing>> ListAsync(CancellationToken cancellationToken = default)
    {
        var stored = await database.Value.ListModelsAsync(cancellationToken).ConfigureAwait(false);
        return configured.Value.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new ModelListing(m.Key, "configured", paths.Resolve(m.Value.File), null))
            .Concat(endpoints.Value.Items.Keys.Order(StringComparer.Ordinal).Select(e => new ModelListing(e, "endpoint", null, null)))
            .Concat(stored.Select(m => new ModelListing(m.Name, m.IsRegistered ? "registered" : "recorded", m.Path, m)))
            .ToArray();
    }

    /// <summary>
    /// Removes <paramref name="name"/> from the registry (never its file), by <paramref name="removedBy"/>; audited
    /// (<c>model_removed</c>). When stored results of runs name the model, its identity stays recorded for their reports.
    /// </summary>
    /// <returns>True when the row was deleted; false when only its registration was (runs' results name it).</returns>
    /// <exception cref="NotFoundException">No registered model has this name.</exception>
    /// <exception cref="ConflictException">A queued or running run uses it.</exception>
    public async Task<bool> RemoveAsync(string name, string removedBy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(removedBy);
        var db = database.Value;
        var existing = await db.GetModelAsync(name, cancellationToken).ConfigureAwait(false);
        if (existing is not { IsRegistered: true })
        {
            throw new NotFoundException(existing is null
                ? $"No registered model is named '{name}' (see `models list`)."
                : $"'{name}' is not registered: it is recorded only because runs used it, and that record stays with their results.");
        }

        var users = await new ModelUsage(db, configured.Value, paths).RunsUsingAsync(existing, cancellationToken).ConfigureAwait(false);
        if (users.Count > 0)
        {
            throw new ConflictException(
                $"'{name}' is used by the queued or running run(s) {string.Join(", ", users)}; cancel them or let them end, then remove it. Nothing was removed.");
        }

        _ = await db.RemoveModelAsync(name, removedBy, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"No registered model is named '{name}' (it was removed meanwhile).");
        return await db.GetModelAsync(name, cancellationToken).ConfigureAwait(false) is null;
    }

    /// <summary>1 to <see cref="MaxNameLength"/> printable characters, no leading or trailing space, no path separator.</summary>
    /// <exception cref="RequestValidationException">It is not.</exception>
    public static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl) || name.Trim().Length != name.Length
            || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            throw new RequestValidationException($"name: 1 to {MaxNameLength} printable characters, without a path separator or surrounding spaces.");
        }
    }

    /// <summary>The hash as lower-case hex.</summary>
    /// <exception cref="RequestValidationException">Not 64 hexadecimal digits.</exception>
    public static string ValidateSha256(string sha256) =>
        sha256 is { Length: 64 } && sha256.All(char.IsAsciiHexDigit)
            ? sha256.ToLowerInvariant()
            : throw new RequestValidationException("sha256: the file's SHA-256 as 64 hexadecimal digits.");

    /// <summary>The file name without a trailing .gguf.</summary>
    private static string DefaultName(string path)
    {
        var fileName = System.IO.Path.GetFileName(path);
        return fileName.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? fileName[..^5] : fileName;
    }

    /// <summary>A Models name may be registered only for its own file; an Endpoints name not at all.</summary>
    private void EnsureNameFree(string name, string path)
    {
        if (configured.Value.TryGetValue(name, out var entry) && !string.Equals(paths.Resolve(entry.File), path, StringComparison.Ordinal))
        {
            throw new ConflictException($"name: '{name}' is a model of the Models section (appsettings.json) with another file; choose another name.");
        }

        if (endpoints.Value.Items.ContainsKey(name))
        {
            throw new ConflictException($"name: '{name}' is a hosted endpoint (Endpoints section); choose another name.");
        }
    }
}
