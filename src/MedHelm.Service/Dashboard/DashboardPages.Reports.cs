using System.Globalization;
using MedHelm.Application.Ports;
using MedHelm.Application.Reports;
using MedHelm.Service.Apis;

namespace MedHelm.Service.Dashboard;

/// <summary>
/// The dashboard's page bodies, rendered from the same application-layer data the JSON API serves. Pure functions of
/// their inputs (no I/O): the endpoints in <see cref="DashboardEndpoints"/> read the data, these build the markup, and
/// every name, id and text goes through <see cref="Html"/>'s encoding.
/// </summary>
public static partial class DashboardPages
{
    /// <summary>The leaderboard: per benchmark, models by score (as <c>GET /api/v1/leaderboard</c>).</summary>
    /// <param name="rows">The rows (ordered by benchmark, then score descending).</param>
    /// <param name="runId">The run it is limited to, or null for the latest result of every instance.</param>
    public static Markup Leaderboard(IReadOnlyList<ReportLeaderboardRow> rows, string? runId)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var html = new Html();
        html.Add(runId is null
            ? Html.Of($"<p class=\"muted\">The latest result of every instance across runs.</p>")
            : Html.Of($"<p class=\"muted\">Run <a href=\"{RunPath(runId)}\">{runId}</a> only. <a href=\"/dashboard\">Every run</a></p>"));
        if (rows.Count == 0)
        {
            return html.Add($"<p id=\"leaderboard-empty\">No results yet: start a run.</p>").ToMarkup();
        }

        html.Add($"<table id=\"leaderboard\"><thead><tr><th>Benchmark</th><th>Rank</th><th>Model</th><th>Score</th><th>Instances</th><th>Data</th>");
        html.Add($"<th>Prompt tokens</th><th>Completion tokens</th><th>Seconds</th></tr></thead><tbody>");
        foreach (var benchmark in rows.GroupBy(r => r.Row.Benchmark, StringComparer.Ordinal))
        {
            var rank = 0;
            foreach (var entry in benchmark)
            {
                var row = entry.Row;
                html.Add($"<tr><td>{row.Benchmark}</td><td class=\"n\">{++rank}</td><td class=\"model\">{row.Model}</td><td class=\"n\">{(double.IsNaN(row.Score) ? "undefined" : row.Score.ToString("0.000", CultureInfo.InvariantCulture))}</td>");
                html.Add($"<td class=\"n\">{(row.Undefined > 0 ? $"{row.Instances} ({row.Undefined} undefined)" : row.Instances.ToString(CultureInfo.InvariantCulture))}</td><td>{DataLabel(entry.Data)}</td><td class=\"n\">{row.PromptTokens}</td>");
                html.Add($"<td class=\"n\">{row.CompletionTokens}</td><td class=\"n\">{row.Seconds:0.0}</td></tr>");
            }
        }

        return html.Add($"</tbody></table>").ToMarkup();
    }

    /// <summary>
    /// Models × benchmarks, each cell coloured by its score: on the score itself where a benchmark's scores lie in
    /// [0, 1], else on its place between the benchmark's lowest and highest score. The number is always in the cell.
    /// </summary>
    public static Markup Heatmap(IReadOnlyList<ReportLeaderboardRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return Html.Of($"<p id=\"heatmap-empty\">No results yet: start a run.</p>");
        }

        rows = rows.Where(r => !double.IsNaN(r.Row.Score)).ToArray(); // a cell with no defined instance has no score to shade
        var benchmarks = rows.Select(r => r.Row.Benchmark).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var models = rows.GroupBy(r => r.Row.Model, StringComparer.Ordinal)
            .OrderByDescending(g => g.Average(r => r.Row.Score)).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).ToArray();
        var cells = rows.ToDictionary(r => (r.Row.Model, r.Row.Benchmark), r => r.Row.Score);
        var ranges = benchmarks.ToDictionary(b => b, b => Range(rows.Where(r => r.Row.Benchmark == b).Select(r => r.Row.Score)), StringComparer.Ordinal);

        var html = new Html();
        html.Add($"<table id=\"heatmap\" class=\"heatmap\"><thead><tr><th>Model</th>");
        html.Each(benchmarks, (h, b) => h.Add($"<th>{b}</th>"));
        html.Add($"</tr></thead><tbody>");
        foreach (var model in models)
        {
            html.Add($"<tr><th class=\"model\">{model}</th>");
            foreach (var benchmark in benchmarks)
            {
                html.Add(cells.TryGetValue((model, benchmark), out var score)
                    ? Html.Of($"<td class=\"cell heat-{Shade(score, ranges[benchmark])}\" title=\"{model} × {benchmark}: {score:0.000}\">{score:0.000}</td>")
                    : Html.Of($"<td class=\"cell heat-none\">–</td>"));
            }

            html.Add($"</tr>");
        }

        return html.Add($"</tbody></table><p class=\"muted\">Darker is better. Scores in [0, 1] are shaded as they are; other scales between the benchmark's lowest and highest score.</p>").ToMarkup();
    }

    /// <summary>The models the service knows (as <c>GET /api/v1/models</c>).</summary>
    public static Markup Models(IReadOnlyList<ModelsApi.ModelView> models) => Table(
        models,
        Html.Of($"<p>No model is configured or recorded yet.</p>"),
        Html.Of($"<table id=\"models\"><thead><tr><th>Name</th><th>Kind</th><th>File</th><th>Architecture</th><th>Quantization</th><th>Size</th><th>SHA-256</th><th>Trust</th></tr></thead><tbody>"),
        (h, m) => h.Add(
            $"<tr><td class=\"model\">{m.Name}</td><td>{m.Kind}</td><td>{m.FileName}</td><td>{m.Architecture}</td><td>{m.Quantization}</td><td class=\"n\">{Size(m.SizeBytes)}</td><td><code>{m.Sha256}</code></td><td>{m.Trust}</td></tr>"));

    /// <summary>The imported datasets (as <c>GET /api/v1/datasets</c>): counts and hashes, never an instance's text.</summary>
    public static Markup Datasets(IReadOnlyList<StoredDataset> datasets) => Table(
        datasets,
        Html.Of($"<p>No dataset is imported yet (runs may use the bundled samples).</p>"),
        Html.Of($"<table id=\"datasets\"><thead><tr><th>Benchmark</th><th>Access</th><th>Instances</th><th>Splits</th><th>Files</th><th>Imported (UTC)</th><th>SHA-256</th></tr></thead><tbody>"),
        (h, d) => h.Add(
            $"<tr><td>{d.Benchmark}</td><td>{d.Access}</td><td class=\"n\">{d.InstanceCount}</td><td>{d.SplitCounts}</td><td class=\"n\">{d.SourceFiles.Count}</td><td>{d.ImportedUtc:yyyy-MM-dd HH:mm}</td><td><code>{d.SourceSha256}</code></td></tr>"));

    /// <summary>The audit log (admin), newest first, with the result of checking its SHA-256 chain.</summary>
    public static Markup Audit(IReadOnlyList<AuditEvent> events, AuditChainVerification chain)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(chain);
        var html = new Html();
        html.Add(chain.Intact
            ? Html.Of($"<p id=\"audit-chain\" class=\"status-completed\">The chain is intact ({chain.RowsChecked} rows checked).</p>")
            : Html.Of($"<p id=\"audit-chain\" class=\"error\">The chain is broken at row {chain.FirstBrokenId}: {chain.Problem}</p>"));
        html.Add($"<table id=\"audit\"><thead><tr><th>#</th><th>At (UTC)</th><th>Event</th><th>Run</th><th>Detail</th></tr></thead><tbody>");
        html.Each(events.OrderByDescending(e => e.Id), (h, e) => h.Add(
            $"<tr><td class=\"n\">{e.Id}</td><td>{e.AtUtc:yyyy-MM-dd HH:mm:ss}</td><td>{e.Event}</td><td>{RunLink(e.RunId)}</td><td><code>{e.DetailJson}</code></td></tr>"));
        return html.Add($"</tbody></table>").ToMarkup();
    }

    /// <summary>The dashboard path of a run.</summary>
    public static string RunPath(string runId) => "/dashboard/runs/" + Uri.EscapeDataString(runId);

    /// <summary>A table (opened by <paramref name="head"/>, which ends with <c>&lt;tbody&gt;</c>) of one row per item, or <paramref name="empty"/> when there is none.</summary>
    private static Markup Table<T>(IReadOnlyList<T> items, Markup empty, Markup head, Action<Html, T> row)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items.Count == 0 ? empty : new Html().Add(head).Each(items, row).Add($"</tbody></table>").ToMarkup();
    }

    private static Markup RunLink(string? runId) => runId is null ? Markup.Empty : Html.Of($"<a href=\"{RunPath(runId)}\">{runId}</a>");

    private static string DataLabel(DataOrigin? data) => data?.ToString().ToLowerInvariant() ?? "";

    private static string Size(long? bytes) => bytes switch
    {
        null => "",
        < 1024 * 1024 => FormattableString.Invariant($"{bytes / 1024.0:0.0} KiB"),
        _ => FormattableString.Invariant($"{bytes / (1024.0 * 1024):0.0} MiB"),
    };

    private static (double Min, double Max) Range(IEnumerable<double> scores)
    {
        var values = scores.ToArray();
        return (values.Min(), values.Max());
    }

    /// <summary>0 (lightest) to 8 (darkest).</summary>
    private static int Shade(double score, (double Min, double Max) range)
    {
        var unit = range is { Min: >= 0, Max: <= 1 } ? score
            : range.Max > range.Min ? (score - range.Min) / (range.Max - range.Min)
            : 1;
        return double.IsFinite(unit) ? (int)Math.Round(Math.Clamp(unit, 0, 1) * 8) : 0;
    }
}
