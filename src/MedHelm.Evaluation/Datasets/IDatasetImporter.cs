using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets;

/// <summary>Reads one benchmark's original published files into instances.</summary>
public interface IDatasetImporter
{
    /// <summary>The benchmark's run-spec name (see <see cref="BuiltInBenchmarks"/>).</summary>
    string Benchmark { get; }

    /// <summary>The files and formats read, in words (shown by <c>medhelm datasets</c> and in the docs).</summary>
    string Formats { get; }

    /// <summary>
    /// Reads <paramref name="path"/> (a folder holding the files, or one file), reporting every problem to
    /// <paramref name="context"/>'s report rather than stopping at the first. Returns the instances read (possibly
    /// partial when problems were reported).
    /// </summary>
    IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context);
}

/// <summary>State of one import: the report, the limits and the files read (with their SHA-256).</summary>
public sealed class ImportContext
{
    private readonly List<SourceFileInfo> _files = [];

    /// <summary>Creates a context.</summary>
    public ImportContext(DatasetValidationReport? report = null, ImportLimits? limits = null)
    {
        Report = report ?? new DatasetValidationReport();
        Limits = limits ?? ImportLimits.Default;
    }

    /// <summary>Problems found so far.</summary>
    public DatasetValidationReport Report { get; }

    /// <summary>Size limits.</summary>
    public ImportLimits Limits { get; }

    /// <summary>The files read, in order.</summary>
    public IReadOnlyList<SourceFileInfo> Files => _files;

    /// <summary>Loads a text file and records its fingerprint; null when unusable (problem reported).</summary>
    public SourceText? LoadText(string path, bool lineOriented)
    {
        var text = SourceText.Load(path, Report, Limits, lineOriented);
        if (text is not null)
        {
            _files.Add(text.Info);
        }

        return text;
    }

    /// <summary>Loads a binary file (zip, gzip) and records its fingerprint; null when unusable (problem reported).</summary>
    public byte[]? LoadBytes(string path)
    {
        var bytes = SourceText.ReadBytes(path, Report, Limits);
        if (bytes is not null)
        {
            _files.Add(new SourceFileInfo(
                Path.GetFileName(path), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), bytes.LongLength));
        }

        return bytes;
    }

    /// <summary>
    /// The first of <paramref name="names"/> that exists in the folder <paramref name="path"/> (or <paramref name="path"/>
    /// itself when it is a file with one of those names or the only candidate); reports and returns null when none exists.
    /// </summary>
    public string? Find(string path, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (File.Exists(path))
        {
            return path;
        }

        if (!Directory.Exists(path))
        {
            Report.Add(path, null, null, null, "the path does not exist");
            return null;
        }

        foreach (var name in names)
        {
            var candidate = Path.Combine(path, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Report.Add(path, null, null, null, $"none of the expected files was found ({string.Join(", ", names)})");
        return null;
    }

    /// <summary>The files under folder <paramref name="path"/> matching <paramref name="pattern"/> (sorted ordinally); reports when none.</summary>
    public IReadOnlyList<string> FindAll(string path, string pattern, bool recursive = false)
    {
        if (File.Exists(path))
        {
            return [path];
        }

        if (!Directory.Exists(path))
        {
            Report.Add(path, null, null, null, "the path does not exist");
            return [];
        }

        var files = Directory.GetFiles(path, pattern, recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0)
        {
            Report.Add(path, null, null, null, $"no {pattern} files were found");
        }

        return files;
    }
}

/// <summary>The outcome of reading a dataset: the instances (when valid) and the report of every problem.</summary>
/// <param name="Dataset">The dataset; null when any problem was found.</param>
/// <param name="Report">Every problem found.</param>
public sealed record DatasetReadResult(ImportedDataset? Dataset, DatasetValidationReport Report);

/// <summary>Runs an importer with the checks every dataset gets: non-empty, unique instance ids.</summary>
public static class DatasetImport
{
    /// <summary>Reads and validates; never throws for bad input (see <see cref="DatasetReadResult.Report"/>).</summary>
    public static DatasetReadResult Read(IDatasetImporter importer, string path, ImportLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(importer);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var context = new ImportContext(null, limits);
        IReadOnlyList<BenchmarkInstance> instances;
        try
        {
            instances = importer.Read(path, context);
        }
        catch (DatasetFormatException ex)
        {
            context.Report.Add(ex);
            instances = [];
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var instance in instances)
        {
            if (!seen.Add(instance.Id))
            {
                context.Report.Add(
                    instance.Metadata.TryGetValue(MetadataKeys.File, out var f) ? f : path,
                    instance.Metadata.TryGetValue(MetadataKeys.Line, out var l) && long.TryParse(l, out var line) ? line : null,
                    instance.Id,
                    "id",
                    "the instance id occurs more than once");
            }
        }

        if (instances.Count == 0 && context.Report.IsValid)
        {
            context.Report.Add(path, null, null, null, "the dataset holds no instances");
        }

        return context.Report.IsValid
            ? new DatasetReadResult(new ImportedDataset(importer.Benchmark, instances, context.Files), context.Report)
            : new DatasetReadResult(null, context.Report);
    }

    /// <summary>Reads, validates and returns the dataset.</summary>
    /// <exception cref="DatasetFormatException">Any problem: the message names the first, <see cref="DatasetFormatException.Problems"/> holds all.</exception>
    public static ImportedDataset Import(IDatasetImporter importer, string path, ImportLimits? limits = null)
    {
        var result = Read(importer, path, limits);
        result.Report.ThrowIfInvalid();
        return result.Dataset!;
    }
}

/// <summary>Well-known metadata keys of imported instances.</summary>
public static class MetadataKeys
{
    /// <summary>The 1-based line (or row) the instance came from.</summary>
    public const string Line = "source_line";

    /// <summary>The file the instance came from.</summary>
    public const string File = "source_file";

    /// <summary>Marks an instance of a synthetic stand-in.</summary>
    public const string Synthetic = "synthetic";

    /// <summary>The run (<see cref="BenchmarkDefinition.SubRuns"/>) an instance belongs to, e.g. a CLEAR condition.</summary>
    public const string Subset = "subset";
}
