using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MedHelm.Testing;

/// <summary>Keeps every log entry: the rendered message and each structured property value.</summary>
public sealed class CollectingLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message, IReadOnlyList<string> Values)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.Select(p => p.Value?.ToString() ?? string.Empty).ToList()
            : [];
        if (exception is not null)
        {
            values.Add(exception.ToString());
        }

        Entries.Enqueue((logLevel, formatter(state, exception), values));
    }

    /// <summary>Everything written to the log, as one text.</summary>
    public string AllText() =>
        string.Join("\n", Entries.Select(e => e.Message + "\n" + string.Join("\n", e.Values)));
}
