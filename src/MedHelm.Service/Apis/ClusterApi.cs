using MedHelm.Application.Ports;
using MedHelm.Cluster.Hosting;
using MedHelm.Service.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MedHelm.Service.Apis;

/// <summary><c>/api/v1/cluster</c>: the servers of the cluster this one belongs to, their models and the shards in flight.</summary>
public static class ClusterApi
{
    /// <summary>The cluster as this server sees it.</summary>
    /// <param name="Enabled">False when this server runs alone (no Cluster section): the lists are then empty.</param>
    /// <param name="ClusterId">The cluster's id.</param>
    /// <param name="Silos">Every active server's latest report.</param>
    /// <param name="Runs">The runs being sharded.</param>
    public sealed record ClusterStatusView(bool Enabled, string? ClusterId, IReadOnlyList<SiloView> Silos, IReadOnlyList<RunShardsView> Runs);

    /// <summary>One server (silo).</summary>
    /// <param name="SiloId">Its address in the cluster.</param>
    /// <param name="Host">Its host name.</param>
    /// <param name="Devices">Its devices with their free and total memory in bytes.</param>
    /// <param name="LoadedModels">The models it holds in memory.</param>
    /// <param name="QueueDepth">Shards it holds.</param>
    /// <param name="MaxShards">Shards it takes at once.</param>
    /// <param name="TokensPerSecond">Tokens (prompt and generated) its shards processed per second over the last minute.</param>
    /// <param name="ReportedUtc">When it last reported.</param>
    public sealed record SiloView(
        string SiloId, string Host, IReadOnlyList<DeviceView> Devices, IReadOnlyList<string> LoadedModels, int QueueDepth, int MaxShards, double TokensPerSecond, DateTimeOffset ReportedUtc);

    /// <summary>A device of a server.</summary>
    public sealed record DeviceView(string Name, string Type, long FreeBytes, long TotalBytes);

    /// <summary>A run's shards.</summary>
    /// <param name="RunId">The run.</param>
    /// <param name="Shards">Every shard.</param>
    /// <param name="Pending">Shards waiting for a server.</param>
    /// <param name="Done">Shards done.</param>
    /// <param name="InFlight">Shards held by a server now.</param>
    /// <param name="Waiting">Why pending shards were not placed (e.g. no server has the memory free).</param>
    public sealed record RunShardsView(string RunId, int Shards, int Pending, int Done, IReadOnlyList<ShardInFlightView> InFlight, IReadOnlyList<string> Waiting);

    /// <summary>A shard held by a server.</summary>
    public sealed record ShardInFlightView(string ShardId, string Model, string Benchmark, int FirstInstance, int InstanceCount, string SiloId, DateTimeOffset LeaseExpiresUtc);

    /// <summary>Maps the group.</summary>
    public static RouteGroupBuilder MapClusterApiV1(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/api/v1/cluster", "Cluster");
        group.MapGet("/", GetAsync).RequireRole(AccessRole.Viewer)
            .WithSummary("The cluster's servers (devices, free memory, loaded models, queue depth, tokens/s) and the shards in flight; enabled false on a server that runs alone.");
        return group;
    }

    private static async Task<Ok<ClusterStatusView>> GetAsync(IServiceProvider services, CancellationToken ct) => TypedResults.Ok(await ViewAsync(services, ct));

    /// <summary>The cluster as this server sees it (also the dashboard's cluster page); enabled false without a Cluster section.</summary>
    public static async Task<ClusterStatusView> ViewAsync(IServiceProvider services, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.GetService<ClusterView>() is not { } view)
        {
            return new ClusterStatusView(false, null, [], []);
        }

        var snapshot = await view.GetAsync(ct);
        return new ClusterStatusView(
            true,
            snapshot.ClusterId,
            [.. snapshot.Silos.Select(s => new SiloView(
                s.SiloId, s.Host, [.. s.Devices.Select(d => new DeviceView(d.Name, d.Type, d.FreeBytes, d.TotalBytes))], [.. s.LoadedModels], s.QueueDepth, s.MaxShards, s.TokensPerSecond, s.ReportedUtc))],
            [.. snapshot.Runs.Select(r => new RunShardsView(
                r.RunId, r.Shards, r.Pending, r.Done,
                [.. r.InFlight.Select(l => new ShardInFlightView(l.Shard.Id, l.Shard.Model, l.Shard.Benchmark, l.Shard.FirstInstance, l.Shard.InstanceCount, l.SiloId, l.ExpiresUtc))],
                [.. r.Waiting]))]);
    }
}
