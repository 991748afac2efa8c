using System.Reflection;

namespace MedHelm.Evaluation.Datasets;

/// <summary>
/// Small excerpts of public datasets embedded in this assembly, in their original file format, so that a demo
/// runs without any download. PubMedQA: the first 20 records of <c>test_set.json</c> and their ground truth
/// (MIT License, see LICENSE-NOTICE.md).
/// </summary>
public static class BundledSamples
{
    private const string Prefix = "MedHelm.Evaluation.Samples.pubmedqa.";

    private static readonly string[] PubMedQaFiles =
    [
        PubMedQaImporter.TestSetFileName,
        PubMedQaImporter.GroundTruthFileName,
        "LICENSE-NOTICE.md",
    ];

    /// <summary>Imports the embedded PubMedQA excerpt.</summary>
    public static ImportedDataset OpenPubMedQa() =>
        PubMedQaImporter.Import(
            new SourceContent(PubMedQaImporter.TestSetFileName, ReadResource(PubMedQaImporter.TestSetFileName)),
            new SourceContent(PubMedQaImporter.GroundTruthFileName, ReadResource(PubMedQaImporter.GroundTruthFileName)),
            "test");

    /// <summary>
    /// Writes the embedded PubMedQA excerpt (test_set.json, test_ground_truth.json, LICENSE-NOTICE.md) into
    /// <paramref name="targetFolder"/>, creating it when needed; returns the written paths.
    /// </summary>
    public static IReadOnlyList<string> ExtractPubMedQa(string targetFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetFolder);
        Directory.CreateDirectory(targetFolder);
        var written = new List<string>();
        foreach (var name in PubMedQaFiles)
        {
            var path = Path.Combine(targetFolder, name);
            File.WriteAllBytes(path, ReadResource(name));
            written.Add(path);
        }

        return written;
    }

    private static byte[] ReadResource(string fileName)
    {
        var assembly = typeof(BundledSamples).Assembly;
        using var stream = assembly.GetManifestResourceStream(Prefix + fileName)
            ?? throw new InvalidOperationException($"Embedded sample '{Prefix + fileName}' is missing from {assembly.GetName().Name}.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
