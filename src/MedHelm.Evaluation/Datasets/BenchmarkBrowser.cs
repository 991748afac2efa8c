using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MedHelm.Core.Catalog;
using MedHelm.Core.Prompts;
using MedHelm.Evaluation.Datasets.Private;

namespace MedHelm.Evaluation.Datasets;

/// <summary>Where a benchmark's definition comes from.</summary>
public enum DefinitionOrigin
{
    /// <summary>The built-in catalog (<see cref="BuiltInBenchmarks"/>).</summary>
    BuiltIn,

    /// <summary>A definition file stored with the benchmark's import (<c>datasets import --definition</c>).</summary>
    DefinitionFile,
}

/// <summary>A benchmark this installation knows, with where its definition comes from.</summary>
/// <param name="Definition">The definition.</param>
/// <param name="Origin">Built in, or defined by an imported file.</param>
public sealed record KnownBenchmark(BenchmarkDefinition Definition, DefinitionOrigin Origin)
{
    /// <summary>The origin as written in <c>benchmarks list</c>: <c>built_in</c> or <c>definition_file</c>.</summary>
    public string OriginName => Origin == DefinitionOrigin.BuiltIn ? "built_in" : "definition_file";
}

/// <summary>A definition file stored with an import.</summary>
/// <param name="Benchmark">The benchmark it defines.</param>
/// <param name="DefinitionJson">The file's text.</param>
public sealed record StoredDefinition(string Benchmark, string DefinitionJson);

/// <summary>The instances of a benchmark's latest import.</summary>
/// <param name="SourceSha256">The import's dataset hash.</param>
/// <param name="SourcePath">Where it was imported from.</param>
/// <param name="Instances">Instances in file order.</param>
public sealed record ImportedInstances(string SourceSha256, string? SourcePath, IReadOnlyList<BenchmarkInstance> Instances);

/// <summary>What has been imported (the results database).</summary>
public interface IImportedBenchmarks
{
    /// <summary>The definition file stored with the latest import of each benchmark imported with <c>--definition</c>.</summary>
    Task<IReadOnlyList<StoredDefinition>> ListImportedDefinitionsAsync(CancellationToken cancellationToken = default);

    /// <summary>The instances of the latest <c>datasets import</c> of <paramref name="benchmark"/>; null when it was never imported.</summary>
    Task<ImportedInstances?> GetImportedInstancesAsync(string benchmark, CancellationToken cancellationToken = default);
}

/// <summary>The known benchmarks, and stored definitions that no longer validate (one line each).</summary>
/// <param name="Benchmarks">Built-in benchmarks in taxonomy order, then those defined by imported files, by name.</param>
/// <param name="Problems">One line per stored definition that could not be read.</param>
public sealed record BenchmarkListing(IReadOnlyList<KnownBenchmark> Benchmarks, IReadOnlyList<string> Problems);

/// <summary>One chat message as the model receives it.</summary>
/// <param name="Role"><c>system</c> or <c>user</c>.</param>
/// <param name="Text">The message text.</param>
public sealed record PromptMessage(string Role, string Text);

/// <summary>The prompt of one instance, rendered as a run renders it.</summary>
/// <param name="Benchmark">The benchmark.</param>
/// <param name="DataSource">Which data the instance comes from, in words (imported, or the bundled sample).</param>
/// <param name="Imported">True when the instance comes from the benchmark's import, false for its bundled sample.</param>
/// <param name="Instance">The instance.</param>
/// <param name="InstanceCount">How many instances the data holds.</param>
/// <param name="Messages">The chat messages the model receives, in order.</param>
public sealed record PromptPreview(
    KnownBenchmark Benchmark, string DataSource, bool Imported, BenchmarkInstance Instance, int InstanceCount, IReadOnlyList<PromptMessage> Messages)
{
    /// <summary>One header line saying which benchmark, instance and data, then each message after a <c>[role]</c> line.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# {Benchmark.Definition.Name}, instance {Instance.Id} ({InstanceCount} instances), from {DataSource}\n");
        foreach (var message in Messages)
        {
            sb.Append(CultureInfo.InvariantCulture, $"[{message.Role}]\n{message.Text}\n");
        }

        return sb.ToString();
    }

    /// <summary>The preview as JSON: benchmark, data (<c>imported</c> or <c>bundled</c>), source, instance id and messages.</summary>
    public JsonObject ToJson() => new()
    {
        ["benchmark"] = Benchmark.Definition.Name,
        ["data"] = Imported ? "imported" : "bundled",
        ["source"] = DataSource,
        ["instance"] = Instance.Id,
        ["messages"] = new JsonArray(Messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Text }).ToArray()),
    };
}

/// <summary>
/// The benchmarks an installation knows (built in, or defined by a file stored with its import) and the prompt of
/// one of their instances: what <c>benchmarks list</c> and <c>benchmarks show</c> print. A definition file that
/// names a built-in benchmark does not replace it (runs evaluate built-ins by their built-in definitions).
/// </summary>
/// <param name="imported">The imports; null when there is no results database yet.</param>
public sealed class BenchmarkBrowser(IImportedBenchmarks? imported)
{
    private const string TestSplit = "test";

    /// <summary>The built-in benchmarks, then those defined by imported files (by name).</summary>
    public async Task<BenchmarkListing> ListAsync(CancellationToken cancellationToken = default)
    {
        var known = BuiltInBenchmarks.All.Select(b => new KnownBenchmark(b, DefinitionOrigin.BuiltIn)).ToList();
        var problems = new List<string>();
        if (imported is null)
        {
            return new BenchmarkListing(known, problems);
        }

        foreach (var stored in await imported.ListImportedDefinitionsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (BuiltInBenchmarks.Find(stored.Benchmark) is not null)
            {
                continue;
            }

            var report = new DatasetValidationReport();
            var definition = BenchmarkDefinitionFile.Parse(
                $"{stored.Benchmark} (definition stored with its import)", Encoding.UTF8.GetBytes(stored.DefinitionJson), report);
            if (definition is null || !report.IsValid)
            {
                problems.Add($"{stored.Benchmark}: the stored definition is not valid ({report.Problems.FirstOrDefault()?.Problem ?? "unreadable"}); import it again with a corrected --definition");
                continue;
            }

            known.Add(new KnownBenchmark(definition, DefinitionOrigin.DefinitionFile));
        }

        return new BenchmarkListing(known, problems);
    }

    /// <summary>The benchmark named <paramref name="name"/> (run-spec name, or a built-in's display name; case-insensitive).</summary>
    /// <exception cref="ArgumentException">No such benchmark.</exception>
    public async Task<KnownBenchmark> FindAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (BuiltInBenchmarks.Find(name) is { } builtIn)
        {
            return new KnownBenchmark(builtIn, DefinitionOrigin.BuiltIn);
        }

        var listing = await ListAsync(cancellationToken).ConfigureAwait(false);
        return listing.Benchmarks.FirstOrDefault(b => string.Equals(b.Definition.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException(
                listing.Problems.FirstOrDefault(p => p.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
                ?? $"Unknown benchmark '{name}': not built in (see `medhelm benchmarks list`) and not imported with a definition file.");
    }

    /// <summary>
    /// The prompt of instance <paramref name="instanceId"/> (default: the first instance a run evaluates, i.e. the
    /// first of the test split when the data has several splits) of <paramref name="name"/>, from its latest import,
    /// else from its bundled sample.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown benchmark or instance, or no data.</exception>
    public async Task<PromptPreview> PreviewAsync(string name, string? instanceId, CancellationToken cancellationToken = default)
    {
        var benchmark = await FindAsync(name, cancellationToken).ConfigureAwait(false);
        var definition = benchmark.Definition;
        IReadOnlyList<BenchmarkInstance> instances;
        string source;
        var fromImport = false;
        if (imported is not null && await imported.GetImportedInstancesAsync(definition.Name, cancellationToken).ConfigureAwait(false) is { Instances.Count: > 0 } data)
        {
            instances = data.Instances;
            fromImport = true;
            source = $"the imported data, sha256 {data.SourceSha256[..Math.Min(16, data.SourceSha256.Length)]}{(data.SourcePath is null ? string.Empty : ", from " + data.SourcePath)}";
        }
        else if (BundledSamples.Benchmarks.Contains(definition.Name, StringComparer.Ordinal) && DatasetImporters.Find(definition.Name) is { } importer)
        {
            instances = ReadBundled(importer);
            source = "its bundled sample, not imported";
        }
        else
        {
            throw new ArgumentException($"'{definition.Name}' has no data to show: it was not imported and has no bundled sample.");
        }

        BenchmarkInstance instance;
        if (instanceId is null)
        {
            // a run evaluates the test split when the data has others too
            var mixed = instances.Any(i => i.Split == TestSplit) && instances.Any(i => i.Split != TestSplit);
            instance = mixed ? instances.First(i => i.Split == TestSplit) : instances[0];
        }
        else
        {
            instance = instances.FirstOrDefault(i => string.Equals(i.Id, instanceId, StringComparison.Ordinal))
                ?? throw new ArgumentException(
                    $"Unknown instance '{instanceId}': none of the {instances.Count} instances of {definition.Name} ({source}) has that id; the first are {string.Join(", ", instances.Take(5).Select(i => i.Id))}.");
        }

        var prompt = BenchmarkPrompt.Build(definition, instance);
        var messages = new List<PromptMessage>(2);
        if (prompt.System is not null)
        {
            messages.Add(new PromptMessage("system", prompt.System));
        }

        messages.Add(new PromptMessage("user", prompt.User));
        return new PromptPreview(benchmark, source, fromImport, instance, instances.Count, messages);
    }

    /// <summary>
    /// The listing as JSON: an array of definition files (<see cref="BenchmarkDefinitionFile.ToJson"/>), each with
    /// <c>defined_by</c> (<c>built_in</c> or <c>definition_file</c>), which the file reader ignores.
    /// </summary>
    public static JsonArray ToJson(IEnumerable<KnownBenchmark> benchmarks)
    {
        ArgumentNullException.ThrowIfNull(benchmarks);
        return new JsonArray(benchmarks.Select(b => (JsonNode)ToJson(b)).ToArray());
    }

    /// <summary>One benchmark as a definition file with <c>defined_by</c>.</summary>
    public static JsonObject ToJson(KnownBenchmark benchmark)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        var json = BenchmarkDefinitionFile.ToJson(benchmark.Definition);
        json[BenchmarkDefinitionFile.DefinedByKey] = benchmark.OriginName;
        return json;
    }

    private static IReadOnlyList<BenchmarkInstance> ReadBundled(IDatasetImporter importer)
    {
        var folder = Directory.CreateTempSubdirectory("medhelm-sample-");
        try
        {
            BundledSamples.Extract(importer.Benchmark, folder.FullName);
            return DatasetImport.Import(importer, folder.FullName).Instances;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
