namespace MedHelm.Core.Catalog;

/// <summary>One axis an LLM jury scores from 1 (very poor) to 5 (excellent).</summary>
/// <param name="Name">Key in the judge's JSON verdict, e.g. "accuracy".</param>
/// <param name="Question">The guiding question shown to the judge.</param>
public sealed record JuryCriterion(string Name, string Question);

/// <summary>The jury criteria MedHELM uses (reference notes §3): accuracy, completeness, clarity with task wording.</summary>
public static class JuryCriteria
{
    /// <summary>Accuracy, completeness and clarity of <paramref name="artifact"/> against the source and the reference.</summary>
    public static IReadOnlyList<JuryCriterion> Standard(string artifact) =>
    [
        new("accuracy", $"Does the {artifact} contain only correct information that is supported by the input and consistent with the gold response?"),
        new("completeness", $"Does the {artifact} cover everything important that the gold response covers?"),
        new("clarity", $"Is the {artifact} clear, well organised and easy for its reader to understand?"),
    ];
}

/// <summary>
/// One run of a benchmark made of several runs (CLEAR's 13 conditions, EHRSHOT's 3 tasks, N2C2's 3 criteria,
/// MedDialog's 2 subsets). The leaderboard cell is the unweighted mean of the per-run means.
/// </summary>
/// <param name="Name">HELM run-spec argument value, e.g. "alcohol_dependence".</param>
/// <param name="Description">What this run asks, e.g. "alcohol dependence".</param>
public sealed record BenchmarkSubRun(string Name, string Description);

/// <summary>Whether answers are compared to a gold answer or judged by an LLM jury.</summary>
public enum EvaluationStyle
{
    /// <summary>Closed: a deterministic metric against a gold answer.</summary>
    Closed,

    /// <summary>Open-ended: free text scored by an LLM jury (1-5 per criterion).</summary>
    Open,
}
