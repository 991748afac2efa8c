using System.Diagnostics;
using System.Globalization;
using MedHelm.Cluster.Tests.Simulation;
using Xunit.Abstractions;

namespace MedHelm.Cluster.Tests;

/// <summary>
/// Throughput against silo count with stand-in silos (fixed tokens/s and memory per model; NOT real models) driven by the
/// real placement policy and lease table. scripts/cluster-simulation.sh prints the table (docs/performance.md).
/// </summary>
public sealed class ClusterSimulationTests(ITestOutputHelper output)
{
    /// <summary>Four stand-in models the size of 8B to 70B models at Q4 on an 80 GiB accelerator, with plausible batched tokens/s.</summary>
    private static readonly SimulatedModel[] Models =
    [
        new("standin-8b", 5L << 30, 3000),
        new("standin-14b", 9L << 30, 2000),
        new("standin-32b", 20L << 30, 1000),
        new("standin-70b", 42L << 30, 500),
    ];

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void Sixty_four_stand_in_silos_reach_at_least_nine_tenths_of_linear_throughput_and_every_shard_completes_once()
    {
        // 4 models x 35 benchmarks x 1000 instances, shards of 25 instances: 5,600 shards
        var simulation = new ClusterSimulation(Models, benchmarks: 35, instancesPerBenchmark: 1000, shardSize: 25);
        var one = simulation.Run(1);
        output.WriteLine("STAND-IN silos (fixed tokens/s and memory per model, not real models); 4 models x 35 benchmarks x 1000 instances, 25 per shard");
        output.WriteLine("silos | makespan (s) | tokens/s | of linear | busy min/mean | model loads | coordinator us/instance");
        var efficiencyAt64 = 0.0;
        foreach (var count in new[] { 1, 2, 4, 8, 16, 32, 64 })
        {
            var result = count == 1 ? one : simulation.Run(count);
            Assert.Equal(5_600, result.Completions);
            var efficiency = one.MakespanSeconds / (result.MakespanSeconds * count);
            var perInstance = result.CoordinatorTicks * 1e6 / Stopwatch.Frequency / (4 * 35 * 1000);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{count,5} | {result.MakespanSeconds,12:F0} | {result.Tokens / result.MakespanSeconds,8:F0} | {efficiency,9:F3} | {result.BusyMin,4:F2}/{result.BusyMean,4:F2} | {result.ModelLoads,11} | {perInstance,8:F1}"));
            efficiencyAt64 = efficiency;
        }
        Assert.True(efficiencyAt64 >= 0.9, $"64 silos reach {efficiencyAt64:F3} of linear throughput");
    }
}
