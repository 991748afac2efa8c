using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// MedHallu pqa_labeled as JSON Lines (a row-for-row export of the Hugging Face set: Question, Knowledge, Ground Truth,
/// Difficulty Level, Hallucinated Answer, Category of Hallucination). Each row gives two instances: the ground-truth
/// answer (gold "0", factual) and the hallucinated answer (gold "1").
/// </summary>
public sealed class MedHalluImporter : IDatasetImporter
{
    /// <inheritdoc />
    public string Benchmark => "medhallu";

    /// <inheritdoc />
    public string Formats => "JSONL medhallu_pqa_labeled.jsonl: Question, Knowledge (array), Ground Truth, Difficulty Level, Hallucinated Answer, Category of Hallucination";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = File.Exists(path) ? path : context.FindAll(path, "*.jsonl").FirstOrDefault();
        var source = file is null ? null : context.LoadText(file, lineOriented: true);
        if (source is null)
        {
            return [];
        }

        var instances = new List<BenchmarkInstance>();
        var row = 0;
        foreach (var (line, record) in JsonSource.Records(source, context.Report))
        {
            row++;
            var at = new RecordLocation(source.Path, line, $"row{row}");
            var question = JsonSource.RequireString(record, "Question", at, context.Report);
            var knowledge = JsonSource.RequireStringArray(record, "Knowledge", at, context.Report);
            var truth = JsonSource.RequireString(record, "Ground Truth", at, context.Report);
            var hallucinated = JsonSource.RequireString(record, "Hallucinated Answer", at, context.Report);
            if (question is null || knowledge is null || truth is null || hallucinated is null)
            {
                continue;
            }

            var meta = new Dictionary<string, string>
            {
                ["difficulty"] = JsonSource.OptionalString(record, "Difficulty Level", at, context.Report) ?? string.Empty,
                ["hallucination_category"] = JsonSource.OptionalString(record, "Category of Hallucination", at, context.Report) ?? string.Empty,
            };
            var joined = string.Join("\n", knowledge.Select(k => k.Trim()));
            instances.Add(ImporterSupport.Create(
                $"row{row}-factual", ImporterSupport.Fields(("knowledge", joined), ("answer", truth.Trim())), question, [], "0", "test", source.Path, line, meta));
            instances.Add(ImporterSupport.Create(
                $"row{row}-hallucinated", ImporterSupport.Fields(("knowledge", joined), ("answer", hallucinated.Trim())), question, [], "1", "test", source.Path, line, meta));
        }

        return instances;
    }
}
