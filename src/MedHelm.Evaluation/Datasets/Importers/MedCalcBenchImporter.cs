using System.Globalization;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>MedCalc-Bench v1.0 <c>test_data.csv</c> (1,047 rows).</summary>
public sealed class MedCalcBenchImporter : IDatasetImporter
{
    private static readonly string[] Required =
    [
        "Row Number", "Calculator ID", "Calculator Name", "Category", "Output Type", "Patient Note", "Question",
        "Ground Truth Answer", "Lower Limit", "Upper Limit",
    ];

    /// <inheritdoc />
    public string Benchmark => "medcalc_bench";

    /// <inheritdoc />
    public string Formats => "CSV test_data.csv (Row Number, Calculator ID/Name, Category, Output Type, Patient Note, Question, Ground Truth Answer, Lower/Upper Limit, …)";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = context.Find(path, "test_data.csv");
        var source = file is null ? null : context.LoadText(file, lineOriented: true);
        var table = source is null ? null : CsvTable.Parse(source, context.Report);
        if (table is null || !table.RequireColumns(context.Report, Required))
        {
            return [];
        }

        var report = context.Report;
        var instances = new List<BenchmarkInstance>();
        foreach (var row in table.Rows)
        {
            if (row.IsBlank)
            {
                continue;
            }

            var id = table.Require(row, "Row Number", report);
            var note = table.Require(row, "Patient Note", report, id);
            var question = table.Require(row, "Question", report, id);
            var gold = table.Require(row, "Ground Truth Answer", report, id);
            var outputType = table.Require(row, "Output Type", report, id);
            var lower = table.Get(row, "Lower Limit").Trim();
            var upper = table.Get(row, "Upper Limit").Trim();
            if (outputType == "decimal")
            {
                foreach (var (column, value) in new[] { ("Lower Limit", lower), ("Upper Limit", upper), ("Ground Truth Answer", gold ?? "0") })
                {
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    {
                        report.Add(source!.Path, row.Line, id, column, $"expected a number for output type {outputType}, found '{TextUtil.Shorten(value)}'");
                    }
                }
            }

            if (id is null || note is null || question is null || gold is null || outputType is null)
            {
                continue;
            }

            instances.Add(ImporterSupport.Create(
                id,
                ImporterSupport.Fields(("patient_note", note)),
                question,
                [],
                gold,
                "test",
                source!.Path,
                row.Line,
                new Dictionary<string, string>
                {
                    ["calculator_id"] = table.Get(row, "Calculator ID").Trim(),
                    ["calculator_name"] = table.Get(row, "Calculator Name").Trim(),
                    ["category"] = table.Get(row, "Category").Trim(),
                    ["output_type"] = outputType,
                    ["lower_limit"] = lower,
                    ["upper_limit"] = upper,
                    ["note_id"] = table.Get(row, "Note ID").Trim(),
                }));
        }

        return instances;
    }
}
