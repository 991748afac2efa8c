using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Ledger;

namespace MedHelm.Evaluation.Running;

/// <summary>One model on one benchmark.</summary>
/// <param name="RunId">Run the results belong to.</param>
/// <param name="ModelName">Model name recorded with each result.</param>
/// <param name="Benchmark">Benchmark definition (prompt, limits, metric).</param>
/// <param name="Instances">Instances to evaluate, in order.</param>
/// <param name="ScoringMode">How outputs are matched to the gold answer.</param>
/// <param name="MaxInstances">Evaluate only the first N instances (HELM's --max-eval-instances).</param>
public sealed record EvaluationRequest(
    string RunId,
    string ModelName,
    BenchmarkDefinition Benchmark,
    IReadOnlyList<BenchmarkInstance> Instances,
    ScoringMode ScoringMode = ScoringMode.Helm,
    int? MaxInstances = null)
{
    /// <summary>
    /// When set, every instance is first looked up in the ledger by its key and only the missing ones go to the model;
    /// each result is written to the ledger as soon as it is produced.
    /// </summary>
    public LedgerContext? Ledger { get; init; }

    /// <summary>
    /// Generate and store the outputs without scoring them (open-ended benchmarks, scored afterwards by the LLM
    /// jury): the ledger gets the completion and no score; results carry score 0.
    /// </summary>
    public bool GenerateOnly { get; init; }
}

/// <summary>The ledger a request reads from and writes to, and the key parts that do not come from the benchmark.</summary>
/// <param name="Ledger">The ledger (the SQLite store's writer queue).</param>
/// <param name="ModelIdentity">Model SHA-256 or endpoint identity (<see cref="Core.Ledger.LedgerKey.LocalModel"/>).</param>
/// <param name="DatasetSha256">SHA-256 of the dataset's source files.</param>
/// <param name="DecodingExtras">Model-side settings that change outputs (reasoning, thinking budget), part of the decoding key.</param>
/// <param name="Seed">Seed (0 for greedy decoding).</param>
/// <param name="SampleIndex">Sample index (0 unless several samples are drawn).</param>
public sealed record LedgerContext(
    ICompletionLedger Ledger,
    string ModelIdentity,
    string DatasetSha256,
    IReadOnlyDictionary<string, string>? DecodingExtras = null,
    long Seed = 0,
    int SampleIndex = 0);

/// <summary>The results of one request and how many came from the model and how many from the ledger.</summary>
/// <param name="Results">Results in instance order.</param>
/// <param name="Computed">Instances sent to the model.</param>
/// <param name="Reused">Instances answered from stored completions.</param>
public sealed record EvaluationOutcome(IReadOnlyList<InstanceResult> Results, int Computed, int Reused);

/// <summary>Progress of a running evaluation.</summary>
/// <param name="RunId">Run identifier.</param>
/// <param name="Model">Model name.</param>
/// <param name="Benchmark">Benchmark name.</param>
/// <param name="Completed">Instances finished so far.</param>
/// <param name="Total">Instances in this evaluation.</param>
public sealed record EvaluationProgress(string RunId, string Model, string Benchmark, int Completed, int Total)
{
    /// <summary>Of <see cref="Completed"/>, how many were taken from the ledger.</summary>
    public int Reused { get; init; }

    /// <summary>Prompt and completion tokens the model processed so far in this request (computed instances only).</summary>
    public long Tokens { get; init; }
}

/// <summary>Settings of <see cref="EvaluationRunner"/>.</summary>
public sealed class EvaluationRunnerOptions
{
    /// <summary>How many instances may be in flight at once (default 1). Results keep instance order.</summary>
    public int MaxConcurrency { get; init; } = 1;
}
