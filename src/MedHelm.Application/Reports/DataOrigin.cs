using MedHelm.Application.Runs;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;

namespace MedHelm.Application.Reports;

/// <summary>Where a benchmark's data came from, in increasing order of caution.</summary>
public enum DataOrigin
{
    /// <summary>The site's own copy, imported with <c>medhelm datasets import</c>.</summary>
    Imported,

    /// <summary>A bundled excerpt of the real public data (a few instances: a demo, not a measurement).</summary>
    Bundled,

    /// <summary>A synthetic stand-in (invented data in the published layout): not evidence about any model.</summary>
    Synthetic,
}

/// <summary>Reads and shows <see cref="DataOrigin"/>.</summary>
public static class DataOrigins
{
    /// <summary>The source prefix of a bundled sample (<c>bundled:NAME</c>).</summary>
    public const string BundledSourcePrefix = "bundled:";

    /// <summary>The legend of the marks on report rows.</summary>
    public const string Legend = "* bundled public excerpt, † synthetic stand-in: not evidence about any model";

    /// <summary>
    /// The data a benchmark of a run ran on: the manifest's <see cref="ManifestBenchmark.Data"/>, and never less
    /// caveated than its source says (runs stored before the field existed have none): a <c>bundled:</c> source is
    /// a bundled excerpt, or a synthetic stand-in when <see cref="BundledSamples.IsSynthetic"/>; an import whose
    /// instances are all marked synthetic (the stand-ins imported with <c>datasets import</c>) is synthetic.
    /// </summary>
    /// <param name="benchmark">The manifest's benchmark.</param>
    /// <param name="instances">The import's instances, when read; null when not.</param>
    public static DataOrigin Of(ManifestBenchmark benchmark, IReadOnlyList<BenchmarkInstance>? instances = null)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        var derived = benchmark.Source.StartsWith(BundledSourcePrefix, StringComparison.Ordinal)
            ? BundledSamples.IsSynthetic(benchmark.Name) ? DataOrigin.Synthetic : DataOrigin.Bundled
            : instances is { Count: > 0 } && instances.All(i => i.Metadata.TryGetValue(MetadataKeys.Synthetic, out var s) && s == "true")
                ? DataOrigin.Synthetic
                : DataOrigin.Imported;
        return Parse(benchmark.Data) is { } stated && stated > derived ? stated : derived;
    }

    /// <summary>The manifest's and JSON's name: "imported", "bundled" or "synthetic".</summary>
    public static string Name(DataOrigin origin) => origin switch
    {
        DataOrigin.Bundled => "bundled",
        DataOrigin.Synthetic => "synthetic",
        _ => "imported",
    };

    /// <summary>The origin a name stands for (any case), or null for null or an unknown name.</summary>
    public static DataOrigin? Parse(string? name) => name?.ToLowerInvariant() switch
    {
        "imported" => DataOrigin.Imported,
        "bundled" => DataOrigin.Bundled,
        "synthetic" => DataOrigin.Synthetic,
        _ => null,
    };

    /// <summary>The mark on a report row: "*" bundled, "†" synthetic, "" otherwise.</summary>
    public static string Mark(DataOrigin? origin) => origin switch
    {
        DataOrigin.Bundled => "*",
        DataOrigin.Synthetic => "†",
        _ => "",
    };
}
