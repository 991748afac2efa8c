using System.Globalization;
using System.Text.Json;

namespace MedHelm.Evaluation.Datasets.Formats;

/// <summary>JSON parsing with problems reported by file, line, record and field.</summary>
public static class JsonSource
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    /// <summary>Parses the whole file; null (problem reported with its line) when it is not valid JSON.</summary>
    public static JsonDocument? Parse(SourceText source, DatasetValidationReport report)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(report);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(source.Utf8Bytes, Options);
        }
        catch (JsonException ex)
        {
            report.Add(source.Path, ex.LineNumber is { } l ? l + 1 : null, null, null, "invalid JSON" + Position(ex));
            return null;
        }

        if (JsonSurrogates.Find(source.Utf8Bytes.Span) is { } fault)
        {
            report.Add(source.Path, source.LineOfByte(fault.ByteOffset), null, fault.Member, fault.Problem);
            document.Dispose();
            return null;
        }

        return document;
    }

    /// <summary>Parses one line of a JSON Lines file; null (problem reported) when it is not a JSON object.</summary>
    public static JsonDocument? ParseLine(SourceText source, string line, long lineNumber, DatasetValidationReport report)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(report);
        try
        {
            var document = JsonDocument.Parse(line, Options);
            if (JsonSurrogates.Find(line) is { } fault)
            {
                report.Add(source.Path, lineNumber, null, fault.Member, fault.Problem);
                document.Dispose();
                return null;
            }

            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                report.Add(source.Path, lineNumber, null, null, $"expected a JSON object, found {Describe(document.RootElement.ValueKind)}");
                document.Dispose();
                return null;
            }

            return document;
        }
        catch (JsonException ex)
        {
            report.Add(source.Path, lineNumber, null, null, "invalid JSON" + Position(ex));
            return null;
        }
    }

    /// <summary>
    /// The 1-based lines where the objects at <paramref name="depth"/> start, in document order (the records of
    /// an array at depth 0 are at depth 1; of <c>{"data": [...]}</c> at depth 2).
    /// </summary>
    public static IReadOnlyList<long> ObjectStartLines(SourceText source, int depth)
    {
        ArgumentNullException.ThrowIfNull(source);
        var lines = new List<long>();
        var bytes = source.Utf8Bytes.Span;
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 64 });
        long line = 1;
        long scanned = 0;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.StartObject && reader.CurrentDepth == depth)
                {
                    var at = reader.TokenStartIndex;
                    line += bytes[(int)scanned..(int)at].Count((byte)'\n');
                    scanned = at;
                    lines.Add(line);
                }
            }
        }
        catch (JsonException)
        {
            // the caller has already reported invalid JSON
        }

        return lines;
    }

    /// <summary>
    /// The 1-based line of every value in a JSON document, by path: <c>answer</c>, <c>answer.type</c>,
    /// <c>fields[1]</c>, <c>fields[1].key</c> (an object member's line is where its name is). When the text is not
    /// valid JSON, the lines read before the error.
    /// </summary>
    public static IReadOnlyDictionary<string, long> ValueLines(SourceText source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var lines = new Dictionary<string, long>(StringComparer.Ordinal);
        var bytes = source.Utf8Bytes.Span;
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 64 });
        var containers = new List<Container>();
        string? member = null;
        long line = 1;
        long scanned = 0;
        try
        {
            while (reader.Read())
            {
                var at = reader.TokenStartIndex;
                line += bytes[(int)scanned..(int)at].Count((byte)'\n');
                scanned = at;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        member = Join(containers[^1].Path, reader.GetString()!);
                        lines.TryAdd(member, line);
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        containers.Add(new Container(ValuePath(), reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        containers.RemoveAt(containers.Count - 1);
                        break;
                    default:
                        ValuePath();
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // the caller reports invalid JSON; the lines read so far still help
        }

        return lines;

        string ValuePath()
        {
            if (containers.Count == 0)
            {
                return string.Empty;
            }

            var parent = containers[^1];
            if (!parent.IsArray)
            {
                return member!;
            }

            var path = string.Create(CultureInfo.InvariantCulture, $"{parent.Path}[{parent.Count++}]");
            lines.TryAdd(path, line);
            return path;
        }

        static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "." + name;
    }

    /// <summary>
    /// A required non-empty string field (numbers are accepted as their text); null with a problem reported otherwise.
    /// <paramref name="path"/> names the field in problems when it is nested (e.g. <c>answer.type</c>); default <paramref name="field"/>.
    /// </summary>
    public static string? RequireString(
        JsonElement record, string field, RecordLocation at, DatasetValidationReport report, bool allowEmpty = false, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(at);
        ArgumentNullException.ThrowIfNull(report);
        path ??= field;
        if (record.ValueKind != JsonValueKind.Object || !record.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            report.Add(at.File, at.Line, at.Key, path, "the field is missing");
            return null;
        }

        string text;
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                text = value.GetString()!;
                break;
            case JsonValueKind.Number:
                text = value.GetRawText();
                break;
            default:
                report.Add(at.File, at.Line, at.Key, path, $"expected a string, found {Describe(value.ValueKind)}");
                return null;
        }

        if (!allowEmpty && string.IsNullOrWhiteSpace(text))
        {
            report.Add(at.File, at.Line, at.Key, path, "the value is empty");
            return null;
        }

        return text;
    }

    /// <summary>
    /// An optional string field; null when absent or null, a problem when of another type. <paramref name="path"/> names
    /// the field in problems when it is nested; default <paramref name="field"/>.
    /// </summary>
    public static string? OptionalString(JsonElement record, string field, RecordLocation at, DatasetValidationReport report, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(at);
        ArgumentNullException.ThrowIfNull(report);
        if (record.ValueKind != JsonValueKind.Object || !record.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => Fail(),
        };

        string? Fail()
        {
            report.Add(at.File, at.Line, at.Key, path ?? field, $"expected a string, found {Describe(value.ValueKind)}");
            return null;
        }
    }

    /// <summary>
    /// A required array of strings; null with a problem reported otherwise. <paramref name="path"/> names the field in
    /// problems when it is nested; default <paramref name="field"/>.
    /// </summary>
    public static IReadOnlyList<string>? RequireStringArray(JsonElement record, string field, RecordLocation at, DatasetValidationReport report, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(at);
        ArgumentNullException.ThrowIfNull(report);
        path ??= field;
        if (record.ValueKind != JsonValueKind.Object || !record.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            report.Add(at.File, at.Line, at.Key, path, "the field is missing");
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            report.Add(at.File, at.Line, at.Key, path, $"expected an array of strings, found {Describe(value.ValueKind)}");
            return null;
        }

        var items = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                report.Add(at.File, at.Line, at.Key, $"{path}[{index}]", $"expected a string, found {Describe(item.ValueKind)}");
                return null;
            }

            items.Add(item.GetString()!);
            index++;
        }

        return items;
    }

    /// <summary>
    /// The JSON value of every non-blank line of a JSON Lines source, with its line number; a line that does not parse
    /// is reported and skipped. Each value is valid until the enumeration moves on (its document is then released).
    /// </summary>
    public static IEnumerable<(long Line, JsonElement Record)> Records(SourceText source, DatasetValidationReport report)
    {
        foreach (var (line, text) in Lines(source))
        {
            using var document = ParseLine(source, text, line, report);
            if (document is not null)
            {
                yield return (line, document.RootElement);
            }
        }
    }

    /// <summary>The non-blank lines of a JSON Lines file with their 1-based numbers.</summary>
    public static IEnumerable<(long Line, string Text)> Lines(SourceText source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var text = source.Text;
        long number = 0;
        var start = 0;
        while (start <= text.Length)
        {
            var end = text.IndexOf('\n', start);
            var line = end < 0 ? text[start..] : text[start..end];
            number++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return (number, line.TrimEnd('\r'));
            }

            if (end < 0)
            {
                break;
            }

            start = end + 1;
        }
    }

    /// <summary>A JSON value kind in words.</summary>
    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    /// <summary>An object or array being read by <see cref="ValueLines"/>: its path and, for an array, the items so far.</summary>
    private sealed class Container(string path, bool isArray)
    {
        public string Path { get; } = path;

        public bool IsArray { get; } = isArray;

        public int Count { get; set; }
    }

    private static string Position(JsonException ex) =>
        ex.BytePositionInLine is { } p ? string.Create(CultureInfo.InvariantCulture, $", byte {p + 1} of the line") : string.Empty;
}

/// <summary>Where a record is: file, line (when known) and key.</summary>
public sealed record RecordLocation(string File, long? Line, string? Key);
