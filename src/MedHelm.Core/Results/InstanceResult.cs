namespace MedHelm.Core.Results;

/// <summary>The outcome of one instance for one model in one run.</summary>
/// <param name="RunId">Run identifier.</param>
/// <param name="Model">Model name.</param>
/// <param name="Benchmark">Benchmark run-spec name.</param>
/// <param name="InstanceId">Instance identifier.</param>
/// <param name="Prediction">The model's raw output text.</param>
/// <param name="Gold">The gold answer.</param>
/// <param name="Score">
/// Metric value (0 or 1 for exact match); null when the instance is undefined: helm mode on an input where HELM's own
/// code raises (<c>ReferenceUndefinedException</c>), left out of every mean and counted as undefined.
/// </param>
/// <param name="PromptTokens">Prompt tokens as reported by the model, when known.</param>
/// <param name="CompletionTokens">Completion tokens as reported by the model, when known.</param>
/// <param name="Elapsed">Wall time of the request.</param>
/// <param name="Metric">Name of the metric <paramref name="Score"/> belongs to.</param>
/// <param name="PromptHash">SHA-256 of the rendered prompt, when known.</param>
public sealed record InstanceResult(
    string RunId,
    string Model,
    string Benchmark,
    string InstanceId,
    string Prediction,
    string Gold,
    double? Score,
    long? PromptTokens,
    long? CompletionTokens,
    TimeSpan Elapsed,
    string Metric = "exact_match",
    string? PromptHash = null);
