using System.Text.Json;
using MedHelm.Application.Errors;

namespace MedHelm.Application.Ports;

/// <summary>
/// What every storage provider writes and reads the same way for the model registry: the audit details of a
/// registration and a removal, the refusal of a registration under a name that holds another file, and the stored trust.
/// </summary>
public static class ModelRegistryRecords
{
    /// <summary>The <c>model_registered</c> detail: name and hash; for a registration also its trust source, whether it was trusted explicitly, and by whom.</summary>
    public static string RegisteredDetail(StoredModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Trust is { } trust
            ? JsonSerializer.Serialize(new { name = model.Name, sha256 = model.Sha256, path = model.Path, source = ModelTrustNames.Of(trust), trust = trust == ModelTrust.Trusted, by = model.RegisteredBy })
            : JsonSerializer.Serialize(new { name = model.Name, sha256 = model.Sha256 });
    }

    /// <summary>The <c>model_removed</c> detail; <paramref name="keptForRuns"/>: the identity stays for stored results that name it.</summary>
    public static string RemovedDetail(string name, StoredModel existing, string removedBy, bool keptForRuns)
    {
        ArgumentNullException.ThrowIfNull(existing);
        return JsonSerializer.Serialize(new { name, sha256 = existing.Sha256, path = existing.Path, by = removedBy, kept_for_runs = keptForRuns });
    }

    /// <summary>The trust stored for <paramref name="name"/> (null: recorded by a run, not registered).</summary>
    /// <exception cref="InvalidDataException">The stored value is none of the trust sources.</exception>
    public static ModelTrust? ParseStoredTrust(string name, string? stored) =>
        stored is null
            ? null
            : ModelTrustNames.Parse(stored) ?? throw new InvalidDataException($"models.trust of '{name}' is '{stored}', not manifest, sha256 or trusted.");

    /// <summary>The refusal of a registration of <paramref name="name"/>, which already records <paramref name="existing"/>.</summary>
    public static ConflictException NameTaken(string name, StoredModel existing)
    {
        ArgumentNullException.ThrowIfNull(existing);
        return new ConflictException(
            $"name: a different model (SHA-256 {existing.Sha256 ?? "none"}) is recorded under '{name}'; choose another name, or remove it first.");
    }
}
