using System.Globalization;
using System.Text.Json;

namespace MedHelm.Core.Tests.Metrics.Reference;

/// <summary>
/// One case of the HELM reference fixtures written by <c>generate.py</c>: the inputs, and what HELM's own code returned
/// (its statistics, or the type of the exception it raised).
/// </summary>
public sealed record HelmReferenceCase(string Id, JsonElement Input, IReadOnlyDictionary<string, double> Expected, string? Error)
{
    /// <summary>The HELM release the fixtures come from (docs/metrics.md).</summary>
    public const string PinnedTag = "v0.5.16";

    /// <summary>A string input field.</summary>
    public string Text(string field) => Input.GetProperty(field).GetString()!;

    /// <summary>Reads a fixture file (first line: the reference versions; then one case per line).</summary>
    public static IReadOnlyList<HelmReferenceCase> Load(string path)
    {
        var cases = new List<HelmReferenceCase>();
        var lines = File.ReadAllLines(path);
        Assert.True(lines.Length > 1, $"{path} has no cases");
        using (var header = JsonDocument.Parse(lines[0]))
        {
            Assert.Equal("stanford-crfm/helm", header.RootElement.GetProperty("reference").GetString());
            Assert.Equal(PinnedTag, header.RootElement.GetProperty("tag").GetString());
        }

        for (var i = 1; i < lines.Length; i++)
        {
            var root = JsonDocument.Parse(lines[i]).RootElement;
            var expected = root.GetProperty("expected");
            string? error = expected.TryGetProperty("error", out var e) ? e.GetString() : null;
            var stats = error is null
                ? expected.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble(), StringComparer.Ordinal)
                : new Dictionary<string, double>(StringComparer.Ordinal);
            cases.Add(new HelmReferenceCase(root.GetProperty("id").GetString()!, root, stats, error));
        }

        return cases;
    }

    /// <summary>
    /// Compares what MedHelm computed with the reference; returns a description of each difference (none when equal
    /// within 1e-9). <paramref name="actual"/> null means MedHelm reported the case as undefined; every statistic the
    /// reference reports must be there except those in <paramref name="notComputed"/>.
    /// </summary>
    public IEnumerable<string> Differences(IReadOnlyDictionary<string, double>? actual, string? actualUndefined, IReadOnlySet<string> notComputed)
    {
        if (Error is not null)
        {
            if (actualUndefined is null)
            {
                yield return $"{Id}: HELM raises {Error}, MedHelm returned numbers";
            }

            yield break;
        }

        if (actual is null)
        {
            yield return $"{Id}: HELM returns numbers, MedHelm reported undefined ({actualUndefined})";
            yield break;
        }

        foreach (var (name, value) in Expected)
        {
            if (notComputed.Contains(name))
            {
                continue;
            }

            if (!actual.TryGetValue(name, out var got))
            {
                yield return $"{Id}: MedHelm does not report {name}";
                continue;
            }

            if (Math.Abs(got - value) > 1e-9 || double.IsNaN(got))
            {
                yield return $"{Id}: {name} helm {value.ToString("R", CultureInfo.InvariantCulture)}, MedHelm {got.ToString("R", CultureInfo.InvariantCulture)} for {Input.GetRawText()}";
            }
        }
    }
}
