using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;
using MedHelm.Evaluation.Files;

namespace MedHelm.Evaluation.Datasets;

/// <summary>
/// Reads PubMedQA (PQA-L) in its original format: <c>test_set.json</c> (object keyed by PubMed id) with the
/// optional <c>test_ground_truth.json</c> (PubMed id → label), or, when no test set is present,
/// <c>ori_pqal.json</c> (all 1,000 labelled records).
/// </summary>
public static class PubMedQaImporter
{
    /// <summary>The 500-question test split.</summary>
    public const string TestSetFileName = "test_set.json";

    /// <summary>PubMed id → gold label for the test split.</summary>
    public const string GroundTruthFileName = "test_ground_truth.json";

    /// <summary>All 1,000 expert-labelled records.</summary>
    public const string LabelledFileName = "ori_pqal.json";

    private static readonly string[] Decisions = ["yes", "no", "maybe"];

    /// <summary>Imports the dataset from <paramref name="folder"/>.</summary>
    /// <exception cref="DatasetFormatException">The folder or a file is missing, or a file is malformed.</exception>
    public static ImportedDataset Import(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (!Directory.Exists(folder))
        {
            throw new DatasetFormatException(folder, null, null, "dataset folder does not exist");
        }

        var testSet = Path.Combine(folder, TestSetFileName);
        if (File.Exists(testSet))
        {
            var groundTruth = Path.Combine(folder, GroundTruthFileName);
            return Import(
                Read(testSet),
                File.Exists(groundTruth) ? Read(groundTruth) : null,
                "test");
        }

        var labelled = Path.Combine(folder, LabelledFileName);
        if (File.Exists(labelled))
        {
            return Import(Read(labelled), null, "pqa_l");
        }

        throw new DatasetFormatException(
            folder, null, null, $"neither {TestSetFileName} nor {LabelledFileName} was found in the folder");
    }

    internal static ImportedDataset Import(SourceContent records, SourceContent? groundTruth, string split)
    {
        var labels = groundTruth is null ? null : ParseGroundTruth(groundTruth);
        var instances = ParseRecords(records, split);

        if (labels is not null)
        {
            var recordIds = new HashSet<string>(instances.Select(i => i.Id), StringComparer.Ordinal);
            foreach (var instance in instances)
            {
                if (!labels.TryGetValue(instance.Id, out var label))
                {
                    throw new DatasetFormatException(
                        groundTruth!.Name, instance.Id, null, $"record of {records.Name} has no ground-truth label");
                }

                var letter = LetterFor(label);
                if (!string.Equals(letter, instance.Gold, StringComparison.Ordinal))
                {
                    throw new DatasetFormatException(
                        groundTruth!.Name,
                        instance.Id,
                        "final_decision",
                        $"ground truth '{label}' disagrees with final_decision in {records.Name}");
                }
            }

            foreach (var key in labels.Keys)
            {
                if (!recordIds.Contains(key))
                {
                    throw new DatasetFormatException(
                        groundTruth!.Name, key, null, $"label has no matching record in {records.Name}");
                }
            }
        }

        var files = new List<SourceFileInfo> { records.Describe() };
        if (groundTruth is not null)
        {
            files.Add(groundTruth.Describe());
        }

        return new ImportedDataset(BuiltInBenchmarks.PubMedQa.Name, instances, files);
    }

    private static List<BenchmarkInstance> ParseRecords(SourceContent source, string split)
    {
        using var document = ParseDocument(source);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new DatasetFormatException(
                source.Name, null, null, $"expected a JSON object keyed by PubMed id, found {Describe(root.ValueKind)}");
        }

        var instances = new List<BenchmarkInstance>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            var key = property.Name;
            if (!seen.Add(key))
            {
                throw new DatasetFormatException(source.Name, key, null, "the record key occurs more than once");
            }

            var record = property.Value;
            if (record.ValueKind != JsonValueKind.Object)
            {
                throw new DatasetFormatException(
                    source.Name, key, null, $"expected the record to be a JSON object, found {Describe(record.ValueKind)}");
            }

            var question = RequireString(source, key, record, "QUESTION");
            var contexts = RequireStringArray(source, key, record, "CONTEXTS");
            if (contexts.Count == 0)
            {
                throw new DatasetFormatException(source.Name, key, "CONTEXTS", "the array is empty");
            }

            var sectionLabels = OptionalStringArray(source, key, record, "LABELS");
            var decision = RequireString(source, key, record, "final_decision");
            var gold = LetterFor(decision)
                ?? throw new DatasetFormatException(
                    source.Name, key, "final_decision", $"expected yes, no or maybe, found '{Shorten(decision)}'");

            var fields = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [BuiltInBenchmarks.ContextField] = JoinContexts(contexts, sectionLabels),
            };

            instances.Add(new BenchmarkInstance(
                key,
                fields,
                question.Trim(),
                [new AnswerOption('A', "yes"), new AnswerOption('B', "no"), new AnswerOption('C', "maybe")],
                gold,
                split));
        }

        if (instances.Count == 0)
        {
            throw new DatasetFormatException(source.Name, null, null, "the file holds no records");
        }

        return instances;
    }

    private static Dictionary<string, string> ParseGroundTruth(SourceContent source)
    {
        using var document = ParseDocument(source);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new DatasetFormatException(
                source.Name, null, null, $"expected a JSON object of PubMed id → label, found {Describe(root.ValueKind)}");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw new DatasetFormatException(
                    source.Name, property.Name, null, $"expected a string label, found {Describe(property.Value.ValueKind)}");
            }

            var label = property.Value.GetString()!;
            if (LetterFor(label) is null)
            {
                throw new DatasetFormatException(
                    source.Name, property.Name, null, $"expected yes, no or maybe, found '{Shorten(label)}'");
            }

            if (!labels.TryAdd(property.Name, label))
            {
                throw new DatasetFormatException(source.Name, property.Name, null, "the record key occurs more than once");
            }
        }

        return labels;
    }

    // HELM shows each paragraph on its own line, prefixed with its title-cased section label ("Methods. ...").
    private static string JoinContexts(IReadOnlyList<string> contexts, IReadOnlyList<string>? sectionLabels)
    {
        var withLabels = sectionLabels is not null && sectionLabels.Count == contexts.Count;
        var sb = new StringBuilder();
        for (var i = 0; i < contexts.Count; i++)
        {
            if (i > 0)
            {
                sb.Append('\n');
            }

            if (withLabels && !string.IsNullOrWhiteSpace(sectionLabels![i]))
            {
                sb.Append(TitleCase(sectionLabels[i].Trim())).Append(". ");
            }

            sb.Append(contexts[i].Trim());
        }

        return sb.ToString();
    }

    // Like Python's str.title(): upper-case a letter that follows a non-letter, lower-case the others.
    private static string TitleCase(string text)
    {
        var chars = text.ToCharArray();
        var previousIsLetter = false;
        for (var i = 0; i < chars.Length; i++)
        {
            var isLetter = char.IsLetter(chars[i]);
            if (isLetter)
            {
                chars[i] = previousIsLetter ? char.ToLowerInvariant(chars[i]) : char.ToUpperInvariant(chars[i]);
            }

            previousIsLetter = isLetter;
        }

        return new string(chars);
    }

    private static string? LetterFor(string decision) => Array.IndexOf(Decisions, decision.Trim().ToLowerInvariant()) switch
    {
        0 => "A",
        1 => "B",
        2 => "C",
        _ => null,
    };

    private static string RequireString(SourceContent source, string key, JsonElement record, string field)
    {
        if (!record.TryGetProperty(field, out var value))
        {
            throw new DatasetFormatException(source.Name, key, field, "the field is missing");
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new DatasetFormatException(source.Name, key, field, $"expected a string, found {Describe(value.ValueKind)}");
        }

        var text = value.GetString()!;
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new DatasetFormatException(source.Name, key, field, "the value is empty");
        }

        return text;
    }

    private static List<string> RequireStringArray(SourceContent source, string key, JsonElement record, string field) =>
        record.TryGetProperty(field, out _)
            ? OptionalStringArray(source, key, record, field)!
            : throw new DatasetFormatException(source.Name, key, field, "the field is missing");

    private static List<string>? OptionalStringArray(SourceContent source, string key, JsonElement record, string field)
    {
        if (!record.TryGetProperty(field, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new DatasetFormatException(source.Name, key, field, $"expected an array of strings, found {Describe(value.ValueKind)}");
        }

        var items = new List<string>(value.GetArrayLength());
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new DatasetFormatException(
                    source.Name, key, field, $"item {index} should be a string, found {Describe(item.ValueKind)}");
            }

            items.Add(item.GetString()!);
            index++;
        }

        return items;
    }

    private static JsonDocument ParseDocument(SourceContent source)
    {
        var bytes = source.Bytes.AsMemory();
        if (bytes.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bytes = bytes[3..];
        }

        if (bytes.Span.Trim((ReadOnlySpan<byte>)" \t\r\n"u8).IsEmpty)
        {
            throw new DatasetFormatException(source.Name, null, null, "the file is empty");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            var line = ex.LineNumber is { } l ? l + 1 : (long?)null;
            var position = ex.BytePositionInLine is { } p ? $", byte {p + 1} of the line" : string.Empty;
            throw new DatasetFormatException(source.Name, null, null, $"invalid JSON{position}", line, ex);
        }

        if (JsonSurrogates.Find(bytes.Span) is { } fault)
        {
            document.Dispose();
            throw new DatasetFormatException(source.Name, null, fault.Member, fault.Problem, 1 + bytes.Span[..(int)fault.ByteOffset].Count((byte)'\n'));
        }

        return document;
    }

    private static SourceContent Read(string path)
    {
        try
        {
            RegularFiles.EnsureRegular(path, "dataset file");
            return new SourceContent(path, File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DatasetFormatException(path, null, null, $"the file cannot be read ({ex.GetType().Name})", null, ex);
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

/// <summary>The bytes of one source file and the name used in messages.</summary>
internal sealed record SourceContent(string Name, byte[] Bytes)
{
    public SourceFileInfo Describe() =>
        new(Path.GetFileName(Name), Convert.ToHexStringLower(SHA256.HashData(Bytes)), Bytes.LongLength);
}
