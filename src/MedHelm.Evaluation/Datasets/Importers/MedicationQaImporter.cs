using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>MedicationQA <c>MedInfo2019-QA-Medications.xlsx</c>: first sheet, header row, rows without an answer dropped (as HELM does).</summary>
public sealed class MedicationQaImporter : IDatasetImporter
{
    private static readonly string[] Columns = ["Question", "Focus (Drug)", "Question Type", "Answer", "Section Title", "URL"];

    /// <inheritdoc />
    public string Benchmark => "medication_qa";

    /// <inheritdoc />
    public string Formats => "XLSX MedInfo2019-QA-Medications.xlsx: Question, Focus (Drug), Question Type, Answer, Section Title, URL";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = File.Exists(path) ? path : context.FindAll(path, "*.xlsx").FirstOrDefault();
        var bytes = file is null ? null : context.LoadBytes(file);
        var rows = bytes is null ? null : XlsxReader.ReadFirstSheet(file!, bytes, context.Report, context.Limits);
        if (rows is null)
        {
            return [];
        }

        if (rows.Count == 0)
        {
            context.Report.Add(file!, null, null, null, "the worksheet is empty");
            return [];
        }

        var header = rows[0];
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (column, text) in header.Cells)
        {
            index.TryAdd(text.Trim(), column);
        }

        var ok = true;
        foreach (var name in new[] { "Question", "Answer" })
        {
            if (!index.ContainsKey(name))
            {
                context.Report.Add(file!, header.Row, null, name, $"the required column is missing (header: {string.Join(", ", header.Cells.Values)})");
                ok = false;
            }
        }

        if (!ok)
        {
            return [];
        }

        string Cell(SheetRow row, string name) => index.TryGetValue(name, out var i) ? row[i].Trim() : string.Empty;
        var instances = new List<BenchmarkInstance>();
        foreach (var row in rows.Skip(1))
        {
            var question = Cell(row, "Question");
            var answer = Cell(row, "Answer");
            if (answer.Length == 0)
            {
                continue; // HELM drops rows without an answer
            }

            var id = $"row{row.Row}";
            if (question.Length == 0)
            {
                context.Report.Add(file!, row.Row, id, "Question", "the value is empty");
                continue;
            }

            instances.Add(ImporterSupport.Create(
                id, new Dictionary<string, string>(), question, [], answer, "test", file!, row.Row,
                Columns.Skip(1).Where(c => c != "Answer").ToDictionary(c => c, c => Cell(row, c), StringComparer.Ordinal)));
        }

        return instances;
    }
}
