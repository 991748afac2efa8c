using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Running;
using MedHelm.Evaluation.Tests.Support;
using Microsoft.Extensions.AI;

namespace MedHelm.Evaluation.Tests.Running;

public class EvaluationRunnerTests
{
    private static readonly IReadOnlyList<BenchmarkInstance> Instances = PubMedQaImporter.Import(TestData.PubMedQaFolder).Instances;

    private static EvaluationRequest Request(ScoringMode mode = ScoringMode.Helm, int? max = null) =>
        new("run-1", "fake-model", BuiltInBenchmarks.PubMedQa, Instances, mode, max);

    // Gold: A A A B C. Answers: "A" (right), "A." (right only when corrected), "B" (wrong), "B" (right), "(C)" (right only when corrected).
    private static ScriptedChatClient Scripted() => ScriptedChatClient.ByPrompt(
        ("anorectal endosonography", "A"),
        ("sublingual varices", "A."),
        ("tacrolimus", "B"),
        ("strategy training", "B"),
        ("c-kit", "(C)"));

    [Fact]
    public async Task Helm_mode_scores_strictly()
    {
        var results = await new EvaluationRunner().RunAsync(Request(), Scripted());

        Assert.Equal(Instances.Select(i => i.Id), results.Select(r => r.InstanceId));
        Assert.Equal([1, 0, 0, 1, 0], results.Select(r => r.Score));
        Assert.Equal(["A", "A.", "B", "B", "(C)"], results.Select(r => r.Prediction));
        Assert.Equal(["A", "A", "A", "B", "C"], results.Select(r => r.Gold));
        Assert.All(results, r =>
        {
            Assert.Equal("run-1", r.RunId);
            Assert.Equal("fake-model", r.Model);
            Assert.Equal("pubmed_qa", r.Benchmark);
            Assert.Equal("exact_match", r.Metric);
            Assert.Matches("^[0-9a-f]{64}$", r.PromptHash!);
        });
    }

    [Fact]
    public async Task Corrected_mode_accepts_punctuated_letters()
    {
        var results = await new EvaluationRunner().RunAsync(Request(ScoringMode.Corrected), Scripted());
        Assert.Equal([1, 1, 0, 1, 1], results.Select(r => r.Score));
    }

    [Fact]
    public async Task Sends_the_prompt_with_HELM_decoding_settings()
    {
        var client = ScriptedChatClient.Constant("A");
        await new EvaluationRunner().RunAsync(Request(max: 1), client);

        var (messages, options) = Assert.Single(client.Calls);
        var message = Assert.Single(messages);
        Assert.Equal(ChatRole.User, message.Role);
        Assert.StartsWith("Answer A for yes, B for no or C for maybe.\n\nContext: Aims. Dyschesia", message.Text, StringComparison.Ordinal);
        Assert.EndsWith("Question: Is anorectal endosonography valuable in dyschesia?\nA. yes\nB. no\nC. maybe\nAnswer:", message.Text, StringComparison.Ordinal);
        Assert.NotNull(options);
        Assert.Equal(1, options.MaxOutputTokens);
        Assert.Equal(0f, options.Temperature);
        Assert.Equal(["\n"], options.StopSequences!);
    }

    [Fact]
    public async Task Token_usage_is_read_and_summed_on_the_leaderboard()
    {
        var results = await new EvaluationRunner().RunAsync(Request(), ScriptedChatClient.Constant("A", input: 300, output: 1));

        Assert.All(results, r => Assert.Equal((300L, 1L), (r.PromptTokens!.Value, r.CompletionTokens!.Value)));
        var row = Assert.Single(MedHelm.Core.Results.Leaderboard.Aggregate(results));
        Assert.Equal(1500, row.PromptTokens);
        Assert.Equal(5, row.CompletionTokens);
        Assert.Equal(5, row.Instances);
        Assert.Equal(0.6, row.Score, 9);
        Assert.True(row.Seconds >= 0);
    }

    [Fact]
    public async Task Missing_usage_stays_unknown()
    {
        var results = await new EvaluationRunner().RunAsync(Request(max: 2), ScriptedChatClient.Constant("A", null, null));
        Assert.All(results, r => Assert.Null(r.PromptTokens));
    }

    [Fact]
    public async Task Max_instances_limits_the_run_and_progress_counts_up()
    {
        var reports = new List<EvaluationProgress>();
        var progress = new SynchronousProgress<EvaluationProgress>(reports.Add);
        var results = await new EvaluationRunner().RunAsync(Request(max: 3), ScriptedChatClient.Constant("A"), progress);

        Assert.Equal(3, results.Count);
        Assert.Equal([1, 2, 3], reports.Select(p => p.Completed));
        Assert.All(reports, p => Assert.Equal(3, p.Total));
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        using var cts = new CancellationTokenSource();
        var calls = 0;
        var client = new ScriptedChatClient(async (_, ct) =>
        {
            if (Interlocked.Increment(ref calls) == 2)
            {
                await cts.CancelAsync();
                await Task.Delay(TimeSpan.FromSeconds(30), ct);
            }

            return ScriptedChatClient.Response("A", 1, 1);
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new EvaluationRunner().RunAsync(Request(), client, null, cts.Token));
        Assert.True(calls <= 2, $"expected the run to stop early, saw {calls} calls");
    }

    [Fact]
    public async Task Already_cancelled_token_sends_nothing()
    {
        var client = ScriptedChatClient.Constant("A");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => new EvaluationRunner().RunAsync(Request(), client, null, new CancellationToken(canceled: true)));
        Assert.Empty(client.Calls);
    }

    [Fact]
    public async Task Concurrent_requests_keep_instance_order()
    {
        var client = new ScriptedChatClient(async (prompt, ct) =>
        {
            await Task.Delay(prompt.Contains("anorectal", StringComparison.Ordinal) ? 150 : 20, ct);
            return ScriptedChatClient.Response(prompt.Contains("c-kit", StringComparison.Ordinal) ? "C" : "A", 1, 1);
        });

        var runner = new EvaluationRunner(options: new EvaluationRunnerOptions { MaxConcurrency = 4 });
        var results = await runner.RunAsync(Request(), client);

        Assert.Equal(Instances.Select(i => i.Id), results.Select(r => r.InstanceId));
        Assert.Equal([1, 1, 1, 0, 1], results.Select(r => r.Score));
        Assert.True(client.PeakConcurrency > 1, "expected overlapping requests");
        Assert.True(client.PeakConcurrency <= 4);
    }

    [Fact]
    public async Task Default_runs_one_request_at_a_time()
    {
        var client = new ScriptedChatClient(async (_, ct) =>
        {
            await Task.Delay(10, ct);
            return ScriptedChatClient.Response("A", 1, 1);
        });
        await new EvaluationRunner().RunAsync(Request(), client);
        Assert.Equal(1, client.PeakConcurrency);
    }

    [Fact]
    public async Task Logs_never_contain_prompt_or_output_text()
    {
        const string output = "A. SECRET-MODEL-OUTPUT about the patient";
        var logger = new CollectingLogger();
        var failing = new ScriptedChatClient((prompt, _) => prompt.Contains("c-kit", StringComparison.Ordinal)
            ? throw new InvalidOperationException("server said: " + prompt)
            : Task.FromResult(ScriptedChatClient.Response(output, 1, 1)));

        await Assert.ThrowsAsync<InvalidOperationException>(() => new EvaluationRunner(logger).RunAsync(Request(), failing));
        var ok = await new EvaluationRunner(logger).RunAsync(Request(max: 4), ScriptedChatClient.Constant(output));
        Assert.Equal(4, ok.Count);

        var log = logger.AllText();
        Assert.NotEmpty(logger.Entries);
        Assert.Contains("12377809", log, StringComparison.Ordinal); // ids are fine
        Assert.DoesNotContain("SECRET-MODEL-OUTPUT", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Answer A for yes", log, StringComparison.Ordinal);
        foreach (var instance in Instances)
        {
            Assert.DoesNotContain(instance.Question, log, StringComparison.Ordinal);
            foreach (var paragraph in instance.Fields[BuiltInBenchmarks.ContextField].Split('\n'))
            {
                Assert.DoesNotContain(paragraph[..Math.Min(40, paragraph.Length)], log, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Client_failure_propagates()
    {
        var client = new ScriptedChatClient((_, _) => throw new HttpRequestException("down"));
        await Assert.ThrowsAsync<HttpRequestException>(() => new EvaluationRunner().RunAsync(Request(), client));
    }

    [Fact]
    public async Task Rejects_non_letter_benchmarks_and_bad_options()
    {
        var freeText = Request() with { Benchmark = BuiltInBenchmarks.PubMedQa with { AnswerKind = AnswerKind.FreeText } };
        await Assert.ThrowsAsync<NotSupportedException>(() => new EvaluationRunner().RunAsync(freeText, ScriptedChatClient.Constant("A")));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationRunner(options: new EvaluationRunnerOptions { MaxConcurrency = 0 }));
    }

    [Fact]
    public async Task Embedded_sample_runs_end_to_end()
    {
        var sample = BundledSamples.OpenPubMedQa();
        var request = new EvaluationRequest("demo", "always-yes", BuiltInBenchmarks.PubMedQa, sample.Instances);
        var results = await new EvaluationRunner().RunAsync(request, ScriptedChatClient.Constant("A"));
        Assert.Equal(20, results.Count);
        Assert.Equal(sample.Instances.Count(i => i.Gold == "A"), results.Sum(r => r.Score));
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        private readonly Lock _lock = new();

        public void Report(T value)
        {
            lock (_lock)
            {
                report(value);
            }
        }
    }
}
