using MedHelm.Core.Results;

namespace MedHelm.Evaluation.Results;

/// <summary>Where evaluation results go (implemented by the SQLite store).</summary>
public interface IResultSink
{
    /// <summary>
    /// Records (or updates) <paramref name="run"/> and appends <paramref name="results"/> atomically:
    /// either the whole batch is stored or nothing is.
    /// </summary>
    Task WriteAsync(RunRecord run, IReadOnlyList<InstanceResult> results, CancellationToken cancellationToken = default);
}
