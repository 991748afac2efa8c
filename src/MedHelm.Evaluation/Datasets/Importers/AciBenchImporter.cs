using System.Text.Json;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// ACI-Bench: <c>challenge_data_json/*_full.json</c> (<c>{"data":[{"src","tgt","file"}]}</c>) or, when there is no JSON,
/// <c>challenge_data/*.csv</c> (dataset, encounter_id, dialogue, note). The three test sets become split "test";
/// train and valid keep their names.
/// </summary>
public sealed class AciBenchImporter : IDatasetImporter
{
    /// <inheritdoc />
    public string Benchmark => "aci_bench";

    /// <inheritdoc />
    public string Formats => "JSON challenge_data_json/*_full.json {data:[{src, tgt, file}]} or CSV challenge_data/*.csv (dataset, encounter_id, dialogue, note)";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var files = SelectFiles(path, context);
        var instances = new List<BenchmarkInstance>();
        foreach (var file in files)
        {
            var set = SetName(file);
            if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                ReadJson(file, set, context, instances);
            }
            else
            {
                ReadCsv(file, set, context, instances);
            }
        }

        return instances;
    }

    private static IReadOnlyList<string> SelectFiles(string path, ImportContext context)
    {
        if (File.Exists(path))
        {
            return [path];
        }

        if (!Directory.Exists(path))
        {
            context.Report.Add(path, null, null, null, "the path does not exist");
            return [];
        }

        foreach (var folder in new[] { Path.Combine(path, "challenge_data_json"), path })
        {
            if (Directory.Exists(folder) && Directory.GetFiles(folder, "*_full.json") is { Length: > 0 } json)
            {
                return json.Order(StringComparer.Ordinal).ToArray();
            }
        }

        foreach (var folder in new[] { Path.Combine(path, "challenge_data"), path })
        {
            if (Directory.Exists(folder))
            {
                var csv = Directory.GetFiles(folder, "*.csv").Where(f => !f.EndsWith("_metadata.csv", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal).ToArray();
                if (csv.Length > 0)
                {
                    return csv;
                }
            }
        }

        context.Report.Add(path, null, null, null, "no *_full.json or *.csv files were found (challenge_data_json/ or challenge_data/)");
        return [];
    }

    private static string SetName(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        return name.EndsWith("_full", StringComparison.Ordinal) ? name[..^5] : name;
    }

    private static string SplitOf(string set) =>
        set.Contains("test", StringComparison.OrdinalIgnoreCase) ? "test" : set.Contains("valid", StringComparison.OrdinalIgnoreCase) ? "valid" : "train";

    private static void ReadJson(string file, string set, ImportContext context, List<BenchmarkInstance> instances)
    {
        var source = context.LoadText(file, lineOriented: false);
        using var document = source is null ? null : JsonSource.Parse(source, context.Report);
        if (document is null)
        {
            return;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            context.Report.Add(source!.Path, 1, null, "data", "expected an object with a \"data\" array");
            return;
        }

        var lines = JsonSource.ObjectStartLines(source!, 2);
        var index = 0;
        foreach (var record in data.EnumerateArray())
        {
            var line = index < lines.Count ? lines[index] : (long?)null;
            var at = new RecordLocation(source!.Path, line, $"#{index}");
            index++;
            if (record.ValueKind != JsonValueKind.Object)
            {
                context.Report.Add(at.File, at.Line, at.Key, null, $"expected an object, found {JsonSource.Describe(record.ValueKind)}");
                continue;
            }

            var id = JsonSource.OptionalString(record, "file", at, context.Report) ?? $"{index - 1}";
            at = at with { Key = id };
            var src = JsonSource.RequireString(record, "src", at, context.Report);
            var tgt = JsonSource.RequireString(record, "tgt", at, context.Report);
            if (src is null || tgt is null)
            {
                continue;
            }

            instances.Add(ImporterSupport.Create(
                $"{set}/{id}", ImporterSupport.Fields(("conversation", src)), string.Empty, [], tgt, SplitOf(set), source!.Path, line,
                new Dictionary<string, string> { ["set"] = set }));
        }
    }

    private static void ReadCsv(string file, string set, ImportContext context, List<BenchmarkInstance> instances)
    {
        var source = context.LoadText(file, lineOriented: true);
        var table = source is null ? null : CsvTable.Parse(source, context.Report);
        if (table is null || !table.RequireColumns(context.Report, "encounter_id", "dialogue", "note"))
        {
            return;
        }

        foreach (var row in table.Rows)
        {
            if (row.IsBlank)
            {
                continue;
            }

            var id = table.Require(row, "encounter_id", context.Report);
            var dialogue = table.Require(row, "dialogue", context.Report, id);
            var note = table.Require(row, "note", context.Report, id);
            if (id is null || dialogue is null || note is null)
            {
                continue;
            }

            instances.Add(ImporterSupport.Create(
                $"{set}/{id}", ImporterSupport.Fields(("conversation", dialogue)), string.Empty, [], note, SplitOf(set), source!.Path, row.Line,
                new Dictionary<string, string> { ["set"] = set }));
        }
    }
}
