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
    /// jury): the ledger gets the completion and no main score (with <see cref="StoreSecondaryMetrics"/>, an
    /// open-ended instance with a gold reference gets its ROUGE-1/2/L as secondary scores); results carry score 0.
    /// </summary>
    public bool GenerateOnly { get; init; }

    /// <summary>
    /// The SQLite database (EHRSQL's eICU schema) that EHRSQL answers and gold queries are executed against, opened
    /// read-only; required for a benchmark whose main metric is <c>ehr_sql_execution_accuracy</c>, ignored otherwise.
    /// </summary>
    public string? EhrSqlDatabasePath { get; init; }

    /// <summary>Time limit of one EHRSQL query (default 10 s); a query that hits it has failed.</summary>
    public TimeSpan? EhrSqlQueryTimeout { get; init; }

    /// <summary>Row limit of one EHRSQL query (default 100,000); a query that returns more has failed.</summary>
    public int? EhrSqlMaxRows { get; init; }

    /// <summary>
    /// Also write the secondary statistics of the benchmark's metric (MedEC sentence accuracy, billing-code
    /// precision and recall, EHRSQL query validity and answerability counts) to the ledger, one
    /// <see cref="MetricScore"/> each (<see cref="MetricScore.IsMain"/> false) beside the main one; for an
    /// open-ended benchmark (<see cref="GenerateOnly"/>), the ROUGE-1, ROUGE-2 and ROUGE-L F-measures
    /// (<c>rouge_1</c>, <c>rouge_2</c>, <c>rouge_l</c>, in <see cref="ScoringMode"/>) of each answer against a
    /// non-blank gold reference, as secondary scores only (the jury stores the main one later). Off by default. A
    /// closed metric's secondary statistics are always in <see cref="EvaluationOutcome.InstanceMetrics"/>; the ROUGE
    /// values are there only when this is set.
    /// </summary>
    public bool StoreSecondaryMetrics { get; init; }

    /// <summary>
    /// The time a local model's chat template sees (strftime_now, date_string), sent with every request as
    /// <see cref="Core.Inference.ChatRequestProperties.ChatTemplateTime"/>; a run fixes it in its manifest. Null: the
    /// client's own.
    /// </summary>
    public DateTimeOffset? ChatTemplateTime { get; init; }

    /// <summary>
    /// Stops starting model calls when cancelled (a service shutting down): the calls in flight (the current batch) still
    /// complete and are committed, then the evaluation ends with <see cref="OperationCanceledException"/>. The
    /// evaluation's own cancellation token, in contrast, cancels the calls in flight too.
    /// </summary>
    public CancellationToken Drain { get; init; }
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
public sealed record EvaluationOutcome(IReadOnlyList<InstanceResult> Results, int Computed, int Reused)
{
    /// <summary>
    /// Every statistic of each instance, in instance order: the main metric (also <see cref="InstanceResult.Score"/>)
    /// and, for metrics that have them, the secondary ones. With <see cref="EvaluationRequest.GenerateOnly"/> nothing
    /// is scored: empty dictionaries, or an open-ended instance's ROUGE-1/2/L when
    /// <see cref="EvaluationRequest.StoreSecondaryMetrics"/> is set and it has a gold reference. An undefined instance
    /// (<see cref="InstanceResult.Score"/> null) has an empty dictionary.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> InstanceMetrics { get; init; } = [];

    /// <summary>The benchmark-level figures of the metric (its own aggregation, e.g. EHRSQL answerability precision/recall) over the defined instances.</summary>
    public IReadOnlyDictionary<string, double> Aggregate { get; init; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>
    /// Instances whose answer could not be used, scored 0: EHRSQL SQL that did not run, or a gold record the metric
    /// rejected; and the undefined ones (helm mode where HELM's own code raises: no score), reason starting "undefined".
    /// </summary>
    public IReadOnlyList<ScoringFailure> ScoringFailures { get; init; } = [];

    /// <summary>
    /// Instances the model refused up front (<see cref="Core.Inference.RequestRejectedException"/>, e.g. a prompt longer
    /// than the context): not in <see cref="EvaluationOutcome.Results"/>, nothing stored; a resumed run asks again.
    /// </summary>
    public IReadOnlyList<RejectedInstance> Rejected { get; init; } = [];
}

/// <summary>An instance the model refused; <paramref name="Reason"/> is the refusal's message (counts and the remedy, never prompt text).</summary>
public sealed record RejectedInstance(string InstanceId, string Reason);

/// <summary>An instance scored 0 because its answer could not be evaluated; <paramref name="Reason"/> never holds prompt or output text.</summary>
/// <param name="InstanceId">The instance.</param>
/// <param name="Reason">What failed, e.g. "the model's SQL did not run (SQL error, time limit or row limit)".</param>
public sealed record ScoringFailure(string InstanceId, string Reason);

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
