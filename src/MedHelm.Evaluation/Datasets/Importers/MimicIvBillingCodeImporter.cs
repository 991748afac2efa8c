using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// MIMIC-IV billing codes: HELM reads the Feather file <c>mimiciv_icd10.feather</c> (columns <c>text</c>, the note,
/// and <c>target</c>, its ICD-10 codes). No Arrow library is available here, so the file is exported once to JSON
/// Lines (<c>pd.read_feather(f).to_json(out, orient="records", lines=True)</c>: <c>target</c> becomes a JSON array)
/// or CSV (<c>target</c> as <c>['I10' 'E119']</c>, <c>["I10","E119"]</c> or <c>I10,E119</c>). Gold: the codes
/// joined by commas. Ids: <c>hadm_id</c>, <c>note_id</c> or <c>id</c> when present, else the line.
/// </summary>
public sealed partial class MimicIvBillingCodeImporter : IDatasetImporter
{
    private static readonly string[] IdColumns = ["note_id", "hadm_id", "id"];

    /// <inheritdoc />
    public string Benchmark => "mimiciv_billing_code";

    /// <inheritdoc />
    public string Formats => "JSONL or CSV export of mimiciv_icd10.feather: text (note), target (ICD-10 codes: JSON array, Python/numpy list text or comma-separated)";

    /// <summary>Parses a code list: a JSON or Python/numpy list text, or codes separated by commas, semicolons or spaces.</summary>
    public static IReadOnlyList<string> ParseCodes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var inner = text.Trim();
        if (inner.StartsWith('[') && inner.EndsWith(']'))
        {
            inner = inner[1..^1];
        }

        return inner.Split([',', ';', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)
            .Select(c => c.Trim().Trim('\'', '"').Trim())
            .Where(c => c.Length > 0)
            .ToArray();
    }

    /// <summary>True for an ICD-10-CM/PCS-shaped code (letter or digit first, 3-7 characters, optional dot).</summary>
    public static bool IsIcd10(string code) => Icd10().IsMatch(code ?? string.Empty);

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = File.Exists(path)
            ? path
            : context.Find(path, "mimiciv_icd10.jsonl", "mimiciv_icd10.json", "mimiciv_icd10.csv");
        if (file is null)
        {
            return [];
        }

        if (file.EndsWith(".feather", StringComparison.OrdinalIgnoreCase))
        {
            context.Report.Add(file, null, null, null,
                "Feather files cannot be read here; export it once with pandas: pd.read_feather(f).to_json(\"mimiciv_icd10.jsonl\", orient=\"records\", lines=True)");
            return [];
        }

        var source = context.LoadText(file, lineOriented: true);
        if (source is null)
        {
            return [];
        }

        return file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? ReadCsv(source, context) : ReadJsonLines(source, context);
    }

    private static List<BenchmarkInstance> ReadJsonLines(SourceText source, ImportContext context)
    {
        var instances = new List<BenchmarkInstance>();
        foreach (var (line, record) in JsonSource.Records(source, context.Report))
        {
            var at = new RecordLocation(source.Path, line, null);
            string? id = null;
            foreach (var column in IdColumns)
            {
                id ??= JsonSource.OptionalString(record, column, at, context.Report);
            }

            at = at with { Key = id };
            var note = JsonSource.RequireString(record, "text", at, context.Report);
            IReadOnlyList<string>? codes = null;
            if (!record.TryGetProperty("target", out var target) || target.ValueKind == JsonValueKind.Null)
            {
                context.Report.Add(at.File, at.Line, at.Key, "target", "the field is missing");
            }
            else if (target.ValueKind == JsonValueKind.Array)
            {
                codes = JsonSource.RequireStringArray(record, "target", at, context.Report);
            }
            else if (target.ValueKind == JsonValueKind.String)
            {
                codes = ParseCodes(target.GetString()!);
            }
            else
            {
                context.Report.Add(at.File, at.Line, at.Key, "target", $"expected an array of ICD-10 codes, found {JsonSource.Describe(target.ValueKind)}");
            }

            Add(instances, context, at, id, note, codes);
        }

        return instances;
    }

    private static List<BenchmarkInstance> ReadCsv(SourceText source, ImportContext context)
    {
        var instances = new List<BenchmarkInstance>();
        var table = CsvTable.Parse(source, context.Report);
        if (table is null || !table.RequireColumns(context.Report, "text", "target"))
        {
            return instances;
        }

        var idColumn = IdColumns.FirstOrDefault(table.Has);
        foreach (var row in table.Rows.Where(r => !r.IsBlank))
        {
            var id = idColumn is null ? null : table.Get(row, idColumn).Trim() is { Length: > 0 } v ? v : null;
            var at = new RecordLocation(source.Path, row.Line, id);
            var note = table.Require(row, "text", context.Report, id);
            var target = table.Require(row, "target", context.Report, id);
            Add(instances, context, at, id, note, target is null ? null : ParseCodes(target));
        }

        return instances;
    }

    private static void Add(List<BenchmarkInstance> instances, ImportContext context, RecordLocation at, string? id, string? note, IReadOnlyList<string>? codes)
    {
        if (codes is not null)
        {
            if (codes.Count == 0)
            {
                context.Report.Add(at.File, at.Line, at.Key, "target", "the code list is empty");
                codes = null;
            }
            else if (codes.FirstOrDefault(c => !IsIcd10(c.Trim())) is { } bad)
            {
                context.Report.Add(at.File, at.Line, at.Key, "target", $"'{TextUtil.Shorten(bad)}' is not an ICD-10 code");
                codes = null;
            }
        }

        if (note is null || codes is null)
        {
            return;
        }

        var line = at.Line?.ToString(CultureInfo.InvariantCulture) ?? "?";
        instances.Add(ImporterSupport.Create(
            id?.Trim() ?? $"line{line}", ImporterSupport.Fields(("note", note.Trim())), string.Empty, [],
            string.Join(",", codes.Select(c => c.Trim().ToUpperInvariant())), "test", at.File, at.Line,
            new Dictionary<string, string> { ["code_count"] = codes.Count.ToString(CultureInfo.InvariantCulture) }));
    }

    [GeneratedRegex(@"^[A-Za-z0-9][0-9][0-9A-Za-z](\.?[0-9A-Za-z]{1,4})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Icd10();
}
