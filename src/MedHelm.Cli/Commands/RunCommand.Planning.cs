using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MedHelm.Cli.Hosting;
using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Results;
using MedHelm.Evaluation.Running;
using MedHelm.Gguf;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;
using MedHelm.Storage;

namespace MedHelm.Cli.Commands;

/// <summary>Resume checks and the plan of a run: which models and benchmarks, and which are skipped.</summary>
internal static partial class RunCommand
{
    private static void CheckResumeArguments(RunArguments arguments, RunPlan plan)
    {
        static bool Same(IReadOnlyList<string> given, IReadOnlyList<string> stored) => given.Count == 0 || given.SequenceEqual(stored, StringComparer.Ordinal);
        var conflicts = new List<string>();
        if (!Same(arguments.Models, plan.Models))
        {
            conflicts.Add($"--models (stored: {string.Join(",", plan.Models)})");
        }

        if (!Same(arguments.Benchmarks, plan.Benchmarks))
        {
            conflicts.Add($"--benchmarks (stored: {string.Join(",", plan.Benchmarks)})");
        }

        if (arguments.Suite is { } s && s != plan.Suite)
        {
            conflicts.Add($"--suite (stored: {plan.Suite ?? "none"})");
        }

        if (arguments.MaxInstances is { } m && m != plan.MaxInstances)
        {
            conflicts.Add($"--max-instances (stored: {plan.MaxInstances?.ToString(CultureInfo.InvariantCulture) ?? "all"})");
        }

        if (arguments.Mode is { } mode && mode != plan.Mode)
        {
            conflicts.Add($"--mode (stored: {plan.Mode})");
        }

        var jury = arguments.Jury is [var only] && string.Equals(only, "none", StringComparison.OrdinalIgnoreCase) ? [] : arguments.Jury;
        if (arguments.Jury.Count > 0 && !jury.SequenceEqual(plan.Jury, StringComparer.Ordinal))
        {
            conflicts.Add($"--jury (stored: {string.Join(",", plan.Jury)})");
        }

        if (conflicts.Count > 0)
        {
            throw new ArgumentException(
                $"--resume continues run '{arguments.RunId}' with its stored settings; these differ: {string.Join("; ", conflicts)}. Leave them out, or start a new run.");
        }
    }

    private static List<PreparedModel> PrepareModels(CliHost host, IReadOnlyList<string> arguments, DemoOptions demo)
    {
        var manifest = ModelManifest.Load(host.ResolvePath("models/manifest.json"));
        var models = new List<PreparedModel>();
        foreach (var argument in arguments)
        {
            var (configuredName, path, settings) = host.ResolveModel(argument, demo.Sequences, demo.ContextPerSequence);
            var gguf = GgufReader.Read(path);
            var problems = GgufModelValidator.Validate(gguf);
            if (problems.Count > 0)
            {
                throw new InvalidDataException($"{path} is not a usable GGUF model: {string.Join("; ", problems)}");
            }

            var sha = ModelsCommand.Sha256(path);
            manifest.Verify(path, sha);
            var name = manifest.FindByFile(path)?.Name ?? configuredName;
            if (models.Any(m => string.Equals(m.Name, name, StringComparison.Ordinal)))
            {
                throw new ArgumentException($"The model '{name}' is listed twice in --models.");
            }

            models.Add(new PreparedModel(
                argument, name, path, settings, sha, new FileInfo(path).Length, gguf.Architecture, gguf.QuantizationDescription,
                gguf.Tensors.Sum(t => t.ElementCount)));
        }

        return models;
    }

    /// <summary>
    /// The benchmarks of the plan with their data, and those skipped with the reason. Data: the bundled excerpts for
    /// the demo suite; otherwise the latest <c>datasets import</c> (for --benchmarks, the bundled excerpt when nothing
    /// was imported). A resumed run must find the very data (same hash) it started with.
    /// </summary>
    private static async Task<(List<PlannedBenchmark> Planned, List<SkippedBenchmark> Skipped)> PlanBenchmarksAsync(
        SqliteResultStore store, RunPlan plan, IReadOnlyDictionary<string, string>? storedDatasets, CancellationToken cancellationToken)
    {
        IEnumerable<string> names = plan.Suite switch
        {
            DemoSuite => BuiltInBenchmarks.All.Select(b => b.Name).Where(n => BundledSamples.Benchmarks.Contains(n, StringComparer.Ordinal)),
            PublicSuite => BuiltInBenchmarks.All.Where(b => b.Access == AccessTier.Public).Select(b => b.Name),
            AllSuite => await store.ListImportedBenchmarksAsync(cancellationToken),
            null => plan.Benchmarks,
            _ => throw new ArgumentException($"Unknown suite '{plan.Suite}'."),
        };

        var planned = new List<PlannedBenchmark>();
        var skipped = new List<SkippedBenchmark>();
        foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var definition = BuiltInBenchmarks.Find(name);
            if (definition is null)
            {
                if (plan.Suite is null)
                {
                    throw new ArgumentException($"Unknown benchmark '{name}' (see `medhelm benchmarks list`).");
                }

                skipped.Add(new SkippedBenchmark(name, "no built-in definition (benchmarks from a definition file are not run yet)"));
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

            var useBundled = plan.Suite == DemoSuite;
            StoredImport? import = null;
            if (!useBundled)
            {
                import = await store.GetImportAsync(definition.Name, requiredSha, cancellationToken);
                if (import is null && plan.Suite is null && BundledSamples.Benchmarks.Contains(definition.Name, StringComparer.Ordinal))
                {
                    useBundled = true;
                    Console.Error.WriteLine($"note: {definition.Name} has not been imported; using its bundled excerpt");
                }
            }

            if (useBundled)
            {
                var dataset = LoadBundled(definition.Name);
                var outcome = await store.StoreDatasetAsync(dataset, definition.Access, SqliteResultStore.BundledSourcePrefix + definition.Name, cancellationToken);
                import = new StoredImport(definition.Name, outcome.SourceSha256, SqliteResultStore.BundledSourcePrefix + definition.Name, dataset.Instances);
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
                throw new InvalidDataException(
                    $"Run data changed: {definition.Name} had sha256 {requiredSha} when the run started, now {import.SourceSha256}. Start a new run.");
            }

            planned.Add(new PlannedBenchmark(definition, import.SourceSha256, import.SourcePath ?? "", import.Instances));
        }

        return (planned, skipped);
    }
}
