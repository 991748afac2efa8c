using MedHelm.Core.Catalog;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>PubMedQA: <c>test_set.json</c> (+ <c>test_ground_truth.json</c>) or <c>ori_pqal.json</c>; see <see cref="PubMedQaImporter"/>.</summary>
public sealed class PubMedQaDatasetImporter : IDatasetImporter
{
    /// <inheritdoc />
    public string Benchmark => BuiltInBenchmarks.PubMedQa.Name;

    /// <inheritdoc />
    public string Formats => "JSON: test_set.json with test_ground_truth.json (500 test questions), or ori_pqal.json (1,000 labelled)";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var folder = File.Exists(path) ? Path.GetDirectoryName(Path.GetFullPath(path))! : path;
        var testSet = Path.Combine(folder, PubMedQaImporter.TestSetFileName);
        var recordsPath = File.Exists(testSet) ? testSet : context.Find(folder, PubMedQaImporter.TestSetFileName, PubMedQaImporter.LabelledFileName);
        if (recordsPath is null)
        {
            return [];
        }

        var records = context.LoadText(recordsPath, lineOriented: false);
        var groundTruthPath = Path.Combine(folder, PubMedQaImporter.GroundTruthFileName);
        var isTest = string.Equals(Path.GetFileName(recordsPath), PubMedQaImporter.TestSetFileName, StringComparison.Ordinal);
        var groundTruth = isTest && File.Exists(groundTruthPath) ? context.LoadText(groundTruthPath, lineOriented: false) : null;
        if (records is null)
        {
            return [];
        }

        try
        {
            return PubMedQaImporter.Import(
                new SourceContent(records.Path, records.Bytes),
                groundTruth is null ? null : new SourceContent(groundTruth.Path, groundTruth.Bytes),
                isTest ? "test" : "pqa_l").Instances;
        }
        catch (DatasetFormatException ex)
        {
            context.Report.Add(ex);
            return [];
        }
    }
}
