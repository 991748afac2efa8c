using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Evaluation.Files;

namespace MedHelm.Application.Models;

/// <summary>One model of models/manifest.json.</summary>
public sealed record ModelManifestEntry(string Name, string File, string Sha256, string Quantization, string ChatTemplate, string License, string? Source);

/// <summary>
/// models/manifest.json: the models this installation knows, with the SHA-256 each file must have.
/// A malformed manifest is rejected with the file and the entry's field named.
/// </summary>
public sealed class ModelManifest
{
    private ModelManifest(string path, IReadOnlyList<ModelManifestEntry> entries)
    {
        Path = path;
        Entries = entries;
    }

    public string Path { get; }

    public IReadOnlyList<ModelManifestEntry> Entries { get; }

    public static ModelManifest Empty(string path) => new(path, []);

    public static ModelManifest Load(string path)
    {
        if (!System.IO.File.Exists(path))
        {
            return Empty(path);
        }

        var name = System.IO.Path.GetFileName(path);
        if (RegularFiles.KindOf(path) is { } kind)
        {
            throw new RequestValidationException($"{path} is {kind}, not a regular file; a model manifest must be a JSON file.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(System.IO.File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new RequestValidationException($"{name} is not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Array)
            {
                throw new RequestValidationException($"{name} must be an object with a \"models\" array.");
            }

            var entries = new List<ModelManifestEntry>();
            var index = 0;
            foreach (var item in models.EnumerateArray())
            {
                string Field(string field, bool required = true)
                {
                    if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s)
                    {
                        return s;
                    }

                    return required ? throw new RequestValidationException($"{name}: models[{index}] needs a non-empty string \"{field}\".") : "";
                }

                var modelName = Field("name");
                var file = Field("file");
                var sha = Field("sha256").ToLowerInvariant();
                if (sha.Length != 64 || !sha.All(Uri.IsHexDigit))
                {
                    throw new RequestValidationException($"{name}: models[{index}].sha256 must be 64 hexadecimal characters.");
                }

                entries.Add(new ModelManifestEntry(modelName, file, sha, Field("quantization"), Field("chatTemplate"), Field("license"), Field("source", required: false) is { Length: > 0 } s ? s : null));
                index++;
            }

            var duplicate = entries.GroupBy(e => e.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
            {
                throw new RequestValidationException($"{name}: the model name \"{duplicate.Key}\" appears more than once.");
            }

            return new ModelManifest(path, entries);
        }
    }

    /// <summary>The entry whose file has the same file name as <paramref name="modelPath"/>, if any.</summary>
    public ModelManifestEntry? FindByFile(string modelPath) =>
        Entries.FirstOrDefault(e => string.Equals(System.IO.Path.GetFileName(e.File), System.IO.Path.GetFileName(modelPath), StringComparison.Ordinal));

    /// <summary>Throws a <see cref="ConflictException"/> when <paramref name="modelPath"/> is listed with another SHA-256.</summary>
    public void Verify(string modelPath, string actualSha256)
    {
        var entry = FindByFile(modelPath);
        if (entry is not null && !string.Equals(entry.Sha256, actualSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ConflictException(
                $"{modelPath} has SHA-256 {actualSha256}, but {System.IO.Path.GetFileName(Path)} lists {entry.Sha256} for {entry.Name}: " +
                "the file is not the one the manifest describes (replace it, or update the manifest on purpose).");
        }
    }
}
