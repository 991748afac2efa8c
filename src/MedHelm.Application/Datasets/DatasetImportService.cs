using System.Security.Cryptography;
using MedHelm.Application.Errors;
using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Private;
using MedHelm.Evaluation.Files;

namespace MedHelm.Application.Datasets;

/// <summary>Where a dataset comes from: a built-in benchmark's original files, or instances described by a definition file.</summary>
/// <param name="Benchmark">A built-in benchmark name (ignored with a definition file).</param>
/// <param name="Path">The folder holding the files, or one file.</param>
/// <param name="DefinitionFile">A benchmark definition file (JSON), or null.</param>
public sealed record DatasetSource(string? Benchmark, string Path, string? DefinitionFile = null);

/// <summary>What reading a dataset found.</summary>
/// <param name="Benchmark">The benchmark the files belong to.</param>
/// <param name="Access">Its access tier.</param>
/// <param name="Report">Every problem, with file, line and field.</param>
/// <param name="Dataset">The instances, or null when there were problems.</param>
public sealed record DatasetCheck(string Benchmark, AccessTier Access, DatasetValidationReport Report, ImportedDataset? Dataset)
{
    /// <summary>True when the problems are the definition file's (then no data file was read).</summary>
    public bool DefinitionInvalid { get; init; }

    /// <summary>Instances per split, e.g. "test 597, valid 574".</summary>
    public string Splits => Dataset is null ? "" : string.Join(", ", Dataset.Instances.GroupBy(i => i.Split).Select(g => $"{g.Key} {g.Count()}"));
}

/// <summary>What an import stored.</summary>
/// <param name="Check">What reading found (its dataset is what was stored).</param>
/// <param name="Outcome">The stored hash, and whether anything changed.</param>
/// <param name="Notes">Things the user should know (never patient text).</param>
public sealed record DatasetImportResult(DatasetCheck Check, DatasetStoreOutcome? Outcome, IReadOnlyList<string> Notes);

/// <summary>Validates dataset files and imports them into the results database (all or nothing; the same files again change nothing).</summary>
public sealed class DatasetImportService(IDatasetStore store)
{
    /// <summary>Reads and validates <paramref name="source"/>; stores nothing.</summary>
    /// <exception cref="RequestValidationException">The benchmark is unknown or has no importer.</exception>
    public static DatasetCheck Check(DatasetSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.DefinitionFile is { } file)
        {
            var report = new DatasetValidationReport();
            var definition = BenchmarkDefinitionFile.Read(file, report);
            if (definition is null || !report.IsValid)
            {
                return new DatasetCheck(System.IO.Path.GetFileName(file), AccessTier.Private, report, null) { DefinitionInvalid = true };
            }

            return Read(new GenericInstancesImporter(definition), definition.Access, source.Path);
        }

        var (importer, access) = Resolve(source.Benchmark);
        return Read(importer, access, source.Path);
    }

    private static DatasetCheck Read(IDatasetImporter importer, AccessTier access, string path)
    {
        var result = DatasetImport.Read(importer, System.IO.Path.GetFullPath(path));
        return new DatasetCheck(importer.Benchmark, access, result.Report, result.Dataset);
    }

    /// <summary>Reads, validates and stores <paramref name="source"/>; with any problem, stores nothing (the result's outcome is null).</summary>
    public async Task<DatasetImportResult> ImportAsync(DatasetSource source, CancellationToken cancellationToken)
    {
        var check = Check(source);
        if (check.Dataset is not { } dataset)
        {
            return new DatasetImportResult(check, null, []);
        }

        var notes = new List<string>();
        string? definitionJson = null;
        if (source.DefinitionFile is { } definitionFile)
        {
            // the definition is part of what was imported: a changed definition is a new import, and runs read it back
            RegularFiles.EnsureRegular(definitionFile, "definition file");
            var bytes = await File.ReadAllBytesAsync(definitionFile, cancellationToken).ConfigureAwait(false);
            definitionJson = System.Text.Encoding.UTF8.GetString(bytes);
            dataset = dataset with
            {
                SourceFiles = [.. dataset.SourceFiles, new SourceFileInfo(System.IO.Path.GetFileName(definitionFile), Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length)],
            };
            if (BuiltInBenchmarks.Find(check.Benchmark) is not null)
            {
                notes.Add(
                    $"note: '{check.Benchmark}' is a built-in benchmark: runs evaluate it with the built-in definition, not this file's; name your benchmark differently to run it under this definition.");
            }
        }

        var outcome = await store.StoreDatasetAsync(dataset, check.Access, System.IO.Path.GetFullPath(source.Path), definitionJson, cancellationToken).ConfigureAwait(false);
        return new DatasetImportResult(check with { Dataset = dataset }, outcome, notes);
    }

    private static (IDatasetImporter Importer, AccessTier Access) Resolve(string? benchmark)
    {
        if (string.IsNullOrWhiteSpace(benchmark))
        {
            throw new RequestValidationException("--benchmark is required (or --definition for a benchmark defined by a file).");
        }

        var importer = DatasetImporters.Find(benchmark) ?? throw new RequestValidationException(
            BuiltInBenchmarks.Find(benchmark) is { } known
                ? $"'{known.Name}' has no built-in importer ({known.Access.ToString().ToLowerInvariant()} data); bring it in with --definition (see docs/private-benchmarks.md)."
                : $"Unknown benchmark '{benchmark}'. Importers: {string.Join(", ", DatasetImporters.All.Select(i => i.Benchmark))}.");
        return (importer, BuiltInBenchmarks.Find(importer.Benchmark)?.Access ?? AccessTier.Private);
    }
}
