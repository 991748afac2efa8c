using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>MedBullets <c>medbullets_op5.csv</c> (preferred, 5 options) or <c>medbullets_op4.csv</c>.</summary>
public sealed class MedBulletsImporter : IDatasetImporter
{
    private static readonly string[] OptionColumns = ["opa", "opb", "opc", "opd", "ope"];

    /// <inheritdoc />
    public string Benchmark => "medbullets";

    /// <inheritdoc />
    public string Formats => "CSV medbullets_op5.csv (or medbullets_op4.csv): link, question, opa-ope, answer_idx, answer, explanation";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = context.Find(path, "medbullets_op5.csv", "medbullets_op4.csv");
        var source = file is null ? null : context.LoadText(file, lineOriented: true);
        var table = source is null ? null : CsvTable.Parse(source, context.Report);
        if (table is null || !table.RequireColumns(context.Report, "question", "opa", "opb", "opc", "opd", "answer_idx"))
        {
            return [];
        }

        var columns = OptionColumns.Where(table.Has).ToArray();
        var instances = new List<BenchmarkInstance>();
        foreach (var row in table.Rows)
        {
            if (row.IsBlank)
            {
                continue;
            }

            var report = context.Report;
            var link = table.Get(row, "link").Trim();
            var id = link.Contains("qid=", StringComparison.Ordinal) ? link[(link.IndexOf("qid=", StringComparison.Ordinal) + 4)..] : $"row{row.Line}";
            var question = table.Require(row, "question", report, id);
            var options = new List<string>();
            foreach (var column in columns)
            {
                var text = table.Require(row, column, report, id);
                options.Add(text ?? string.Empty);
            }

            var gold = table.Require(row, "answer_idx", report, id)?.ToUpperInvariant();
            if (gold is not null && (gold.Length != 1 || gold[0] < 'A' || gold[0] >= 'A' + columns.Length))
            {
                report.Add(source!.Path, row.Line, id, "answer_idx", $"expected a letter A-{(char)('A' + columns.Length - 1)}, found '{TextUtil.Shorten(gold)}'");
                continue;
            }

            if (question is null || gold is null || options.Any(string.IsNullOrEmpty))
            {
                continue;
            }

            instances.Add(ImporterSupport.Create(
                id, new Dictionary<string, string>(), question, ImporterSupport.Lettered(options), gold, "test", source!.Path, row.Line,
                new Dictionary<string, string> { ["link"] = link, ["explanation"] = table.Get(row, "explanation").Trim() }));
        }

        return instances;
    }
}
