using MedHelm.Core.Catalog;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// MIMIC-RRS (radiology report summarization, MIMIC-III): line-aligned <c>&lt;split&gt;.findings.tok</c> and
/// <c>&lt;split&gt;.impression.tok</c>; line N of the findings file is the input, line N of the impression file the
/// reference. Every split with both files is read (MedHELM uses <c>test</c>). Files of unequal length are an error
/// naming both; an empty line inside a file is an error naming the file and line.
/// </summary>
public sealed class MimicRrsImporter : IDatasetImporter
{
    private const string FindingsSuffix = ".findings.tok";
    private const string ImpressionSuffix = ".impression.tok";

    /// <inheritdoc />
    public string Benchmark => "mimic_rrs";

    /// <inheritdoc />
    public string Formats => "TXT line-aligned <split>.findings.tok / <split>.impression.tok (one report per line)";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var findingsFiles = File.Exists(path)
            ? (path.EndsWith(FindingsSuffix, StringComparison.Ordinal) ? [path] : [])
            : context.FindAll(path, "*" + FindingsSuffix);
        if (File.Exists(path) && findingsFiles.Count == 0)
        {
            context.Report.Add(path, null, null, null, $"expected a *{FindingsSuffix} file (with its *{ImpressionSuffix} beside it)");
        }

        var instances = new List<BenchmarkInstance>();
        foreach (var findingsFile in findingsFiles)
        {
            var split = Path.GetFileName(findingsFile)[..^FindingsSuffix.Length];
            var impressionFile = findingsFile[..^FindingsSuffix.Length] + ImpressionSuffix;
            if (!File.Exists(impressionFile))
            {
                context.Report.Add(impressionFile, null, null, null, $"the impression file for {Path.GetFileName(findingsFile)} is missing");
                continue;
            }

            var findings = context.LoadText(findingsFile, lineOriented: true);
            var impressions = context.LoadText(impressionFile, lineOriented: true);
            if (findings is null || impressions is null)
            {
                continue;
            }

            var findingLines = Lines(findings.Text);
            var impressionLines = Lines(impressions.Text);
            if (findingLines.Count != impressionLines.Count)
            {
                context.Report.Add(
                    impressions.Path, Math.Min(findingLines.Count, impressionLines.Count) + 1, null, null,
                    $"{Path.GetFileName(findings.Path)} has {findingLines.Count} lines but {Path.GetFileName(impressions.Path)} has {impressionLines.Count}; the files must be line-aligned");
                continue;
            }

            for (var i = 0; i < findingLines.Count; i++)
            {
                var line = i + 1L;
                var ok = true;
                if (string.IsNullOrWhiteSpace(findingLines[i]))
                {
                    context.Report.Add(findings.Path, line, null, "findings", "the line is empty");
                    ok = false;
                }

                if (string.IsNullOrWhiteSpace(impressionLines[i]))
                {
                    context.Report.Add(impressions.Path, line, null, "impression", "the line is empty");
                    ok = false;
                }

                if (ok)
                {
                    instances.Add(ImporterSupport.Create(
                        $"{split}/{line}", ImporterSupport.Fields(("findings", findingLines[i].Trim())), string.Empty, [],
                        impressionLines[i].Trim(), split, findings.Path, line));
                }
            }
        }

        return instances;
    }

    // The lines of a file; one final line break does not start another line.
    private static List<string> Lines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }
}
