using System.Globalization;
using MedHelm.Application.Options;
using MedHelm.Core.Catalog;
using MedHelm.Core.Ledger;
using MedHelm.Evaluation.Running;
using MedHelm.Inference.Llama.Generation;

namespace MedHelm.Application.Runs;

/// <summary>A benchmark of a run with the data it runs on.</summary>
/// <param name="Definition">The benchmark.</param>
/// <param name="DatasetSha256">The import's hash.</param>
/// <param name="Source">Where the data came from (an imported path, or <c>bundled:NAME</c>).</param>
/// <param name="Instances">The evaluated instances (the test split when the import has others).</param>
public sealed record PlannedBenchmark(BenchmarkDefinition Definition, string DatasetSha256, string Source, IReadOnlyList<BenchmarkInstance> Instances)
{
    /// <summary>Which instances of the import are evaluated: "test" (the import also holds other splits) or "all".</summary>
    public string Split { get; init; } = "all";

    /// <summary>True when the data is a bundled sample, not the site's own import.</summary>
    public bool Bundled => Source.StartsWith(RunPlanner.BundledSourcePrefix, StringComparison.Ordinal);
}

/// <summary>An evaluated model, prepared (hashed, read) but not loaded.</summary>
public sealed record PreparedModel(
    string Argument, string Name, string Path, LocalModelOptions Settings, string Sha256, long SizeBytes, string? Architecture, string Quantization, long Parameters)
{
    /// <summary>The hosted endpoint serving this model, or null for a local GGUF model (then <see cref="Path"/> is its file).</summary>
    public EndpointOptions? Endpoint { get; init; }

    /// <summary>The model's identity in ledger keys: the GGUF file's SHA-256, or the endpoint and the model it serves.</summary>
    public string Identity => Endpoint is { } e ? LedgerKey.Endpoint(Name, e.Model) : LedgerKey.LocalModel(Sha256);

    /// <summary>
    /// Decoding settings beyond temperature and seed that enter the ledger key: reasoning, and a local model's
    /// Determinism when it is not BatchInvariant (outputs of the other modes depend on the batch, so they are stored
    /// apart and never handed to a batch-invariant run).
    /// </summary>
    public IReadOnlyDictionary<string, string> DecodingExtras
    {
        get
        {
            var extras = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Settings.Reasoning.Enabled)
            {
                extras["reasoning"] = "on";
                extras["thinking_budget"] = Settings.Reasoning.ThinkingBudget.ToString(CultureInfo.InvariantCulture);
                extras["starts_in_reasoning"] = Settings.Reasoning.StartsInReasoning ? "true" : "false";
            }

            if (Endpoint is null && Settings.Determinism != DeterminismMode.BatchInvariant)
            {
                extras["determinism"] = DeterminismProfile.Name(Settings.Determinism);
            }

            return extras;
        }
    }
}

/// <summary>The database EHRSQL answers are executed against.</summary>
public sealed record EhrSqlDatabase(string Path, string Sha256, string Source, TimeSpan QueryTimeout, int MaxRows);

/// <summary>The embedding model of BERTScore, checked and hashed (a GGUF file from its header; an ONNX file opened once).</summary>
public sealed record BertScoreModel(string Argument, string Name, string Path, string Sha256, long SizeBytes, string Architecture, string Quantization, long Parameters)
{
    /// <summary>Which path and layer score (an ONNX export's hidden layer, or a GGUF model's final layer).</summary>
    public BertScoreEncoding Encoding { get; init; } = BertScoreEncoding.Gguf;

    /// <summary>True when tokens are weighted by idf over the run's references (BertScore:Idf).</summary>
    public bool Idf { get; init; }

    /// <inheritdoc cref="BertScoreEncoding.Describe"/>
    public string Describe() => Encoding.Describe();
}

/// <summary>Everything a run needs before any model is loaded.</summary>
public sealed record PlannedRun(
    string RunId,
    RunPlan Plan,
    Evaluation.Results.RunRecord? Existing,
    RunManifest? StoredManifest,
    IReadOnlyList<PreparedModel> Models,
    IReadOnlyList<PlannedBenchmark> Benchmarks,
    IReadOnlyList<SkippedBenchmark> Skipped,
    IReadOnlyList<string> JudgeNames,
    EhrSqlDatabase? EhrSql,
    BertScoreModel? BertScore)
{
    /// <summary>The open-ended benchmarks (rated by the jury).</summary>
    public IReadOnlyList<PlannedBenchmark> Juried { get; } = Benchmarks.Where(b => EvaluationRunner.NeedsJury(b.Definition)).ToArray();

    /// <summary>The instances of <paramref name="benchmark"/> the run evaluates per model.</summary>
    public IReadOnlyList<BenchmarkInstance> Take(PlannedBenchmark benchmark) => RunPlanner.Take(benchmark.Instances, Plan.MaxInstances);
}
