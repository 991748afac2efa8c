using MedHelm.Evaluation.Datasets.Importers;

namespace MedHelm.Evaluation.Datasets;

/// <summary>The importers for the original published formats, by benchmark name.</summary>
public static class DatasetImporters
{
    /// <summary>Every built-in importer.</summary>
    public static IReadOnlyList<IDatasetImporter> All { get; } =
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
        new DischargeMeImporter(),
        new MimicBhcImporter(),
        new MimicRrsImporter(),
        new MimicIvBillingCodeImporter(),
        new N2c2CtMatchingImporter(),
        new MedAlignImporter(),
        new EhrshotImporter(),
    ];

    /// <summary>The importer of a benchmark (run-spec name, case-insensitive), or null.</summary>
    public static IDatasetImporter? Find(string benchmark) =>
        All.FirstOrDefault(i => string.Equals(i.Benchmark, benchmark, StringComparison.OrdinalIgnoreCase));
}
