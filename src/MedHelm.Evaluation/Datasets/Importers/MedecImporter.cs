using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>MEDEC (MS collection): the test CSV and, when present, the validation CSV; fully empty trailing rows are skipped.</summary>
public sealed class MedecImporter : IDatasetImporter
{
    private const string TestFile = "MEDEC-MS-TestSet-with-GroundTruth-and-ErrorType.csv";
    private const string ValidationFile = "MEDEC-MS-ValidationSet-with-GroundTruth-and-ErrorType.csv";
    private static readonly string[] Required = ["Text ID", "Sentences", "Error Flag", "Error Sentence ID", "Corrected Sentence"];

    /// <inheritdoc />
    public string Benchmark => "medec";

    /// <inheritdoc />
    public string Formats => $"CSV {TestFile} (test) and {ValidationFile} (valid): Text ID, Text, Sentences, Error Flag, Error Type, Error Sentence ID, Error Sentence, Corrected Sentence, Corrected Text";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var files = new List<(string File, string Split)>();
        if (File.Exists(path))
        {
            files.Add((path, path.Contains("Validation", StringComparison.OrdinalIgnoreCase) ? "valid" : "test"));
        }
        else if (context.Find(path, TestFile) is { } test)
        {
            files.Add((test, "test"));
            if (File.Exists(Path.Combine(path, ValidationFile)))
            {
                files.Add((Path.Combine(path, ValidationFile), "valid"));
            }
        }

        var instances = new List<BenchmarkInstance>();
        foreach (var (file, split) in files)
        {
            var source = context.LoadText(file, lineOriented: true);
            var table = source is null ? null : CsvTable.Parse(source, context.Report);
            if (table is null || !table.RequireColumns(context.Report, Required))
            {
                continue;
            }

            foreach (var row in table.Rows)
            {
                if (row.IsBlank)
                {
                    continue;
                }

                var report = context.Report;
                var id = table.Require(row, "Text ID", report);
                var sentences = table.Require(row, "Sentences", report, id);
                var flag = table.Require(row, "Error Flag", report, id);
                var sentenceId = table.Get(row, "Error Sentence ID").Trim();
                var corrected = table.Get(row, "Corrected Sentence").Trim();
                if (flag is not null and not ("0" or "1"))
                {
                    report.Add(source!.Path, row.Line, id, "Error Flag", $"expected 0 or 1, found '{TextUtil.Shorten(flag)}'");
                    continue;
                }

                if (flag == "1" && (!int.TryParse(sentenceId, out var sid) || sid < 0))
                {
                    report.Add(source!.Path, row.Line, id, "Error Sentence ID", $"expected a sentence number for a text with an error, found '{TextUtil.Shorten(sentenceId)}'");
                    continue;
                }

                if (id is null || sentences is null || flag is null)
                {
                    continue;
                }

                instances.Add(ImporterSupport.Create(
                    id,
                    ImporterSupport.Fields(("sentences", sentences)),
                    string.Empty,
                    [],
                    flag == "0" ? "CORRECT" : $"{sentenceId} {corrected}",
                    split,
                    source!.Path,
                    row.Line,
                    new Dictionary<string, string>
                    {
                        ["error_flag"] = flag,
                        ["error_type"] = table.Get(row, "Error Type").Trim(),
                        ["error_sentence_id"] = flag == "0" ? "-1" : sentenceId,
                        ["error_sentence"] = table.Get(row, "Error Sentence").Trim(),
                        ["corrected_sentence"] = corrected,
                    }));
            }
        }

        return instances;
    }
}
