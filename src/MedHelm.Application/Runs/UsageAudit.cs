using System.Text.Json;
using MedHelm.Application.Ports;

namespace MedHelm.Application.Runs;

/// <summary>Whether a measured segment was a model answering a benchmark or a judge rating its answers.</summary>
public enum SegmentKind
{
    /// <summary>An evaluated model answering one benchmark's instances.</summary>
    Evaluation,

    /// <summary>A judge rating one benchmark's outputs.</summary>
    Jury,
}

/// <summary>
/// One measured stretch of a run: the wall time a model (or a judge) spent on one benchmark, read from the audit log.
/// The time is measured around the whole benchmark (all its requests in flight together), so it is what the device was
/// held for, not the sum of per-request times (which overlap under continuous batching).
/// </summary>
/// <param name="RunId">The run.</param>
/// <param name="Kind">Evaluation or jury.</param>
/// <param name="Model">The evaluated model or the judge.</param>
/// <param name="Benchmark">The benchmark.</param>
/// <param name="Computed">Requests computed in this segment (an evaluation: new completions; a jury: outputs rated).</param>
/// <param name="Reused">Requests taken from the ledger (no device time spent on them here).</param>
/// <param name="WallSeconds">Measured wall time.</param>
/// <param name="Local">True for a local model (device time), false for a hosted endpoint.</param>
public sealed record MeasuredSegment(string RunId, SegmentKind Kind, string Model, string Benchmark, int Computed, int Reused, double WallSeconds, bool Local);

/// <summary>
/// Writes and reads the audit events that measure a run's time: <c>benchmark_evaluated</c> (one model × benchmark) and
/// <c>jury_rated</c> (one judge × benchmark). Counts and seconds only, never text.
/// </summary>
public static class UsageAudit
{
    /// <summary>A model finished a benchmark.</summary>
    public const string BenchmarkEvaluated = "benchmark_evaluated";

    /// <summary>A judge finished rating a benchmark's outputs.</summary>
    public const string JuryRated = "jury_rated";

    /// <summary>The audit detail of a measured segment.</summary>
    public static string Detail(string model, string benchmark, int computed, int reused, TimeSpan wall, bool local) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = model,
            ["benchmark"] = benchmark,
            ["computed"] = computed,
            ["reused"] = reused,
            ["wall_ms"] = Math.Round(wall.TotalMilliseconds, 1),
            ["local"] = local,
        });

    /// <summary>The measured segments among <paramref name="events"/> (other events, and unreadable details, are passed over).</summary>
    public static IReadOnlyList<MeasuredSegment> Read(IEnumerable<AuditEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var segments = new List<MeasuredSegment>();
        foreach (var e in events)
        {
            var kind = e.Event switch
            {
                BenchmarkEvaluated => SegmentKind.Evaluation,
                JuryRated => SegmentKind.Jury,
                _ => (SegmentKind?)null,
            };
            if (kind is null || e.RunId is null || Parse(e.DetailJson) is not { } d)
            {
                continue;
            }

            segments.Add(new MeasuredSegment(e.RunId, kind.Value, d.Model, d.Benchmark, d.Computed, d.Reused, d.WallMs / 1000.0, d.Local));
        }

        return segments;
    }

    private static (string Model, string Benchmark, int Computed, int Reused, double WallMs, bool Local)? Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return (root.GetProperty("model").GetString()!, root.GetProperty("benchmark").GetString()!, root.GetProperty("computed").GetInt32(),
                root.GetProperty("reused").GetInt32(), root.GetProperty("wall_ms").GetDouble(), root.GetProperty("local").GetBoolean());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
