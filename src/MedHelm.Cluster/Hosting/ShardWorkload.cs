using MedHelm.Evaluation.Running;

namespace MedHelm.Cluster.Hosting;

/// <summary>
/// What this silo is doing, for its report: the shards it executes now (queue depth) and the tokens (prompt and
/// generated) its shards processed over the last minute.
/// </summary>
public sealed class ShardWorkload(TimeProvider? time = null)
{
    /// <summary>The span <see cref="TokensPerSecond"/> averages over.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Queue<(DateTimeOffset At, long Tokens)> _recent = new();
    private readonly Lock _lock = new();
    private int _running;

    /// <summary>Shards executing now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Tokens processed in the last <see cref="Window"/>, per second of it (0 when idle for a minute).</summary>
    public double TokensPerSecond()
    {
        lock (_lock)
        {
            Expire(_time.GetUtcNow());
            return _recent.Sum(r => r.Tokens) / Window.TotalSeconds;
        }
    }

    /// <summary>A progress sink for one shard's evaluation: each report's growth in tokens counts toward <see cref="TokensPerSecond"/>.</summary>
    public IProgress<EvaluationProgress> TokenCounter() => new ShardTokens(this);

    internal void Started() => Interlocked.Increment(ref _running);

    internal void Ended() => Interlocked.Decrement(ref _running);

    private void Add(long tokens)
    {
        if (tokens <= 0)
        {
            return;
        }

        lock (_lock)
        {
            var now = _time.GetUtcNow();
            _recent.Enqueue((now, tokens));
            Expire(now);
        }
    }

    private void Expire(DateTimeOffset now)
    {
        while (_recent.TryPeek(out var oldest) && now - oldest.At > Window)
        {
            _recent.Dequeue();
        }
    }

    /// <summary>Turns one shard's running token total (<see cref="EvaluationProgress.Tokens"/>) into increments.</summary>
    private sealed class ShardTokens(ShardWorkload workload) : IProgress<EvaluationProgress>
    {
        private long _seen;

        public void Report(EvaluationProgress value)
        {
            ArgumentNullException.ThrowIfNull(value);
            long seen;
            do
            {
                seen = Volatile.Read(ref _seen);
                if (value.Tokens <= seen)
                {
                    return; // a late or repeated report
                }
            }
            while (Interlocked.CompareExchange(ref _seen, value.Tokens, seen) != seen);

            workload.Add(value.Tokens - seen);
        }
    }
}
