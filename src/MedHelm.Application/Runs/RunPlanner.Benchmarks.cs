using MedHelm.Application.Errors;
using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Private;
using MedHelm.Evaluation.Running;

namespace MedHelm.Application.Runs;

/// <summary>The benchmarks of a run and the data each runs on.</summary>
public sealed partial class RunPlanner
{
    /// <summary>
    /// The benchmarks of the plan with their data, and those skipped with the reason. Data: the bundled samples for the
    /// demo suite; otherwise the latest <c>datasets import</c>, or — only when the plan allows samples — the bundled sample
    /// of a benchmark never imported. A resumed run must find the very data (same hash) it started with.
    /// </summary>
    private static async Task<(List<PlannedBenchmark> Planned, List<SkippedBenchmark> Skipped)> PlanBenchmarksAsync(
        IResultsDatabase database, RunPlan plan, IReadOnlyDictionary<string, string>? storedDatasets, CancellationToken cancellationToken)
    {
        IEnumerable<string> names = plan.Suite switch
        {
            RunSuites.Demo => BuiltInBenchmarks.All.Select(b => b.Name).Where(n => BundledSamples.Benchmarks.Contains(n, StringComparer.Ordinal)),
            RunSuites.Public => BuiltInBenchmarks.All.Where(b => b.Access == AccessTier.Public).Select(b => b.Name),
            RunSuites.All => await database.ListImportedBenchmarksAsync(cancellationToken).ConfigureAwait(false),
            null => plan.Benchmarks,
            _ => throw new RequestValidationException($"Unknown suite '{plan.Suite}'."),
        };

        var planned = new List<PlannedBenchmark>();
        var skipped = new List<SkippedBenchmark>();
        foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var definition = BuiltInBenchmarks.Find(name);
            StoredImport? definedImport = null;
            if (definition is null)
            {
                (definition, definedImport) = await StoredDefinitionAsync(
                    database, name, storedDatasets is not null && storedDatasets.TryGetValue(name, out var sha) ? sha : null, cancellationToken).ConfigureAwait(false);
            }

            if (definition is null)
            {
                if (plan.Suite is null)
                {
                    throw new NotFoundException(
                        $"Unknown benchmark '{name}': not built in (see `medhelm benchmarks list`) and not imported with a definition file (`medhelm datasets import --definition FILE --path DATA`).");
                }

                skipped.Add(new SkippedBenchmark(name, "no definition: neither built in nor imported with --definition"));
                continue;
            }

            if (!(plan.Jury.Count > 0 && EvaluationRunner.NeedsJury(definition)) && EvaluationRunner.UnsupportedReason(definition) is { } reason)
            {
                skipped.Add(new SkippedBenchmark(definition.Name, reason));
                continue;
            }

            string? requiredSha = null;
            if (storedDatasets is not null && !storedDatasets.TryGetValue(definition.Name, out requiredSha))
            {
                skipped.Add(new SkippedBenchmark(definition.Name, "was skipped when the run started"));
                continue;
            }

            var hasSample = BundledSamples.Benchmarks.Contains(definition.Name, StringComparer.Ordinal);
            var useBundled = plan.Suite == RunSuites.Demo;
            StoredImport? import = null;
            if (!useBundled)
            {
                import = definedImport ?? await database.GetImportAsync(definition.Name, requiredSha, cancellationToken).ConfigureAwait(false);
                if (import is null && requiredSha is null && hasSample && plan.Samples)
                {
                    useBundled = true;
                }
                else if (import is null && requiredSha is null && plan.Suite is null)
                {
                    throw new RequestValidationException(
                        $"{definition.Name} has not been imported: import the site's data with `medhelm datasets import --benchmark {definition.Name} --path DATA`" +
                        (hasSample ? ", or add --samples to run on its bundled sample (not evidence about a model on your data)." : "."));
                }
            }

            if (useBundled)
            {
                var dataset = LoadBundled(definition.Name);
                var outcome = await database.StoreDatasetAsync(dataset, definition.Access, BundledSourcePrefix + definition.Name, null, cancellationToken).ConfigureAwait(false);
                import = new StoredImport(definition.Name, outcome.SourceSha256, BundledSourcePrefix + definition.Name, dataset.Instances);
            }

            if (import is null)
            {
                skipped.Add(new SkippedBenchmark(definition.Name, requiredSha is null
                    ? $"not imported (medhelm datasets import --benchmark {definition.Name} --path …)"
                    : $"the data this run started with (sha256 {requiredSha}) is no longer in the database"));
                continue;
            }

            if (requiredSha is not null && !string.Equals(requiredSha, import.SourceSha256, StringComparison.Ordinal))
            {
                throw new ConflictException(
                    $"Run data changed: {definition.Name} had sha256 {requiredSha} when the run started, now {import.SourceSha256}. Start a new run.");
            }

            // MedHELM evaluates the test split: when an import holds train/valid splits too, only its test instances run
            var evaluated = import.Instances.Any(i => i.Split == TestSplit) && import.Instances.Any(i => i.Split != TestSplit)
                ? import.Instances.Where(i => i.Split == TestSplit).ToArray()
                : import.Instances;
            planned.Add(new PlannedBenchmark(definition, import.SourceSha256, import.SourcePath ?? "", evaluated)
            {
                Split = ReferenceEquals(evaluated, import.Instances) ? "all" : TestSplit,
            });
        }

        return (planned, skipped);
    }

    /// <summary>
    /// The definition stored with the import of a benchmark that is not built in (<c>datasets import --definition</c>),
    /// with that import, or nulls when there is none. A stored definition that no longer validates stops the run.
    /// </summary>
    private static async Task<(BenchmarkDefinition? Definition, StoredImport? Import)> StoredDefinitionAsync(
        IResultsDatabase database, string name, string? sha256, CancellationToken cancellationToken)
    {
        if (await database.GetImportAsync(name, sha256, cancellationToken).ConfigureAwait(false) is not { DefinitionJson: { } json } import)
        {
            return (null, null);
        }

        var report = new DatasetValidationReport();
        var definition = BenchmarkDefinitionFile.Parse($"{name} (definition stored with its import)", System.Text.Encoding.UTF8.GetBytes(json), report);
        if (definition is null || !report.IsValid)
        {
            throw new ConflictException(
                $"The stored definition of '{name}' is not valid: {string.Join("; ", report.Problems.Take(5))}. Import the benchmark again with a corrected --definition.");
        }

        return (definition, import);
    }

    private static ImportedDataset LoadBundled(string benchmark)
    {
        var importer = DatasetImporters.Find(benchmark)
            ?? throw new InvalidOperationException($"No importer for the bundled sample of {benchmark}.");
        var folder = Directory.CreateTempSubdirectory("medhelm-bundled-");
        try
        {
            BundledSamples.Extract(benchmark, folder.FullName);
            return DatasetImport.Import(importer, folder.FullName);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
