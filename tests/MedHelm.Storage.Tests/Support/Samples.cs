using MedHelm.Core.Results;
using MedHelm.Evaluation.Results;

namespace MedHelm.Storage.Tests.Support;

public static class Samples
{
    public static RunRecord Run(string runId = "run-1", RunStatus status = RunStatus.Completed, DateTimeOffset? started = null) => new(
        runId,
        started ?? new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero),
        status == RunStatus.Running ? null : new DateTimeOffset(2025, 6, 1, 12, 5, 30, 250, TimeSpan.Zero),
        """{"models":["m1"],"benchmarks":["pubmed_qa"]}""",
        "0.1.0",
        "b6000",
        "test-host, 16 cores",
        status);

    public static InstanceResult Result(string runId, string model, string instanceId, double score, long? pt = 100, long? ct = 1, double ms = 250, string benchmark = "pubmed_qa") =>
        new(runId, model, benchmark, instanceId, score > 0 ? "A" : "B", "A", score, pt, ct, TimeSpan.FromMilliseconds(ms), "exact_match", new string('a', 64));
}
