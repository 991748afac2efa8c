using System.Collections.Immutable;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Cluster.Grains;
using MedHelm.Cluster.Work;
using MedHelm.Inference.Llama.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace MedHelm.Cluster.Hosting;

/// <summary>What this silo reports about itself.</summary>
public interface ISiloReportSource
{
    /// <summary>The report now.</summary>
    SiloReport Current();
}

/// <summary>
/// This server's report: the llama.cpp runtime's devices and their free memory (as the runtime found them when it
/// loaded in this process), the models the model loader holds, and the shards it executes now (<see cref="ShardWorkload"/>).
/// Before the runtime has loaded here (or when models run in engine worker processes only) the one device reported is
/// the host's memory as .NET sees it, so that a fresh server is given shards. Tokens/s: what its shards processed
/// (prompt and generated tokens) over the last minute (<see cref="ShardWorkload.TokensPerSecond"/>).
/// </summary>
internal sealed class LocalSiloReportSource(
    IServiceProvider services, ILocalSiloDetails silo, ShardWorkload workload, IOptions<ClusterOptions> options, TimeProvider time) : ISiloReportSource
{
    public SiloReport Current()
    {
        var devices = LlamaRuntime.Current?.Devices
            .Select(d => new DeviceStatus(d.Name, d.Type, (long)Math.Min(d.FreeBytes, long.MaxValue), (long)Math.Min(d.TotalBytes, long.MaxValue)))
            .ToImmutableArray() ?? [];
        if (devices.IsEmpty)
        {
            var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            devices = [new DeviceStatus("host memory", "Host", memory, memory)];
        }
        var loaded = services.GetService<IResidentModels>()?.Loaded.Select(m => m.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray() ?? [];
        return new SiloReport(SiloLiveness.IdOf(silo.SiloAddress), Environment.MachineName, devices, loaded, workload.Running, options.Value.MaxShardsPerSilo, workload.TokensPerSecond(), time.GetUtcNow());
    }
}

/// <summary>Sends this silo's report to the cluster directory every few seconds while the host runs.</summary>
internal sealed partial class SiloReporter(IGrainFactory grains, ISiloReportSource source, TimeProvider time, ILogger<SiloReporter> logger) : BackgroundService
{
    /// <summary>How often a silo reports.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await grains.GetGrain<IClusterDirectoryGrain>(0).ReportAsync(source.Current()).WaitAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogReportFailed(e.GetType().Name, e.Message); // the next tick tries again (a silo joining, a directory moving)
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The silo's status report did not reach the cluster directory ({Error}: {Message}); retrying.")]
    private partial void LogReportFailed(string error, string message);
}
