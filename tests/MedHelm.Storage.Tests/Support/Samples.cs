using MedHelm.Evaluation.Ledger;
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

    /// <summary>
    /// A computed ledger entry scored with exact_match: output "A" (correct) when <paramref name="score"/> &gt; 0, else "B".
    /// Its key is made of the run, model, benchmark and instance, so each run computes its own completions.
    /// </summary>
    public static LedgerEntry Result(
        string runId, string model, string instanceId, double score, long? pt = 100, long? ct = 1, double ms = 250, string benchmark = "pubmed_qa") => new(
        runId,
        new LedgerRequest(
            string.Join('/', "key", runId, model, benchmark, instanceId), model, "sha256:" + new string('c', 64), benchmark, new string('d', 64),
            instanceId, new string('t', 64), new string('a', 64), "temperature:0\n", 0, 0, "A"),
        new LedgerCompletion(score > 0 ? "A" : "B", null, "EndOfGeneration", pt, ct, null, null, null, null, null, null, ms),
        CompletionOrigin.Computed,
        [new MetricScore("exact_match", score)]);

    /// <summary>Saves <paramref name="run"/> and writes <paramref name="results"/> through a ledger of the store, as a run does.</summary>
    public static async Task WriteRunAsync(MedHelm.Application.Ports.IResultsDatabase store, RunRecord run, params LedgerEntry[] results)
    {
        await store.SaveRunAsync(run);
        await using var ledger = store.OpenLedger();
        foreach (var result in results)
        {
            await ledger.RecordAsync(result);
        }

        await ledger.FlushAsync();
    }
}
