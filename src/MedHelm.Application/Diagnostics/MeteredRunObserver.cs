using MedHelm.Application.Runs;
using MedHelm.Evaluation.Running;

namespace MedHelm.Application.Diagnostics;

/// <summary>An <see cref="IRunObserver"/> that passes everything on and feeds each progress report to <see cref="MedHelmMetrics"/>.</summary>
internal sealed class MeteredRunObserver(IRunObserver inner, MedHelmMetrics metrics) : IRunObserver
{
    public void Notice(string message) => inner.Notice(message);

    public async Task<IRunProgress> BeginProgressAsync(IReadOnlyList<ProgressItem> items, CancellationToken cancellationToken) =>
        new Phase(await inner.BeginProgressAsync(items, cancellationToken).ConfigureAwait(false), metrics);

    private sealed class Phase(IRunProgress inner, MedHelmMetrics metrics) : IRunProgress
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<Bar> _bars = new();

        public IProgress<EvaluationProgress> For(string key)
        {
            var bar = new Bar(inner.For(key), metrics, key);
            _bars.Enqueue(bar);
            return bar;
        }

        public ValueTask DisposeAsync()
        {
            foreach (var bar in _bars)
            {
                bar.End();
            }

            return inner.DisposeAsync();
        }
    }

    private sealed class Bar(IProgress<EvaluationProgress> inner, MedHelmMetrics metrics, string key) : IProgress<EvaluationProgress>
    {
        private readonly Lock _gate = new();
        private EvaluationProgress? _last;

        public void Report(EvaluationProgress value)
        {
            lock (_gate)
            {
                metrics.Progress(key, _last ?? value with { Completed = 0, Reused = 0, Tokens = 0 }, value);
                _last = value;
            }

            inner.Report(value);
        }

        public void End()
        {
            lock (_gate)
            {
                if (_last is not null)
                {
                    metrics.ProgressEnded(_last.RunId, key);
                }
            }
        }
    }
}
