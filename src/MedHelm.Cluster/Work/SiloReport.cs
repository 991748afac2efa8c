using System.Collections.Immutable;

namespace MedHelm.Cluster.Work;

/// <summary>One accelerator (or the CPU) of a silo.</summary>
/// <param name="Name">The device's name (e.g. CUDA0).</param>
/// <param name="Type">CPU, GPU or integrated GPU.</param>
/// <param name="FreeBytes">Free memory when reported.</param>
/// <param name="TotalBytes">Total memory.</param>
[GenerateSerializer, Immutable]
public sealed record DeviceStatus(string Name, string Type, long FreeBytes, long TotalBytes);

/// <summary>What a silo reports about itself (its status): what placement decides on and what <c>GET /api/v1/cluster</c> shows.</summary>
/// <param name="SiloId">The silo's address in the cluster (Orleans' parsable silo address).</param>
/// <param name="Host">The server's host name.</param>
/// <param name="Devices">Its devices and their free memory.</param>
/// <param name="LoadedModels">The models it has in memory now.</param>
/// <param name="QueueDepth">Shards it holds (running and waiting).</param>
/// <param name="MaxShards">Shards it takes at once.</param>
/// <param name="TokensPerSecond">Tokens (prompt and generated) its shards processed per second over the last minute.</param>
/// <param name="ReportedUtc">When it reported.</param>
[GenerateSerializer, Immutable]
public sealed record SiloReport(
    string SiloId,
    string Host,
    ImmutableArray<DeviceStatus> Devices,
    ImmutableArray<string> LoadedModels,
    int QueueDepth,
    int MaxShards,
    double TokensPerSecond,
    DateTimeOffset ReportedUtc)
{
    /// <summary>Free memory over every device, in bytes.</summary>
    public long FreeMemoryBytes => Devices.Sum(d => d.FreeBytes);

    /// <summary>Shards it can still take.</summary>
    public int FreeSlots => Math.Max(0, MaxShards - QueueDepth);
}
