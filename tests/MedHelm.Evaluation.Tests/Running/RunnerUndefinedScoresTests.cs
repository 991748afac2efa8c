using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Running;
using MedHelm.Evaluation.Tests.Support;

namespace MedHelm.Evaluation.Tests.Running;

/// <summary>
/// An input on which HELM's own code raises (billing codes: no code in the gold nor in the answer) is undefined in
/// helm mode: no score, left out of the aggregate, stored as a null main score; corrected mode scores it 0.
/// </summary>
public sealed class RunnerUndefinedScoresTests
{
    private static readonly BenchmarkDefinition Billing = BuiltInBenchmarks.Find("mimiciv_billing_code")!;

    private static BenchmarkInstance Instance(string id, string gold) =>
        new(id, new Dictionary<string, string> { [Billing.InputFields[0].Key] = $"<<{id}>> text" }, $"Question {id}?", [], gold, "test");

    private static readonly (BenchmarkInstance Instance, string Answer)[] Items =
    [
        (Instance("d1", "E11.65, I10"), "E11.65, I10"),
        (Instance("u1", "none"), "no code applies"),
        (Instance("d2", "J189"), "I10"),
    ];

    private static Task<EvaluationOutcome> RunAsync(ScoringMode mode, InMemoryLedger ledger) =>
        new EvaluationRunner().ExecuteAsync(
            new EvaluationRequest("run-" + mode, "fake-model", Billing, Items.Select(i => i.Instance).ToArray(), mode)
            {
                Ledger = new LedgerContext(ledger, "sha256:model", new string('d', 64)),
                StoreSecondaryMetrics = true,
            },
            ScriptedChatClient.ByPrompt(Items.Select(i => ($"<<{i.Instance.Id}>>", i.Answer)).ToArray()));

    [Fact]
    public async Task Helm_mode_leaves_the_instance_undefined_and_out_of_the_mean()
    {
        var ledger = new InMemoryLedger();
        var outcome = await RunAsync(ScoringMode.Helm, ledger);

        Assert.Equal([1.0, null, 0.0], outcome.Results.Select(r => r.Score));
        Assert.Empty(outcome.InstanceMetrics[1]);
        Assert.Equal(0.5, outcome.Aggregate[BillingCodeF1.F1Name], 12); // (1 + 0) / 2, not / 3
        var failure = Assert.Single(outcome.ScoringFailures);
        Assert.Equal("u1", failure.InstanceId);
        Assert.StartsWith("undefined, the reference fails here", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("ValueError", failure.Reason, StringComparison.Ordinal);

        // stored: a null main score and no secondary statistic for the undefined instance
        var undefined = Assert.Single(ledger.Entries, e => e.Request.InstanceId == "u1");
        var main = Assert.Single(undefined.Scores);
        Assert.Equal((BillingCodeF1.F1Name, (double?)null, true), (main.Metric, main.Value, main.IsMain));
        Assert.All(ledger.Entries.Where(e => e.Request.InstanceId != "u1"), e => Assert.Equal(3, e.Scores.Count));
    }

    [Fact]
    public async Task Corrected_mode_keeps_its_defined_value()
    {
        var outcome = await RunAsync(ScoringMode.Corrected, new InMemoryLedger());

        Assert.Equal([1.0, 0.0, 0.0], outcome.Results.Select(r => r.Score));
        Assert.Empty(outcome.ScoringFailures);
        Assert.Equal(1.0 / 3, outcome.Aggregate[BillingCodeF1.F1Name], 12);
    }
}
