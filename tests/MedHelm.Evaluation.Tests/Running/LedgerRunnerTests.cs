using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Ledger;
using MedHelm.Evaluation.Running;
using MedHelm.Evaluation.Tests.Support;

namespace MedHelm.Evaluation.Tests.Running;

public class LedgerRunnerTests
{
    private static readonly IReadOnlyList<BenchmarkInstance> Instances = PubMedQaImporter.Import(TestData.PubMedQaFolder).Instances;

    private static EvaluationRequest Request(InMemoryLedger ledger, string runId = "run-1", string model = "sha-1", ScoringMode mode = ScoringMode.Corrected) =>
        new(runId, "fake-model", BuiltInBenchmarks.PubMedQa, Instances, mode)
        {
            Ledger = new LedgerContext(ledger, "sha256:" + model, new string('d', 64)),
        };

    [Fact]
    public async Task The_chat_template_time_goes_with_every_request_and_a_new_renderer_key_part_computes_again()
    {
        var ledger = new InMemoryLedger();
        var time = new DateTimeOffset(2026, 3, 7, 10, 0, 0, TimeSpan.Zero);
        var client = ScriptedChatClient.Constant("A");
        await new EvaluationRunner().ExecuteAsync(Request(ledger) with { ChatTemplateTime = time }, client);
        Assert.All(client.Calls, c => Assert.Equal(time, c.Options!.AdditionalProperties![Core.Inference.ChatRequestProperties.ChatTemplateTime]));

        var rendered = Request(ledger, "run-2") with
        {
            Ledger = new LedgerContext(ledger, "sha256:sha-1", new string('d', 64), new Dictionary<string, string> { ["chat_template_renderer"] = "medhelm-jinja-1" }),
        };
        var second = await new EvaluationRunner().ExecuteAsync(rendered, ScriptedChatClient.Constant("A"));
        Assert.Equal((5, 0), (second.Computed, second.Reused)); // results of the old rendering are not reused
    }

    [Fact]
    public async Task Stored_completions_are_reused_and_only_the_rest_computed()
    {
        var ledger = new InMemoryLedger();
        var first = await new EvaluationRunner().ExecuteAsync(Request(ledger), ScriptedChatClient.Constant("A"));
        Assert.Equal((5, 0), (first.Computed, first.Reused));
        Assert.Equal(5, ledger.Completions.Count);
        Assert.All(ledger.Entries, e => Assert.Equal(CompletionOrigin.Computed, e.Origin));

        // same settings, new run: nothing computed
        var client = ScriptedChatClient.Constant("B");
        var second = await new EvaluationRunner().ExecuteAsync(Request(ledger, "run-2"), client);
        Assert.Equal((0, 5), (second.Computed, second.Reused));
        Assert.Empty(client.Calls);
        Assert.Equal(first.Results.Select(r => (r.InstanceId, r.Prediction, r.Score)), second.Results.Select(r => (r.InstanceId, r.Prediction, r.Score)));
        Assert.All(second.Results, r => Assert.Equal("run-2", r.RunId));

        // another model file: everything computed again
        var third = await new EvaluationRunner().ExecuteAsync(Request(ledger, "run-3", model: "sha-2"), ScriptedChatClient.Constant("B"));
        Assert.Equal((5, 0), (third.Computed, third.Reused));
        Assert.Equal(10, ledger.Completions.Count);
    }

    [Fact]
    public async Task A_partial_ledger_computes_only_the_missing_instances()
    {
        var ledger = new InMemoryLedger();
        var partial = Request(ledger) with { MaxInstances = 2 };
        await new EvaluationRunner().ExecuteAsync(partial, ScriptedChatClient.Constant("A"));

        var client = ScriptedChatClient.Constant("A");
        var progress = new List<EvaluationProgress>();
        var outcome = await new EvaluationRunner().ExecuteAsync(Request(ledger), client, new SynchronousProgress<EvaluationProgress>(progress.Add));
        Assert.Equal((3, 2), (outcome.Computed, outcome.Reused));
        Assert.Equal(3, client.Calls.Count);
        Assert.Equal(Instances.Select(i => i.Id), outcome.Results.Select(r => r.InstanceId));
        Assert.Equal(5, progress[^1].Completed);
        Assert.Equal(2, progress[^1].Reused);
        Assert.True(progress[^1].Tokens > 0);
    }

    [Fact]
    public async Task Scores_follow_the_scoring_mode_of_the_run_not_of_the_stored_completion()
    {
        var ledger = new InMemoryLedger();
        var helm = await new EvaluationRunner().ExecuteAsync(Request(ledger, mode: ScoringMode.Helm), ScriptedChatClient.Constant("(A)"));
        var corrected = await new EvaluationRunner().ExecuteAsync(Request(ledger, "run-2", mode: ScoringMode.Corrected), ScriptedChatClient.Constant("x"));
        Assert.Equal(5, corrected.Reused);
        Assert.All(helm.Results, r => Assert.Equal(0, r.Score));
        Assert.Equal([1, 1, 1, 0, 0], corrected.Results.Select(r => r.Score));
    }

    [Fact]
    public async Task Results_finished_before_a_cancellation_are_committed()
    {
        var ledger = new InMemoryLedger();
        using var cts = new CancellationTokenSource();
        var calls = 0;
        var client = new ScriptedChatClient(async (_, token) =>
        {
            if (Interlocked.Increment(ref calls) == 3)
            {
                await cts.CancelAsync();
                await Task.Delay(Timeout.Infinite, token);
            }

            return ScriptedChatClient.Response("A", 10, 1);
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new EvaluationRunner().ExecuteAsync(Request(ledger), client, null, cts.Token));
        Assert.Equal(2, ledger.Completions.Count);
        Assert.True(ledger.Flushed > 0);

        var resumed = await new EvaluationRunner().ExecuteAsync(Request(ledger), ScriptedChatClient.Constant("A"));
        Assert.Equal((3, 2), (resumed.Computed, resumed.Reused));
        Assert.Equal(5, ledger.Completions.Count);
    }

    [Fact]
    public async Task A_drain_lets_the_calls_in_flight_finish_and_commits_them_but_starts_no_more()
    {
        var ledger = new InMemoryLedger();
        using var drain = new CancellationTokenSource();
        var started = 0;
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tokensCancelled = 0;
        var client = new ScriptedChatClient(async (_, token) =>
        {
            if (Interlocked.Increment(ref started) == 2)
            {
                bothStarted.SetResult();
            }

            await release.Task;
            if (token.IsCancellationRequested)
            {
                Interlocked.Increment(ref tokensCancelled);
            }

            return ScriptedChatClient.Response("A", 10, 1);
        });

        var run = new EvaluationRunner(options: new EvaluationRunnerOptions { MaxConcurrency = 2 })
            .ExecuteAsync(Request(ledger) with { Drain = drain.Token }, client, null, CancellationToken.None);
        await bothStarted.Task.WaitAsync(TestTimeouts.Scale(TimeSpan.FromSeconds(30)));
        await drain.CancelAsync(); // the service stops while two calls are in flight
        release.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(2, Volatile.Read(ref started)); // nothing started after the drain
        Assert.Equal(0, tokensCancelled); // the calls in flight were not cancelled
        Assert.Equal(2, ledger.Completions.Count); // and their results are committed

        var resumed = await new EvaluationRunner().ExecuteAsync(Request(ledger), ScriptedChatClient.Constant("A"));
        Assert.Equal((3, 2), (resumed.Computed, resumed.Reused));
    }

    [Fact]
    public void Unsupported_benchmarks_have_a_reason()
    {
        Assert.Null(EvaluationRunner.UnsupportedReason(BuiltInBenchmarks.PubMedQa));
        Assert.Null(EvaluationRunner.UnsupportedReason(BuiltInBenchmarks.Find("medhallu")!));
        Assert.Contains("jury", EvaluationRunner.UnsupportedReason(BuiltInBenchmarks.Find("aci_bench")!), StringComparison.Ordinal);
        Assert.Null(EvaluationRunner.UnsupportedReason(BuiltInBenchmarks.Find("medec")!));
        Assert.Null(EvaluationRunner.UnsupportedReason(BuiltInBenchmarks.Find("medcalc_bench")!));
        Assert.NotNull(EvaluationRunner.UnsupportedReason(BuiltInBenchmarks.Find("medcalc_bench")! with { MainMetric = "tolerance_match" }));
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        private readonly Lock _gate = new();

        public void Report(T value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
