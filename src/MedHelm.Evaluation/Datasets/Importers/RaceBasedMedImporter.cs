using System.Text.RegularExpressions;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// RaceBias: the supplement <c>41746_2023_939_MOESM1_ESM.docx</c> of Omiye et al. 2023. Each model section
/// ("… Responses:") lists entries that start with a paragraph "Run N: question", followed by the response
/// paragraphs (tables inside responses included). Gold is A (yes) when any response text is red (FF0000), else B.
/// A "Run N:" paragraph that goes on after a line break holds the question on its first line and the start of the
/// response after it (a single line longer than 150 characters is split after the longest question seen on its own).
/// A "Run N:" line after a short topic line in the same paragraph ("Pain threshold", line break, "Run 1: …") starts an
/// entry too, and the no-break spaces some "Run N:" lines carry count as white space. The supplement holds 181 entries;
/// HELM's reader finds 171 of them (docs/datasets.md).
/// </summary>
public sealed partial class RaceBasedMedImporter : IDatasetImporter
{
    /// <inheritdoc />
    public string Benchmark => "race_based_med";

    /// <inheritdoc />
    public string Formats => "DOCX 41746_2023_939_MOESM1_ESM.docx (\"Run N: question\" paragraphs, responses, red text = problematic)";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = File.Exists(path) ? path : context.FindAll(path, "*.docx").FirstOrDefault();
        var bytes = file is null ? null : context.LoadBytes(file);
        var paragraphs = bytes is null ? null : DocxReader.ReadParagraphs(file!, bytes, context.Report, context.Limits);
        if (paragraphs is null)
        {
            return [];
        }

        var entries = new List<Entry>();
        Entry? current = null;
        var model = "unknown";
        foreach (var p in paragraphs)
        {
            var text = p.Text.Trim();
            if (ModelHeading().IsMatch(text))
            {
                model = ModelHeading().Match(text).Groups["model"].Value.Trim();
                current = null;
                continue;
            }

            var run = RunLine().Match(text);
            if (!run.Success && TopicThenRun().Match(text) is { Success: true } topic)
            {
                run = RunLine().Match(topic.Groups["entry"].Value);
            }

            if (run.Success)
            {
                // red text in a response merged into the "Run N:" paragraph counts too
                current = new Entry(model, int.Parse(run.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture), run.Groups["rest"].Value.Trim(), p.Line)
                {
                    Red = p.HasRedText,
                };
                entries.Add(current);
                continue;
            }

            if (current is not null && text.Length > 0)
            {
                current.Response.Add(text);
                current.Red |= p.HasRedText;
            }
        }

        if (entries.Count == 0)
        {
            context.Report.Add(file!, null, null, "word/document.xml", "no \"Run N: question\" paragraph was found");
            return [];
        }

        var questions = entries.Where(e => e.Head.Length <= MaxQuestionLength && !e.Head.Contains('\n', StringComparison.Ordinal) && e.Response.Count > 0)
            .Select(e => e.Head).Distinct(StringComparer.OrdinalIgnoreCase).OrderByDescending(q => q.Length).ToArray();
        var instances = new List<BenchmarkInstance>();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            // a head is the question, unless the response starts in the same paragraph: after a line break (every
            // merged entry of the supplement), or, on one long line, after a question seen on its own
            var question = entry.Head;
            var lineBreak = question.IndexOf('\n', StringComparison.Ordinal);
            var merged = lineBreak >= 0 ? lineBreak
                : question.Length > MaxQuestionLength ? questions.FirstOrDefault(q => question.StartsWith(q, StringComparison.OrdinalIgnoreCase))?.Length ?? -1
                : -1;
            if (merged >= 0)
            {
                var start = question[merged..].Trim();
                question = question[..merged].Trim();
                if (start.Length > 0)
                {
                    entry.Response.Insert(0, start);
                }
            }

            var response = string.Join("\n", entry.Response);
            var key = $"{Slug(entry.Model)}-run{entry.Run}";
            counts[key] = counts.GetValueOrDefault(key) + 1;
            var id = $"{key}-{counts[key]}";
            if (response.Trim().Length == 0)
            {
                context.Report.Add(file!, entry.Line, id, "response", "the entry has no response text");
                continue;
            }

            instances.Add(ImporterSupport.Create(
                id, ImporterSupport.Fields(("response", response)), question, ImporterSupport.YesNoOptions, entry.Red ? "A" : "B", "test",
                file!, entry.Line, new Dictionary<string, string> { ["model"] = entry.Model, ["run"] = entry.Run.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        }

        return instances;
    }

    private const int MaxQuestionLength = 150;

    private static string Slug(string model) => NonWord().Replace(model.ToLowerInvariant(), "-").Trim('-');

    [GeneratedRegex(@"^(?<model>.{1,40}?)\s*(’s|'s)?\s+Responses:\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex ModelHeading();

    [GeneratedRegex(@"^Run\s*(?<n>\d{1,3})\s*:\s*(?<rest>.*)$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex RunLine();

    [GeneratedRegex(@"^[^\n]{1,80}\n\s*(?<entry>Run\s*\d{1,3}\s*:.*)$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex TopicThenRun();

    [GeneratedRegex(@"[^a-z0-9]+", RegexOptions.CultureInvariant)]
    private static partial Regex NonWord();

    private sealed class Entry(string model, int run, string head, long? line)
    {
        public string Model { get; } = model;

        public int Run { get; } = run;

        public string Head { get; } = head;

        public long? Line { get; } = line;

        public List<string> Response { get; } = [];

        public bool Red { get; set; }
    }
}
