using MedHelm.Cluster.Hosting;
using MedHelm.Evaluation.Running;
using MedHelm.Testing;

namespace MedHelm.Cluster.Tests;

public sealed class ShardWorkloadTests
{
    [Fact]
    public void Tokens_per_second_average_the_growth_of_each_shard_over_the_last_minute()
    {
        var clock = new ManualClock();
        var workload = new ShardWorkload(clock);
        Assert.Equal(0, workload.TokensPerSecond());

        var first = workload.TokenCounter();
        var second = workload.TokenCounter();
        first.Report(Progress(1_200));
        second.Report(Progress(600));
        first.Report(Progress(3_000)); // a running total: 1,800 more
        first.Report(Progress(2_000)); // late, out of order: counts nothing
        Assert.Equal((3_000 + 600) / 60.0, workload.TokensPerSecond());

        clock.Advance(TimeSpan.FromSeconds(40));
        second.Report(Progress(1_200));
        Assert.Equal((3_600 + 600) / 60.0, workload.TokensPerSecond());

        clock.Advance(TimeSpan.FromSeconds(30)); // the first reports are now over a minute old
        Assert.Equal(600 / 60.0, workload.TokensPerSecond());
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, workload.TokensPerSecond());
    }

    private static EvaluationProgress Progress(long tokens) => new("r", "m", "b", 1, 10) { Tokens = tokens };
}
