using System.Globalization;
using MedHelm.Service.Apis;

namespace MedHelm.Service.Dashboard;

public static partial class DashboardPages
{
    /// <summary>
    /// The cluster (as <c>GET /api/v1/cluster</c>): every active server with its devices, free memory, loaded models,
    /// shards held and tokens/s, then per run being sharded its shard counts, the shards in flight and why pending
    /// shards wait. A server without a Cluster section says that it runs alone.
    /// </summary>
    public static Markup Cluster(ClusterApi.ClusterStatusView cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (!cluster.Enabled)
        {
            return Html.Of($"<p id=\"cluster-alone\">This server runs alone: its appsettings.json has no Cluster section (docs/scale-out.md says how servers join one).</p>");
        }

        var html = new Html();
        html.Add($"<p class=\"muted\">Cluster <b id=\"cluster-id\">{cluster.ClusterId}</b>: {cluster.Silos.Count.ToString(CultureInfo.InvariantCulture)} active server(s).</p>");
        html.Add(Table(
            cluster.Silos,
            Html.Of($"<p id=\"silos-empty\">No server has reported yet.</p>"),
            Html.Of($"<table id=\"silos\"><thead><tr><th>Server</th><th>Host</th><th>Devices (free / total)</th><th>Loaded models</th><th>Shards</th><th>Tokens/s</th><th>Reported (UTC)</th></tr></thead><tbody>"),
            (h, s) => h.Add(
                $"<tr data-silo=\"{s.SiloId}\"><td><code>{s.SiloId}</code></td><td>{s.Host}</td><td>{Devices(s.Devices)}</td><td>{string.Join(", ", s.LoadedModels)}</td><td class=\"n shards\">{Count(s.QueueDepth)} / {Count(s.MaxShards)}</td><td class=\"n tokens\">{s.TokensPerSecond.ToString("0.0", CultureInfo.InvariantCulture)}</td><td>{s.ReportedUtc:yyyy-MM-dd HH:mm:ss}</td></tr>")));

        html.Add($"<h2>Runs being sharded</h2>");
        html.Add(Table(
            cluster.Runs,
            Html.Of($"<p id=\"sharded-runs-empty\">No run is being sharded now.</p>"),
            Html.Of($"<table id=\"sharded-runs\"><thead><tr><th>Run</th><th>Shards</th><th>Done</th><th>In flight</th><th>Pending</th><th>Why pending shards wait</th></tr></thead><tbody>"),
            (h, r) => h.Add(
                $"<tr data-run-id=\"{r.RunId}\"><td>{RunLink(r.RunId)}</td><td class=\"n\">{Count(r.Shards)}</td><td class=\"n\">{Count(r.Done)}</td><td class=\"n\">{Count(r.InFlight.Count)}</td><td class=\"n\">{Count(r.Pending)}</td><td>{string.Join("; ", r.Waiting)}</td></tr>")));

        var inFlight = cluster.Runs.SelectMany(r => r.InFlight.Select(s => (r.RunId, Shard: s))).ToArray();
        if (inFlight.Length > 0)
        {
            html.Add($"<h2>Shards in flight</h2><table id=\"shards\"><thead><tr><th>Run</th><th>Shard</th><th>Model</th><th>Benchmark</th><th>Instances</th><th>Server</th><th>Lease expires (UTC)</th></tr></thead><tbody>");
            html.Each(inFlight, (h, f) => h.Add(
                $"<tr><td>{RunLink(f.RunId)}</td><td><code>{f.Shard.ShardId}</code></td><td class=\"model\">{f.Shard.Model}</td><td>{f.Shard.Benchmark}</td><td class=\"n\">{InstanceRange(f.Shard.FirstInstance, f.Shard.InstanceCount)}</td><td><code>{f.Shard.SiloId}</code></td><td>{f.Shard.LeaseExpiresUtc:HH:mm:ss}</td></tr>"));
            html.Add($"</tbody></table>");
        }

        return html.ToMarkup();
    }

    private static string Devices(IReadOnlyList<ClusterApi.DeviceView> devices) =>
        string.Join("; ", devices.Select(d => FormattableString.Invariant($"{d.Name} ({d.Type}) {d.FreeBytes / Gib:0.0} / {d.TotalBytes / Gib:0.0} GiB")));

    private const double Gib = 1024.0 * 1024 * 1024;

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string InstanceRange(int first, int count) =>
        FormattableString.Invariant($"{first}-{first + count - 1}");
}
