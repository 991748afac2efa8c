using MedHelm.Core.Catalog;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// MTSamples report folders (<c>mtsamples_replicate</c> and <c>mtsamples_procedures</c>): one <c>.txt</c> per report.
/// A report becomes an instance when it has a <c>PLAN:</c>, else <c>SUMMARY:</c>, else <c>FINDINGS:</c> section with
/// text on its line; that text is the reference. Replicate: the section and everything after it are removed from the
/// input. Procedures: every PLAN / SUMMARY / FINDINGS line is removed.
/// </summary>
public sealed class MtSamplesImporter : IDatasetImporter
{
    private static readonly string[] Markers = ["PLAN:", "SUMMARY:", "FINDINGS:"];
    private readonly bool _procedures;

    private MtSamplesImporter(bool procedures) => _procedures = procedures;

    /// <summary>MTSamples (treatment plans).</summary>
    public static MtSamplesImporter Replicate { get; } = new(false);

    /// <summary>MTSamples Procedures.</summary>
    public static MtSamplesImporter Procedures { get; } = new(true);

    /// <inheritdoc />
    public string Benchmark => _procedures ? "mtsamples_procedures" : "mtsamples_replicate";

    /// <inheritdoc />
    public string Formats => _procedures
        ? "TXT folder mtsample_procedure/*.txt (one report each; PLAN/SUMMARY/FINDINGS line is the reference)"
        : "TXT folder mtsamples_processed/*.txt (one report each; PLAN/SUMMARY/FINDINGS line is the reference)";

    /// <summary>Splits one report into (input, reference, section); null when it has no usable section.</summary>
    public static (string Input, string Reference, string Section)? Extract(string text, bool procedures)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var marker in Markers)
        {
            var at = text.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var start = at + marker.Length;
            var end = text.IndexOf('\n', start);
            var reference = (end < 0 ? text[start..] : text[start..end]).Trim();
            if (reference.Length == 0)
            {
                continue;
            }

            var input = procedures ? RemoveSections(text) : text[..at];
            return (input.Trim(), reference, marker.TrimEnd(':'));
        }

        return null;
    }

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var folder = path;
        if (Directory.Exists(path))
        {
            var sub = Path.Combine(path, _procedures ? "mtsample_procedure" : "mtsamples_processed");
            if (Directory.Exists(sub))
            {
                folder = sub;
            }
        }

        var instances = new List<BenchmarkInstance>();
        foreach (var file in context.FindAll(folder, "*.txt"))
        {
            var source = context.LoadText(file, lineOriented: true);
            if (source is null || Extract(source.Text, _procedures) is not { } parts)
            {
                continue;
            }

            var id = Path.GetFileNameWithoutExtension(file);
            var meta = new Dictionary<string, string> { ["section"] = parts.Section };
            foreach (var header in new[] { "Medical Specialty:", "Sample Name:", "Description:" })
            {
                var line = source.Text.Split('\n').FirstOrDefault(l => l.StartsWith(header, StringComparison.Ordinal));
                if (line is not null)
                {
                    meta[header.TrimEnd(':').ToLowerInvariant().Replace(' ', '_')] = line[header.Length..].Trim();
                }
            }

            instances.Add(ImporterSupport.Create(
                id, ImporterSupport.Fields(("note", parts.Input)), string.Empty, [], parts.Reference, "test", file, null, meta));
        }

        return instances;
    }

    private static string RemoveSections(string text)
    {
        foreach (var marker in Markers)
        {
            int at;
            while ((at = text.IndexOf(marker, StringComparison.Ordinal)) >= 0)
            {
                var end = text.IndexOf('\n', at);
                text = end < 0 ? text[..at] : text[..at] + text[end..];
            }
        }

        return text;
    }
}
