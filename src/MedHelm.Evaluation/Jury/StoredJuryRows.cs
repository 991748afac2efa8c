namespace MedHelm.Evaluation.Jury;

/// <summary>A stored output of a run that the jury rates (an open-ended benchmark's completion).</summary>
/// <param name="RequestId">The stored request (completion) id.</param>
/// <param name="RequestKey">Its ledger key.</param>
/// <param name="Model">The evaluated model.</param>
/// <param name="Benchmark">The benchmark.</param>
/// <param name="InstanceId">The instance.</param>
/// <param name="Output">The model's answer.</param>
/// <param name="Gold">The instance's reference text ("" when there is none).</param>
public sealed record JuryCandidate(long RequestId, string RequestKey, string Model, string Benchmark, string InstanceId, string Output, string Gold)
{
    /// <summary>The sub-run of the benchmark the instance belongs to, or null when the benchmark has one run.</summary>
    public string? SubRun { get; init; }
}

/// <summary>
/// One stored jury rating: a judge's score on one criterion, or (criterion <see cref="FailureCriterion"/>, no rating)
/// the judge's failure on that output.
/// </summary>
public sealed record StoredJuryRating(long RequestId, string Model, string Benchmark, string InstanceId, string Judge, string Criterion, double? Rating, string? DetailJson)
{
    /// <summary>The criterion recorded for a judge that gave no verdict (never a valid criterion name).</summary>
    public const string FailureCriterion = "(failure)";
}
