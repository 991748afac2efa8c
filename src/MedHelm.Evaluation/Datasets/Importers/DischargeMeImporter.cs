using System.Text;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// DischargeMe (PhysioNet <c>discharge-me</c>, BioNLP 2024 shared task): <c>discharge.csv.gz</c> (note_id, hadm_id,
/// text), <c>discharge_target.csv.gz</c> (hadm_id, brief_hospital_course, discharge_instructions) and
/// <c>radiology.csv.gz</c> (hadm_id, text; several per stay), joined on <c>hadm_id</c>, in <c>test_phase_1/</c> (or the
/// folder given). Each stay gives two instances: the Brief Hospital Course and the Discharge Instructions. The input is
/// the discharge text with both target sections removed (the verbatim target text, or else the section from its
/// heading to the next heading) plus the stay's radiology reports in file order. Plain <c>.csv</c> files are read too.
/// </summary>
public sealed class DischargeMeImporter : IDatasetImporter
{
    /// <summary>The two generated sections: (subset / metadata "section", heading in the note, target column).</summary>
    public static IReadOnlyList<(string Section, string Heading, string Column)> Targets { get; } =
    [
        ("brief_hospital_course", "Brief Hospital Course", "brief_hospital_course"),
        ("discharge_instructions", "Discharge Instructions", "discharge_instructions"),
    ];

    /// <inheritdoc />
    public string Benchmark => "dischargeme";

    /// <inheritdoc />
    public string Formats => "CSV.GZ test_phase_1/{discharge, discharge_target, radiology}.csv.gz joined on hadm_id (other files of the release are ignored)";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var folder = File.Exists(path) ? Path.GetDirectoryName(Path.GetFullPath(path))! : path;
        if (!Directory.Exists(folder))
        {
            context.Report.Add(path, null, null, null, "the path does not exist");
            return [];
        }

        if (Directory.Exists(Path.Combine(folder, "test_phase_1")))
        {
            folder = Path.Combine(folder, "test_phase_1");
        }

        var dischargeFile = Locate(folder, "discharge", context);
        var targetFile = Locate(folder, "discharge_target", context);
        var radiologyFile = Locate(folder, "radiology", context);
        if (dischargeFile is null || targetFile is null || radiologyFile is null)
        {
            return [];
        }

        var discharge = Table(dischargeFile, context, "hadm_id", "text");
        var targets = Table(targetFile, context, "hadm_id", "brief_hospital_course", "discharge_instructions");
        var radiology = Table(radiologyFile, context, "hadm_id", "text");
        if (discharge is null || targets is null || radiology is null)
        {
            return [];
        }

        var notes = new Dictionary<string, (string Text, string NoteId, long Line)>(StringComparer.Ordinal);
        foreach (var row in discharge.Rows.Where(r => !r.IsBlank))
        {
            var hadm = RequireId(discharge, row, context);
            var text = discharge.Require(row, "text", context.Report, hadm);
            if (hadm is null || text is null)
            {
                continue;
            }

            if (!notes.TryAdd(hadm, (text, discharge.Get(row, "note_id").Trim(), row.Line)))
            {
                context.Report.Add(discharge.Source.Path, row.Line, hadm, "hadm_id", "the stay has more than one discharge note");
            }
        }

        var reports = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var row in radiology.Rows.Where(r => !r.IsBlank))
        {
            var hadm = RequireId(radiology, row, context);
            var text = radiology.Require(row, "text", context.Report, hadm);
            if (hadm is null || text is null)
            {
                continue;
            }

            if (!reports.TryGetValue(hadm, out var list))
            {
                reports[hadm] = list = [];
            }

            list.Add(text.Trim());
        }

        var instances = new List<BenchmarkInstance>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in targets.Rows.Where(r => !r.IsBlank))
        {
            var hadm = RequireId(targets, row, context);
            var bhc = targets.Require(row, "brief_hospital_course", context.Report, hadm);
            var instructions = targets.Require(row, "discharge_instructions", context.Report, hadm);
            if (hadm is null || bhc is null || instructions is null)
            {
                continue;
            }

            if (!seen.Add(hadm))
            {
                context.Report.Add(targets.Source.Path, row.Line, hadm, "hadm_id", "the stay occurs more than once");
                continue;
            }

            if (!notes.TryGetValue(hadm, out var note))
            {
                context.Report.Add(targets.Source.Path, row.Line, hadm, "hadm_id", $"the stay has no discharge note in {Path.GetFileName(dischargeFile)}");
                continue;
            }

            if (!reports.TryGetValue(hadm, out var radiologyTexts))
            {
                context.Report.Add(targets.Source.Path, row.Line, hadm, "hadm_id", $"the stay has no radiology report in {Path.GetFileName(radiologyFile)}");
                continue;
            }

            var (input, removal) = RemoveTargets(note.Text, [(Targets[0].Heading, bhc), (Targets[1].Heading, instructions)]);
            var radiologyText = string.Join("\n\n", radiologyTexts);
            foreach (var (section, heading, column) in Targets)
            {
                var gold = column == "brief_hospital_course" ? bhc : instructions;
                instances.Add(ImporterSupport.Create(
                    $"{hadm}/{section}",
                    ImporterSupport.Fields(("discharge_text", input), ("radiology", radiologyText)),
                    heading,
                    [],
                    gold.Trim(),
                    "test",
                    targets.Source.Path,
                    row.Line,
                    new Dictionary<string, string>
                    {
                        ["subset"] = section,
                        ["hadm_id"] = hadm,
                        ["note_id"] = note.NoteId,
                        ["target_removal"] = removal,
                        ["radiology_reports"] = radiologyTexts.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    }));
            }
        }

        return instances;
    }

    /// <summary>
    /// Removes the target sections from a discharge note: the verbatim target text with its heading when present,
    /// else the section from its heading line to the next "Heading:" line. Returns the text and how it was done
    /// ("verbatim", "heading", "absent", or a mix joined by "+").
    /// </summary>
    public static (string Text, string Removal) RemoveTargets(string note, IReadOnlyList<(string Heading, string Target)> sections)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(sections);
        var text = note.Replace("\r\n", "\n", StringComparison.Ordinal);
        var how = new List<string>();
        foreach (var (heading, target) in sections)
        {
            var trimmed = target.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
            var at = trimmed.Length == 0 ? -1 : text.IndexOf(trimmed, StringComparison.Ordinal);
            if (at >= 0)
            {
                var end = at + trimmed.Length;
                var headingAt = text.LastIndexOf(heading + ":", at, StringComparison.OrdinalIgnoreCase);
                var start = headingAt >= 0 && string.IsNullOrWhiteSpace(text[(headingAt + heading.Length + 1)..at]) ? headingAt : at;
                text = text[..start] + text[end..];
                how.Add("verbatim");
                continue;
            }

            var h = FindHeading(text, heading);
            if (h >= 0)
            {
                var next = NextHeading(text, text.IndexOf('\n', h) is var nl && nl >= 0 ? nl + 1 : text.Length);
                text = text[..h] + text[next..];
                how.Add("heading");
                continue;
            }

            how.Add("absent");
        }

        return (CollapseBlankLines(text).Trim(), string.Join("+", how.Distinct()));
    }

    private static int FindHeading(string text, string heading)
    {
        var at = 0;
        while ((at = text.IndexOf(heading + ":", at, StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            if (at == 0 || text[at - 1] == '\n')
            {
                return at;
            }

            at++;
        }

        return -1;
    }

    // The next line that looks like a section heading ("Discharge Medications:", "Followup Instructions:").
    private static int NextHeading(string text, int from)
    {
        var at = from;
        while (at < text.Length)
        {
            var end = text.IndexOf('\n', at);
            var line = (end < 0 ? text[at..] : text[at..end]).TrimEnd();
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && colon < 40 && char.IsUpper(line[0]) && line[..colon].All(c => char.IsLetter(c) || c is ' ' or '/' or '-'))
            {
                return at;
            }

            if (end < 0)
            {
                break;
            }

            at = end + 1;
        }

        return text.Length;
    }

    private static string CollapseBlankLines(string text)
    {
        var sb = new StringBuilder(text.Length);
        var blank = 0;
        foreach (var line in text.Split('\n'))
        {
            blank = string.IsNullOrWhiteSpace(line) ? blank + 1 : 0;
            if (blank <= 1)
            {
                sb.Append(line.TrimEnd()).Append('\n');
            }
        }

        return sb.ToString();
    }

    private static string? Locate(string folder, string name, ImportContext context)
    {
        foreach (var candidate in new[] { name + ".csv.gz", name + ".csv" })
        {
            var file = Path.Combine(folder, candidate);
            if (File.Exists(file))
            {
                return file;
            }
        }

        context.Report.Add(Path.Combine(folder, name + ".csv.gz"), null, null, null, "the file is missing (DischargeMe needs discharge, discharge_target and radiology)");
        return null;
    }

    private static CsvTable? Table(string file, ImportContext context, params string[] columns)
    {
        var source = GzipSource.Load(file, context);
        var table = source is null ? null : CsvTable.Parse(source, context.Report);
        return table is not null && table.RequireColumns(context.Report, columns) ? table : null;
    }

    private static string? RequireId(CsvTable table, CsvRow row, ImportContext context)
    {
        var id = table.Require(row, "hadm_id", context.Report);
        if (id is not null && !long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            context.Report.Add(table.Source.Path, row.Line, id, "hadm_id", $"expected a numeric admission id, found '{TextUtil.Shorten(id)}'");
            return null;
        }

        return id;
    }
}
