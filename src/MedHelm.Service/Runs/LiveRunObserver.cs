using System.Collections.Concurrent;
using MedHelm.Application.Runs;
using MedHelm.Evaluation.Running;

namespace MedHelm.Service.Runs;

/// <summary>One progress bar of a running run: a model × benchmark, or a step such as the jury.</summary>
/// <param name="Label">Names only (model × benchmark).</param>
/// <param name="Completed">Instances done.</param>
/// <param name="Total">Instances.</param>
/// <param name="Reused">Of those, taken from the ledger.</param>
/// <param name="Tokens">Tokens processed by computed instances.</param>
public sealed record ProgressBarView(string Label, int Completed, int Total, int Reused, long Tokens);

/// <summary>The live state of a run this service executes.</summary>
/// <param name="Bars">Progress per model × benchmark of the current phase and the phases before it.</param>
/// <param name="Notices">The latest notices (names, counts and paths only).</param>
/// <param name="UpdatedUtc">When anything last changed.</param>
public sealed record RunProgressView(IReadOnlyList<ProgressBarView> Bars, IReadOnlyList<string> Notices, DateTimeOffset UpdatedUtc);

/// <summary>
/// An <see cref="IRunObserver"/> that keeps a run's latest progress and notices in memory for <c>GET /api/v1/runs/{id}</c>.
/// The orchestrator passes only names and counts, never prompt or output text.
/// </summary>
public sealed class LiveRunObserver : IRunObserver
{
    private const int MaxNotices = 50;
    private readonly ConcurrentDictionary<string, ProgressBarView> _bars = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _notices = new();
    private readonly ConcurrentQueue<string> _order = new();
    private long _updatedTicks = DateTimeOffset.UtcNow.UtcTicks;

    /// <inheritdoc />
    public void Notice(string message)
    {
        _notices.Enqueue(message);
        while (_notices.Count > MaxNotices && _notices.TryDequeue(out _))
        {
        }

        Touch();
    }

    /// <inheritdoc />
    public Task<IRunProgress> BeginProgressAsync(IReadOnlyList<ProgressItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            if (_bars.TryAdd(item.Key, new ProgressBarView(item.Label, 0, item.Total, 0, 0)))
            {
                _order.Enqueue(item.Key);
            }
        }

        Touch();
        return Task.FromResult<IRunProgress>(new Phase(this));
    }

    /// <summary>What the run has reported so far.</summary>
    public RunProgressView Snapshot() => new(
        _order.Select(k => _bars[k]).ToArray(), _notices.ToArray(), new DateTimeOffset(Interlocked.Read(ref _updatedTicks), TimeSpan.Zero));

    private void Touch() => Interlocked.Exchange(ref _updatedTicks, DateTimeOffset.UtcNow.UtcTicks);

    private sealed class Phase(LiveRunObserver owner) : IRunProgress
    {
        public IProgress<EvaluationProgress> For(string key) => new Bar(owner, key);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Bar(LiveRunObserver owner, string key) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value)
        {
            owner._bars.AddOrUpdate(
                key,
                _ => new ProgressBarView(key, value.Completed, value.Total, value.Reused, value.Tokens),
                (_, bar) => bar with { Completed = value.Completed, Total = value.Total, Reused = value.Reused, Tokens = value.Tokens });
            owner.Touch();
        }
    }
}

/// <summary>The live observers of the runs this process executes (and executed since it started), by run id.</summary>
public sealed class RunProgressRegistry
{
    private readonly ConcurrentDictionary<string, LiveRunObserver> _observers = new(StringComparer.Ordinal);

    /// <summary>A fresh observer for an execution of <paramref name="runId"/>.</summary>
    public LiveRunObserver Begin(string runId) => _observers[runId] = new LiveRunObserver();

    /// <summary>The latest progress of <paramref name="runId"/>, or null when this process has not executed it.</summary>
    public RunProgressView? Get(string runId) => _observers.TryGetValue(runId, out var observer) ? observer.Snapshot() : null;
}
