using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;

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
    int? MaxInstances = null);

/// <summary>Progress of a running evaluation.</summary>
/// <param name="RunId">Run identifier.</param>
/// <param name="Model">Model name.</param>
/// <param name="Benchmark">Benchmark name.</param>
/// <param name="Completed">Instances finished so far.</param>
/// <param name="Total">Instances in this evaluation.</param>
public sealed record EvaluationProgress(string RunId, string Model, string Benchmark, int Completed, int Total);

/// <summary>Settings of <see cref="EvaluationRunner"/>.</summary>
public sealed class EvaluationRunnerOptions
{
    /// <summary>How many instances may be in flight at once (default 1). Results keep instance order.</summary>
    public int MaxConcurrency { get; init; } = 1;
}
