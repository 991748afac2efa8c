using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Importers;
using MedHelm.Evaluation.Datasets.Private;

namespace MedHelm.Evaluation.Datasets;

/// <summary>
/// The importer of every built-in benchmark, by benchmark name: the readers of the original published formats
/// (public and gated benchmarks), and for each private benchmark a <see cref="GenericInstancesImporter"/> over its
/// built-in definition (JSONL / CSV instances, docs/private-benchmarks.md), so that no definition file is needed.
/// </summary>
public static class DatasetImporters
{
    /// <summary>The readers of published formats, one per public or gated benchmark.</summary>
    public static IReadOnlyList<IDatasetImporter> PublishedFormats { get; } =
    [
        new PubMedQaDatasetImporter(),
        new MedCalcBenchImporter(),
        new MedecImporter(),
        new AciBenchImporter(),
        new MedicationQaImporter(),
        new MedBulletsImporter(),
        new EhrSqlImporter(),
        MtSamplesImporter.Replicate,
        MtSamplesImporter.Procedures,
        new RaceBasedMedImporter(),
        new HeadQaImporter(),
        new MedHalluImporter(),
        new MediQaImporter(),
        new MedDialogImporter(),
        new MedQaImporter(),
        new MedMcqaImporter(),
        new DischargeMeImporter(),
        new MimicBhcImporter(),
        new MimicRrsImporter(),
        new MimicIvBillingCodeImporter(),
        new N2c2CtMatchingImporter(),
        new MedAlignImporter(),
        new EhrshotImporter(),
    ];

    /// <summary>The generic instance importers of the private built-in benchmarks (CLEAR, the SHC tasks, …).</summary>
    public static IReadOnlyList<IDatasetImporter> PrivateBuiltIns { get; } =
        BuiltInBenchmarks.All.Where(b => b.Access == AccessTier.Private).Select(b => (IDatasetImporter)new GenericInstancesImporter(b)).ToArray();

    /// <summary>Every built-in importer: <see cref="PublishedFormats"/>, then <see cref="PrivateBuiltIns"/>.</summary>
    public static IReadOnlyList<IDatasetImporter> All { get; } = [.. PublishedFormats, .. PrivateBuiltIns];

    /// <summary>The importer of a benchmark (run-spec name, case-insensitive), or null.</summary>
    public static IDatasetImporter? Find(string benchmark) =>
        All.FirstOrDefault(i => string.Equals(i.Benchmark, benchmark, StringComparison.OrdinalIgnoreCase));
}
