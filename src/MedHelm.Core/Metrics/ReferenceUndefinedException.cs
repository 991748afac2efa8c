namespace MedHelm.Core.Metrics;

/// <summary>
/// In <see cref="ScoringMode.Helm"/>, an input on which HELM's own metric code raises instead of returning a number
/// (for example scikit-learn's <c>ValueError</c> on two empty billing-code sets). Helm mode then reports the instance
/// as "undefined, the reference fails here" rather than inventing a value; corrected mode scores such inputs.
/// </summary>
public sealed class ReferenceUndefinedException(string referenceError, string reason)
    : Exception($"undefined in helm mode: the reference (HELM) raises {referenceError} here ({reason})")
{
    /// <summary>The exception type HELM raises (e.g. <c>ValueError</c>).</summary>
    public string ReferenceError { get; } = referenceError;

    /// <summary>Why, in words that never quote the input.</summary>
    public string Reason { get; } = reason;
}
