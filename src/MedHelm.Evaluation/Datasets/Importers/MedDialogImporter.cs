using System.Text.Json;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// MedDialog (healthcaremagic and icliniq subsets): JSON files <c>{"data":[{"src": dialogue, "tgt": summary}]}</c>, one
/// per subset and split, named after both (e.g. <c>healthcaremagic_test.json</c> or <c>icliniq/test.json</c>).
/// The subset becomes the instance's run (metadata "subset"); the split comes from the name (default test).
/// </summary>
public sealed class MedDialogImporter : IDatasetImporter
{
    private static readonly string[] Subsets = ["healthcaremagic", "icliniq"];

    /// <inheritdoc />
    public string Benchmark => "med_dialog";

    /// <inheritdoc />
    public string Formats => "JSON {data:[{src, tgt}]} per subset and split: healthcaremagic_test.json, icliniq_test.json (or <subset>/<split>.json)";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var files = context.FindAll(path, "*.json", recursive: true);
        var instances = new List<BenchmarkInstance>();
        foreach (var file in files)
        {
            var name = Path.GetRelativePath(File.Exists(path) ? Path.GetDirectoryName(Path.GetFullPath(path))! : path, file).ToLowerInvariant();
            var subset = Subsets.FirstOrDefault(s => name.Contains(s, StringComparison.Ordinal));
            if (subset is null)
            {
                context.Report.Add(file, null, null, null, $"the file name names no subset ({string.Join(" or ", Subsets)})");
                continue;
            }

            var split = name.Contains("train", StringComparison.Ordinal) ? "train" : name.Contains("val", StringComparison.Ordinal) ? "valid" : "test";
            var source = context.LoadText(file, lineOriented: false);
            using var document = source is null ? null : JsonSource.Parse(source, context.Report);
            if (document is null)
            {
                continue;
            }

            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            {
                context.Report.Add(source!.Path, 1, null, "data", "expected an object with a \"data\" array");
                continue;
            }

            var lines = JsonSource.ObjectStartLines(source!, 2);
            var index = 0;
            foreach (var record in data.EnumerateArray())
            {
                var line = index < lines.Count ? lines[index] : (long?)null;
                var id = $"{subset}/{split}/{index}";
                index++;
                var at = new RecordLocation(source!.Path, line, id);
                var src = JsonSource.RequireString(record, "src", at, context.Report);
                var tgt = JsonSource.RequireString(record, "tgt", at, context.Report);
                if (src is null || tgt is null)
                {
                    continue;
                }

                instances.Add(ImporterSupport.Create(
                    id, ImporterSupport.Fields(("conversation", src)), string.Empty, [], tgt, split, source.Path, line,
                    new Dictionary<string, string> { ["subset"] = subset }));
            }
        }

        return instances;
    }
}
