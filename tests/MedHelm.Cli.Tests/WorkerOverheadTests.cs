using MedHelm.Cli.Commands;
using MedHelm.Inference.Worker;

namespace MedHelm.Cli.Tests;

/// <summary>How <c>bench --worker</c> turns its rounds into overhead figures.</summary>
public sealed class WorkerOverheadTests
{
    private static ChatThroughput Round(double seconds) => new(64, 16, seconds, 64 * 140, 64 * 32);

    [Fact]
    public void Each_round_is_compared_with_its_own_partner_and_the_median_ignores_one_disturbed_round()
    {
        // in process 32, 32, 40 s; worker 33, 33, 20 s (the third in-process round met a build on the machine)
        var overhead = new WorkerOverhead([Round(32), Round(32), Round(40)], [Round(33), Round(33), Round(20)]);

        Assert.Equal(3, overhead.RoundOverheadPercents.Count);
        Assert.Equal(100 * (1 - (32.0 / 33)), overhead.RoundOverheadPercents[0], 6);
        Assert.Equal(100 * (1 - (32.0 / 33)), overhead.RoundOverheadPercents[1], 6);
        Assert.Equal(-100, overhead.RoundOverheadPercents[2], 6);
        Assert.Equal(100 * (1 - (32.0 / 33)), overhead.MedianOverheadPercent, 6);
        Assert.Equal(-60, overhead.BestOverheadPercent, 6); // best against best: 32 s against 20 s
        Assert.Equal(32, overhead.BestInProcess.Seconds);
        Assert.Equal(20, overhead.BestWorker.Seconds);
    }

    [Fact]
    public void An_even_number_of_rounds_takes_the_mean_of_the_middle_two()
    {
        var overhead = new WorkerOverhead([Round(10), Round(10), Round(10), Round(10)], [Round(10), Round(11), Round(12), Round(20)]);

        // overheads 0, 9.09, 16.67, 50 percent: the median is the mean of 9.09 and 16.67
        Assert.Equal(((100 * (1 - (10.0 / 11))) + (100 * (1 - (10.0 / 12)))) / 2, overhead.MedianOverheadPercent, 6);
    }
}
