using System.Text.Json;
using MedHelm.Evaluation.Files;

namespace MedHelm.Hosting;

/// <summary>
/// Checks appsettings.json before the configuration system reads it, so that a folder, a special file, a syntax
/// error (with its line and column) or a duplicated key is one clear error instead of a loader exception.
/// </summary>
public static class AppSettingsFile
{
    public const string FileName = "appsettings.json";

    /// <summary>Throws <see cref="ConfigurationFileException"/> when the file exists but is not a usable JSON object; absent is fine.</summary>
    public static void Check(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new ConfigurationFileException(path, $"{path} is a folder, not a JSON file.");
        }
        if (!File.Exists(path))
        {
            return;
        }
        if (RegularFiles.KindOf(path) is { } kind)
        {
            throw new ConfigurationFileException(path, $"{path} is {kind}, not a regular file.");
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationFileException(path, $"{path} cannot be read: {e.Message}", e);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigurationFileException(path, $"{path} must hold a JSON object ({{ ... }}), not a {document.RootElement.ValueKind.ToString().ToLowerInvariant()}.");
            }
            CheckDuplicates(path, document.RootElement, "");
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}" : "";
            throw new ConfigurationFileException(path, $"{path} is not valid JSON{where}: {FirstSentence(e.Message)}", e);
        }
    }

    /// <summary>The configuration system treats keys case-insensitively and refuses duplicates; name the key.</summary>
    private static void CheckDuplicates(string path, JsonElement element, string prefix)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in element.EnumerateObject())
            {
                NameOf(path, property, prefix);
                var key = prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}";
                if (!seen.Add(property.Name))
                {
                    throw new ConfigurationFileException(path, $"{path} gives the key '{key}' twice (keys are compared ignoring case).");
                }
                CheckDuplicates(path, property.Value, key);
            }
        }
        else if (element.ValueKind == JsonValueKind.String)
        {
            try
            {
                element.GetString();
            }
            catch (InvalidOperationException e)
            {
                throw new ConfigurationFileException(path, $"{path}: the value of '{prefix}' is not valid text (a lone UTF-16 surrogate escape such as \\uD800).", e);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in element.EnumerateArray())
            {
                CheckDuplicates(path, item, $"{prefix}:{i++}");
            }
        }
    }

    private static void NameOf(string path, JsonProperty property, string prefix)
    {
        try
        {
            _ = property.Name;
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationFileException(path, $"{path}: a key under '{(prefix.Length == 0 ? "(top level)" : prefix)}' is not valid text (a lone UTF-16 surrogate escape such as \\uD800).", e);
        }
    }

    private static string FirstSentence(string message)
    {
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }
        }
        return message.TrimEnd();
    }
}
