using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace MedHelm.Service.Tests.Support;

/// <summary>A logger provider that keeps every event (the service's Serilog pipeline writes to registered providers too).</summary>
public sealed class CollectingLoggerProvider : ILoggerProvider
{
    public CollectingLogger Logger { get; } = new();

    public ILogger CreateLogger(string categoryName) => Logger;

    public void Dispose()
    {
    }
}

/// <summary>Records the measurements of the instruments of one container's meters (its <see cref="IMeterFactory"/>).</summary>
public sealed class MeasurementRecorder : IDisposable
{
    private readonly MeterListener _listener = new();

    public MeasurementRecorder(IMeterFactory scope, params string[] meters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == scope && meters.Contains(instrument.Meter.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    public ConcurrentQueue<(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)> Measurements { get; } = new();

    /// <summary>Reads every observable instrument now; returns what they reported.</summary>
    public IReadOnlyList<(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)> Observe()
    {
        var before = Measurements.Count;
        _listener.RecordObservableInstruments();
        return Measurements.Skip(before).ToArray();
    }

    /// <summary>The measurements of <paramref name="instrument"/> so far.</summary>
    public IReadOnlyList<(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)> Of(string instrument) =>
        Measurements.Where(m => m.Instrument == instrument).ToArray();

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        Measurements.Enqueue((instrument.Name, value, copy));
    }
}
