using System.Globalization;
using System.Text.Json;

namespace MedHelm.Core.Metrics;

/// <summary>
/// A metric that scores one prediction against one gold record, and combines per-instance statistics into the
/// benchmark-level figures. Implementations are pure and thread-safe.
/// </summary>
public interface IMetric
{
    /// <summary>Name of the main statistic (HELM's name where HELM has one), also the name looked up by the CLI.</summary>
    string Name { get; }

    /// <summary>One line for <c>--help</c> and error messages.</summary>
    string Description { get; }

    /// <summary>Gold fields a record must carry (besides <c>prediction</c>).</summary>
    IReadOnlyList<string> RequiredFields { get; }

    /// <summary>Per-instance statistics; always contains <see cref="Name"/>.</summary>
    /// <exception cref="MetricInputFormatException">A gold field is missing or malformed.</exception>
    IReadOnlyDictionary<string, double> Score(string? prediction, GoldRecord gold, ScoringMode mode);

    /// <summary>Benchmark-level figures from the per-instance statistics.</summary>
    IReadOnlyDictionary<string, double> Aggregate(IReadOnlyList<IReadOnlyDictionary<string, double>> instances, ScoringMode mode);
}

/// <summary>Base class: aggregation is the plain mean of every statistic over instances (0 when there are none).</summary>
public abstract class MeanMetric : IMetric
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract string Description { get; }

    /// <inheritdoc />
    public abstract IReadOnlyList<string> RequiredFields { get; }

    /// <inheritdoc />
    public abstract IReadOnlyDictionary<string, double> Score(string? prediction, GoldRecord gold, ScoringMode mode);

    /// <inheritdoc />
    public virtual IReadOnlyDictionary<string, double> Aggregate(IReadOnlyList<IReadOnlyDictionary<string, double>> instances, ScoringMode mode) =>
        Mean(instances, Name);

    /// <summary>Mean of every key over the instances that carry it; <paramref name="mainName"/> is always present.</summary>
    public static Dictionary<string, double> Mean(IReadOnlyList<IReadOnlyDictionary<string, double>> instances, string mainName)
    {
        ArgumentNullException.ThrowIfNull(instances);
        var sums = new Dictionary<string, (double Sum, int Count)>(StringComparer.Ordinal) { [mainName] = (0, 0) };
        foreach (var instance in instances)
        {
            foreach (var (key, value) in instance)
            {
                var (sum, count) = sums.GetValueOrDefault(key);
                sums[key] = (sum + value, count + 1);
            }
        }

        return sums.ToDictionary(kv => kv.Key, kv => kv.Value.Count == 0 ? 0 : kv.Value.Sum / kv.Value.Count, StringComparer.Ordinal);
    }
}

/// <summary>A gold field was missing or had the wrong type.</summary>
public sealed class MetricInputFormatException(string field, string message) : FormatException(message)
{
    /// <summary>The offending field.</summary>
    public string Field { get; } = field;
}

/// <summary>The gold side of one instance: a JSON object (one JSONL line, minus <c>prediction</c>).</summary>
public sealed class GoldRecord
{
    private readonly JsonElement _root;

    /// <summary>Wraps a JSON object.</summary>
    public GoldRecord(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new MetricInputFormatException("", $"a record must be a JSON object, not {root.ValueKind}");
        }

        _root = root;
    }

    /// <summary>Builds a record from field/value pairs (strings, numbers, booleans, string arrays, null).</summary>
    public static GoldRecord From(params (string Field, object? Value)[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var dictionary = fields.ToDictionary(f => f.Field, f => f.Value, StringComparer.Ordinal);
        return new GoldRecord(JsonSerializer.SerializeToElement(dictionary));
    }

    /// <summary>True when the field is present and not null.</summary>
    public bool Has(string field) => _root.TryGetProperty(field, out var e) && e.ValueKind != JsonValueKind.Null;

    /// <summary>The raw element, or null when absent or JSON null.</summary>
    public JsonElement? Get(string field) =>
        _root.TryGetProperty(field, out var e) && e.ValueKind != JsonValueKind.Null ? e : null;

    /// <summary>A string field; a JSON number is returned as its source text.</summary>
    public string RequireString(string field) =>
        OptionalString(field) ?? throw new MetricInputFormatException(field, $"field '{field}' is missing");

    /// <summary>A string field or null; a JSON number is returned as its source text.</summary>
    public string? OptionalString(string field)
    {
        if (Get(field) is not { } e)
        {
            return null;
        }

        return e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Number => e.GetRawText(),
            _ => throw new MetricInputFormatException(field, $"field '{field}' must be a string, not {e.ValueKind}"),
        };
    }

    /// <summary>A boolean field (true/false, or the strings "true"/"false", or 0/1), or null when absent.</summary>
    public bool? OptionalBool(string field)
    {
        if (Get(field) is not { } e)
        {
            return null;
        }

        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when e.TryGetInt32(out var i) && i is 0 or 1 => i == 1,
            JsonValueKind.String when bool.TryParse(e.GetString(), out var b) => b,
            _ => throw new MetricInputFormatException(field, $"field '{field}' must be a boolean"),
        };
    }

    /// <summary>A list of strings: a JSON array of strings/numbers, or null when absent.</summary>
    public IReadOnlyList<string>? OptionalStringArray(string field)
    {
        if (Get(field) is not { } e)
        {
            return null;
        }

        if (e.ValueKind != JsonValueKind.Array)
        {
            throw new MetricInputFormatException(field, $"field '{field}' must be an array of strings");
        }

        var list = new List<string>();
        foreach (var item in e.EnumerateArray())
        {
            list.Add(item.ValueKind switch
            {
                JsonValueKind.String => item.GetString()!,
                JsonValueKind.Number => item.GetRawText(),
                _ => throw new MetricInputFormatException(field, $"field '{field}' must be an array of strings"),
            });
        }

        return list;
    }

    /// <summary>A string field, or the values of a string array joined by ", ".</summary>
    public string RequireStringOrList(string field) =>
        Get(field) is { ValueKind: JsonValueKind.Array }
            ? string.Join(", ", OptionalStringArray(field)!)
            : RequireString(field);

    /// <summary>Values of an object field (e.g. EHRSQL's <c>value</c>) as strings, in order; null when absent.</summary>
    public IReadOnlyList<string>? OptionalObjectValues(string field)
    {
        if (Get(field) is not { } e)
        {
            return null;
        }

        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new MetricInputFormatException(field, $"field '{field}' must be an object");
        }

        return e.EnumerateObject()
            .Select(p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText())
            .ToList();
    }

    internal static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
