using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using MedHelm.Evaluation.Running;

namespace MedHelm.Application.Diagnostics;

/// <summary>
/// The appliance's own instruments (System.Diagnostics.Metrics, meter <see cref="MeterName"/>): the run queue's length,
/// each running run's progress, the tokens models process and how long each model × benchmark evaluation takes.
/// Request latency is ASP.NET Core's own <c>http.server.request.duration</c> (meter Microsoft.AspNetCore.Hosting).
/// Nothing is exported unless a host configures an exporter: a listener in the process (or <c>dotnet-counters</c> on the
/// machine) reads them. Tags carry run ids, model and benchmark names only, never patient text.
/// </summary>
public sealed class MedHelmMetrics : IDisposable
{
    public const string MeterName = "MedHelm";

    private readonly Meter _meter;
    private readonly Counter<long> _instances;
    private readonly Counter<long> _tokens;
    private readonly Histogram<double> _evaluationDuration;
    private readonly ConcurrentDictionary<(string RunId, string Bar), (int Completed, int Total)> _bars = new();
    private int _queueLength;

    public MedHelmMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge("medhelm.run_queue.length", () => Volatile.Read(ref _queueLength), "{run}", "Runs waiting in the service's queue.");
        _meter.CreateObservableGauge("medhelm.run.instances.completed", () => Progress(b => b.Completed), "{instance}", "Instances a running run has done (computed or reused).");
        _meter.CreateObservableGauge("medhelm.run.instances.total", () => Progress(b => b.Total), "{instance}", "Instances a running run has planned.");
        _instances = _meter.CreateCounter<long>("medhelm.run.instances", "{instance}", "Instances done, by model, benchmark and whether the result was reused from the ledger.");
        _tokens = _meter.CreateCounter<long>("medhelm.generation.tokens", "{token}", "Prompt and completion tokens processed by the instances a run computed (their rate is tokens/s).");
        _evaluationDuration = _meter.CreateHistogram<double>("medhelm.evaluation.duration", "s", "Time of one model × benchmark evaluation of a run.");
    }

    /// <summary>The number of queued runs, after the queue changed.</summary>
    public void QueueLength(int queued) => Volatile.Write(ref _queueLength, queued);

    /// <summary>A progress report of one bar (<paramref name="bar"/>) of a run; <paramref name="previous"/> is the bar's last report.</summary>
    public void Progress(string bar, EvaluationProgress previous, EvaluationProgress current)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);
        _bars[(current.RunId, bar)] = (current.Completed, current.Total);
        var model = new KeyValuePair<string, object?>("medhelm.model", current.Model);
        var benchmark = new KeyValuePair<string, object?>("medhelm.benchmark", current.Benchmark);
        var reused = current.Reused - previous.Reused;
        var computed = current.Completed - previous.Completed - reused;
        if (reused > 0)
        {
            _instances.Add(reused, model, benchmark, new KeyValuePair<string, object?>("medhelm.reused", true));
        }

        if (computed > 0)
        {
            _instances.Add(computed, model, benchmark, new KeyValuePair<string, object?>("medhelm.reused", false));
        }

        if (current.Tokens > previous.Tokens)
        {
            _tokens.Add(current.Tokens - previous.Tokens, model, benchmark);
        }
    }

    /// <summary>One model × benchmark evaluation ended.</summary>
    public void EvaluationFinished(string model, string benchmark, TimeSpan elapsed) =>
        _evaluationDuration.Record(
            elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("medhelm.model", model),
            new KeyValuePair<string, object?>("medhelm.benchmark", benchmark));

    /// <summary>The phase that held the bar ended (however the run goes on or stops): its progress is no longer reported.</summary>
    public void ProgressEnded(string runId, string bar) => _bars.TryRemove((runId, bar), out _);

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<int>> Progress(Func<(int Completed, int Total), int> value) =>
        _bars.GroupBy(b => b.Key.RunId, StringComparer.Ordinal)
            .Select(run => new Measurement<int>(run.Sum(b => value(b.Value)), new KeyValuePair<string, object?>("medhelm.run_id", run.Key)))
            .ToArray();
}
