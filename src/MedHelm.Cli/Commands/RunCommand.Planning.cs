using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MedHelm.Cli.Hosting;
using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Private;
using MedHelm.Evaluation.EhrSql;
using MedHelm.Evaluation.Results;
using MedHelm.Evaluation.Running;
using MedHelm.Gguf;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;
using MedHelm.Application.Ports;
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

        if (arguments.BertScoreModel is { } bert && !string.Equals(bert, plan.BertScoreModel, StringComparison.Ordinal))
        {
            conflicts.Add($"--bertscore-model (stored: {plan.BertScoreModel ?? "none"})");
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
            if (host.IsEndpoint(argument))
            {
                if (models.Any(m => string.Equals(m.Name, argument, StringComparison.Ordinal)))
                {
                    throw new ArgumentException($"The model '{argument}' is listed twice in --models.");
                }

                models.Add(PrepareEndpoint(host, argument));
                continue;
            }

            var (configuredName, path, settings) = host.ResolveModel(argument, demo.Sequences, demo.ContextPerSequence);
            var file = ReadModelFile(path);
            manifest.Verify(path, file.Sha256);
            var name = manifest.FindByFile(path)?.Name ?? configuredName;
            if (models.Any(m => string.Equals(m.Name, name, StringComparison.Ordinal)))
            {
                throw new ArgumentException($"The model '{name}' is listed twice in --models.");
            }

            models.Add(new PreparedModel(
                argument, name, path, settings, file.Sha256, file.SizeBytes, file.Architecture, file.Quantization, file.Parameters));
        }

        return models;
    }

    /// <summary>A local GGUF model file as a run records it: read and validated (not loaded), hashed.</summary>
    private sealed record ModelFile(string Path, string Sha256, long SizeBytes, string? Architecture, string Quantization, long Parameters);

    /// <exception cref="GgufFormatException">The file is not GGUF or is malformed.</exception>
    /// <exception cref="InvalidDataException">The validator found problems (named, with the file).</exception>
    private static ModelFile ReadModelFile(string path)
    {
        var gguf = GgufReader.Read(path);
        var problems = GgufModelValidator.Validate(gguf);
        if (problems.Count > 0)
        {
            throw new InvalidDataException($"{path} is not a usable GGUF model: {string.Join("; ", problems)}");
        }

        return new ModelFile(
            path, ModelsCommand.Sha256(path), new FileInfo(path).Length, gguf.Architecture, gguf.QuantizationDescription, gguf.Tensors.Sum(t => t.ElementCount));
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
            StoredImport? definedImport = null;
            if (definition is null)
            {
                (definition, definedImport) = await StoredDefinitionAsync(
                    store, name, storedDatasets is not null && storedDatasets.TryGetValue(name, out var sha) ? sha : null, cancellationToken);
            }

            if (definition is null)
            {
                if (plan.Suite is null)
                {
                    throw new ArgumentException(
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

            var useBundled = plan.Suite == DemoSuite;
            StoredImport? import = null;
            if (!useBundled)
            {
                import = definedImport ?? await store.GetImportAsync(definition.Name, requiredSha, cancellationToken);
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

    private const string TestSplit = "test";

    /// <summary>
    /// The definition stored with the import of a benchmark that is not built in (<c>datasets import --definition</c>),
    /// with that import (so its instances are read once), or nulls when there is none. A stored definition that no longer validates stops the run, naming its problems.
    /// </summary>
    private static async Task<(BenchmarkDefinition? Definition, StoredImport? Import)> StoredDefinitionAsync(
        SqliteResultStore store, string name, string? sha256, CancellationToken cancellationToken)
    {
        if (await store.GetImportAsync(name, sha256, cancellationToken) is not { DefinitionJson: { } json } import)
        {
            return (null, null);
        }

        var report = new DatasetValidationReport();
        var definition = BenchmarkDefinitionFile.Parse($"{name} (definition stored with its import)", System.Text.Encoding.UTF8.GetBytes(json), report);
        if (definition is null || !report.IsValid)
        {
            throw new InvalidDataException($"The stored definition of '{name}' is not valid: {string.Join("; ", report.Problems.Take(5))}. Import the benchmark again with a corrected --definition.");
        }

        return (definition, import);
    }

    /// <summary>The database EHRSQL answers of a run are executed against, as recorded in its configuration.</summary>
    private sealed record EhrSqlDatabase(string Path, string Sha256, string Source, TimeSpan QueryTimeout, int MaxRows);

    /// <summary>
    /// The EHRSQL execution database when the plan scores EHRSQL, else null: <c>EhrSql:Database</c> from
    /// appsettings.json (or <c>MEDHELM__EhrSql__Database</c>) when set, otherwise the seeded synthetic eICU database,
    /// generated once into <c>data/ehrsql/eicu-synthetic.sqlite</c> and reused while present. A resumed run must find
    /// the same file (SHA-256) and query limits it started with.
    /// </summary>
    private static EhrSqlDatabase? PrepareEhrSqlDatabase(CliHost host, string dataFolder, IReadOnlyList<PlannedBenchmark> planned, JsonObject? storedConfig)
    {
        if (!planned.Any(b => RunnerMetrics.NeedsDatabase(b.Definition)))
        {
            return null;
        }

        var options = host.Options<EhrSqlDatabaseOptions>(); // validated at start
        string path;
        string source;
        if (!string.IsNullOrWhiteSpace(options.Database))
        {
            path = host.ResolvePath(options.Database);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"EhrSql:Database {path} does not exist (a SQLite database in EHRSQL's eICU schema; remove the setting to use the synthetic one).", path);
            }

            source = "configured (EhrSql:Database)";
        }
        else
        {
            path = System.IO.Path.Combine(dataFolder, "ehrsql", "eicu-synthetic.sqlite");
            var synthetic = new SyntheticEicuOptions();
            if (!File.Exists(path))
            {
                PrivateFolder.Ensure(System.IO.Path.GetDirectoryName(path)!);
                Console.Error.WriteLine($"ehr_sql: generating the synthetic eICU database {path} (seed {synthetic.Seed}, {synthetic.Patients} patients; every value invented)");
                SyntheticEicuDatabase.Generate(path, synthetic);
            }

            source = string.Create(CultureInfo.InvariantCulture, $"synthetic (medhelm ehrsql make-database --seed {synthetic.Seed} --patients {synthetic.Patients})");
        }

        var database = new EhrSqlDatabase(path, ModelsCommand.Sha256(path), source, TimeSpan.FromSeconds(options.QueryTimeoutSeconds), options.MaxRows);
        if (storedConfig?["ehr_sql_database"] is JsonObject stored)
        {
            var storedSha = (string?)stored["sha256"];
            var storedTimeout = (double?)stored["query_timeout_seconds"];
            var storedRows = (int?)stored["max_rows"];
            if (storedSha != database.Sha256 || storedTimeout != options.QueryTimeoutSeconds || storedRows != database.MaxRows)
            {
                throw new InvalidDataException(
                    $"The run executed EHRSQL queries against {(string?)stored["path"]} (sha256 {storedSha}, {storedTimeout} s, {storedRows} rows); " +
                    $"now {path} (sha256 {database.Sha256}, {options.QueryTimeoutSeconds} s, {database.MaxRows} rows). A resumed run must use the same database and limits; start a new run instead.");
            }
        }

        return database;
    }

    /// <summary>A new run's configuration with its EHRSQL database (path, SHA-256, source, query limits); unchanged when there is none.</summary>
    private static string WithEhrSqlDatabase(string configurationJson, EhrSqlDatabase? database)
    {
        if (database is null)
        {
            return configurationJson;
        }

        var config = JsonNode.Parse(configurationJson)!.AsObject();
        config["ehr_sql_database"] = new JsonObject
        {
            ["path"] = database.Path,
            ["sha256"] = database.Sha256,
            ["source"] = database.Source,
            ["query_timeout_seconds"] = database.QueryTimeout.TotalSeconds,
            ["max_rows"] = database.MaxRows,
        };
        return config.ToJsonString();
    }
}
