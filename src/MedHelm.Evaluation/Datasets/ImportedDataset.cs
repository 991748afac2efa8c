using MedHelm.Core.Catalog;

namespace MedHelm.Evaluation.Datasets;

/// <summary>A source file an import read, with its fingerprint.</summary>
/// <param name="FileName">File name without folder.</param>
/// <param name="Sha256">SHA-256 of the file's bytes, lower-case hex.</param>
/// <param name="Length">Size in bytes.</param>
public sealed record SourceFileInfo(string FileName, string Sha256, long Length);

/// <summary>The instances of one benchmark read from its original files.</summary>
/// <param name="Benchmark">Benchmark run-spec name.</param>
/// <param name="Instances">Instances in file order.</param>
/// <param name="SourceFiles">The files read.</param>
public sealed record ImportedDataset(
    string Benchmark,
    IReadOnlyList<BenchmarkInstance> Instances,
    IReadOnlyList<SourceFileInfo> SourceFiles)
{
    /// <summary>Number of instances.</summary>
    public int Count => Instances.Count;
}
