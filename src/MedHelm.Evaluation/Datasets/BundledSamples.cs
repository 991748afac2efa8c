
namespace MedHelm.Evaluation.Datasets;

/// <summary>
/// Small excerpts of public datasets embedded in this assembly, in their original file format, so that a demo
/// runs without any download. PubMedQA: the first 20 records of <c>test_set.json</c> and their ground truth
/// (MIT License, see LICENSE-NOTICE.md); 10-20 instances of every other public benchmark under
/// <c>samples/&lt;benchmark&gt;/</c> (sources and licenses in Samples/NOTICE.md).
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

    /// <summary>The benchmarks (run-spec names) with an embedded excerpt, pubmed_qa included.</summary>
    public static IReadOnlyList<string> Benchmarks { get; } = FindSampleBenchmarks();

    /// <summary>
    /// The benchmarks whose bundled sample is a synthetic stand-in (invented for this project in the published layout:
    /// every gated and private benchmark, and MedDialog, MedQA and MedMCQA), not an excerpt of the real data; the rows
    /// marked SYNTHETIC in Samples/NOTICE.md. A score on them says nothing about a model.
    /// </summary>
    public static IReadOnlySet<string> SyntheticBenchmarks { get; } = new SortedSet<string>(StringComparer.Ordinal)
    {
        "chw_care_plan", "clear", "dischargeme", "ehrshot", "med_dialog", "med_mcqa", "med_qa", "medalign", "mental_health",
        "mimic_bhc", "mimic_rrs", "mimiciv_billing_code", "n2c2_ct_matching", "shc_bmt_med", "shc_cdi_med", "shc_conf_med",
        "shc_ent_med", "shc_gip_med", "shc_privacy_med", "shc_proxy_med", "shc_ptbm_med", "shc_sei_med", "shc_sequoia_med",
        "starr_patient_instructions",
    };

    /// <summary>
    /// True when the bundled sample of <paramref name="benchmark"/> (run-spec name, any case) is a synthetic stand-in;
    /// false for an excerpt of the real public data and for benchmarks without a bundled sample.
    /// </summary>
    public static bool IsSynthetic(string benchmark)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        return SyntheticBenchmarks.Contains(benchmark.ToLowerInvariant());
    }

    /// <summary>
    /// Writes the embedded excerpt of <paramref name="benchmark"/> (original file names and sub-folders) into
    /// <paramref name="targetFolder"/>, creating it when needed; returns the written paths.
    /// </summary>
    /// <exception cref="ArgumentException">No excerpt is bundled for the benchmark.</exception>
    public static IReadOnlyList<string> Extract(string benchmark, string targetFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(benchmark);
        ArgumentException.ThrowIfNullOrWhiteSpace(targetFolder);
        if (string.Equals(benchmark, Core.Catalog.BuiltInBenchmarks.PubMedQa.Name, StringComparison.OrdinalIgnoreCase))
        {
            return ExtractPubMedQa(targetFolder);
        }

        var assembly = typeof(BundledSamples).Assembly;
        var prefix = SamplePrefix + benchmark.ToLowerInvariant() + "/";
        var names = SampleResourceNames().Where(n => Normalize(n).StartsWith(prefix, StringComparison.Ordinal)).ToArray();
        if (names.Length == 0)
        {
            throw new ArgumentException(
                $"No excerpt of '{benchmark}' is bundled; bundled: {string.Join(", ", Benchmarks)}.", nameof(benchmark));
        }

        var root = Path.GetFullPath(targetFolder);
        var written = new List<string>();
        foreach (var name in names)
        {
            var relative = Normalize(name)[prefix.Length..];
            var path = Path.GetFullPath(Path.Combine(root, relative));
            if (!path.StartsWith(root, StringComparison.Ordinal))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var file = File.Create(path);
            stream.CopyTo(file);
            written.Add(path);
        }

        return written;
    }

    /// <summary>The embedded NOTICE of sources and licenses.</summary>
    public static string Notice()
    {
        using var stream = typeof(BundledSamples).Assembly.GetManifestResourceStream(SamplePrefix + "NOTICE.md")
            ?? throw new InvalidOperationException("The embedded samples NOTICE.md is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private const string SamplePrefix = "samples/";

    private static string Normalize(string resourceName) => resourceName.Replace('\\', '/');

    private static IEnumerable<string> SampleResourceNames() =>
        typeof(BundledSamples).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(SamplePrefix, StringComparison.Ordinal));

    private static string[] FindSampleBenchmarks() =>
        SampleResourceNames()
            .Select(n => Normalize(n)[SamplePrefix.Length..])
            .Where(n => n.Contains('/', StringComparison.Ordinal))
            .Select(n => n[..n.IndexOf('/', StringComparison.Ordinal)])
            .Append(Core.Catalog.BuiltInBenchmarks.PubMedQa.Name)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();

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
