using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Application.Runs;
using MedHelm.Application.Tests.Support;
using MedHelm.Evaluation.Jury;
using MedHelm.Evaluation.Results;
using MedHelm.Inference.Llama.Generation;

namespace MedHelm.Application.Tests.Runs;

/// <summary>
/// The run pipeline in-process: the real planner, ledger, jury step and SQLite file, with scripted models in place of
/// the engine. Each "process" is a fresh orchestrator over a fresh connection.
/// </summary>
public sealed class RunOrchestratorTests
{
    private const string Closed = "pubmed_qa";
    private const string Open = "medication_qa";

    private static RunRequest Request(string model, string benchmarks, string runId, string jury = "none", int? max = 4) =>
        new(benchmarks.Split(','), null, [model], [jury], max, runId, Samples: true);

    [Fact]
    public async Task A_run_stores_every_result_and_an_identical_run_reuses_them_all()
    {
        await using var harness = new RunHarness();
        var model = harness.Model("tiny");
        harness.Loader.With("tiny", Scripted.Chat((_, _) => "A"));

        var first = await harness.RunAsync(Request(model, Closed, "first"));
        Assert.Equal(4, first.Computed);
        Assert.Equal(0, first.Reused);
        Assert.Empty(first.Skipped);
        Assert.Contains(harness.Observer.Notices, n => n.StartsWith("run first: 1 model(s) × 1 benchmark(s)", StringComparison.Ordinal));

        var second = await harness.RunAsync(Request(model, Closed, "second"));
        Assert.Equal(0, second.Computed);
        Assert.Equal(4, second.Reused);

        await using var database = await harness.OpenDatabaseAsync();
        var run = await database.GetRunAsync("first");
        Assert.Equal(RunStatus.Completed, run!.Status);
        var manifest = RunManifestJson.Parse("first", run.ConfigurationJson)!;
        Assert.Equal(RunManifest.CurrentVersion, manifest.ManifestVersion);
        Assert.Equal(0, manifest.ChatTemplateTime!.Value.Offset.Ticks);
        Assert.Equal(0, manifest.ChatTemplateTime.Value.Millisecond); // fixed at start, to the second
        Assert.Equal("bundled", Assert.Single(manifest.Benchmarks).Data);
        Assert.Equal(0, harness.Loader.Open); // every lease was given back
        Assert.Equal(4, Assert.Single(await database.GetLeaderboardAsync("first")).Instances);
    }

    [Fact]
    public async Task A_drain_finishes_the_call_in_flight_stores_it_and_leaves_the_run_resumable()
    {
        await using var harness = new RunHarness();
        var model = harness.Model("tiny");
        using var drain = new CancellationTokenSource();
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var client = new ScriptedChatClient(async (_, token) =>
        {
            if (Interlocked.Increment(ref calls) == 2)
            {
                second.SetResult();
                await release.Task.WaitAsync(token);
            }

            return ScriptedChatClient.Response("B", 10, 1);
        });
        harness.Loader.With("tiny", client);

        var run = harness.RunAsync(Request(model, Closed, "drained", max: 5), CancellationToken.None, drain.Token);
        await second.Task.WaitAsync(TestTimeouts.Scale(TimeSpan.FromSeconds(30)));
        await drain.CancelAsync(); // the host stops while the second call is in flight (this model serves one at a time)
        release.SetResult();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(2, Volatile.Read(ref calls)); // the call in flight finished; no other started

        await using (var database = await harness.OpenDatabaseAsync())
        {
            Assert.Equal(RunStatus.Cancelled, (await database.GetRunAsync("drained"))!.Status);
            Assert.Equal(2, Assert.Single(await database.GetLeaderboardAsync("drained")).Instances); // both answers are stored
        }

        var again = Scripted.Chat((_, _) => "B");
        harness.Loader.With("tiny", again);
        var resumed = await harness.RunAsync(new RunRequest([], null, [], [], RunId: "drained", Resume: true));
        Assert.Equal((2, 3), (resumed.Reused, resumed.Computed));
    }

    [Fact]
    public async Task A_crash_keeps_what_was_committed_and_the_resume_computes_only_the_rest()
    {
        await using var harness = new RunHarness();
        var model = harness.Model("tiny");
        harness.Loader.With("tiny", Scripted.Chat((_, call) => call == 4 ? throw new InvalidOperationException("engine died") : "B"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => harness.RunAsync(Request(model, Closed, "crashed", max: 6)));
        await using (var database = await harness.OpenDatabaseAsync())
        {
            Assert.Equal(RunStatus.Failed, (await database.GetRunAsync("crashed"))!.Status);
            Assert.Contains(await database.GetAuditAsync("crashed"), e => e.Event == "run_failed");
        }

        Assert.Contains(harness.Observer.Notices, n => n.Contains("medhelm run --run-id crashed --resume", StringComparison.Ordinal));

        var again = Scripted.Chat((_, _) => "B");
        harness.Loader.With("tiny", again);
        var resumed = await harness.RunAsync(new RunRequest([], null, [], [], RunId: "crashed", Resume: true));
        Assert.Equal(3, resumed.Reused);
        Assert.Equal(3, resumed.Computed);
        Assert.Equal(3, again.Calls.Count);
        await using (var database = await harness.OpenDatabaseAsync())
        {
            Assert.Equal(RunStatus.Completed, (await database.GetRunAsync("crashed"))!.Status);
            var audit = await database.GetAuditAsync("crashed");
            Assert.Equal(["run_started", "run_failed", "run_resumed", "run_completed"], audit.Select(e => e.Event).Where(e => e != UsageAudit.BenchmarkEvaluated));

            // the failed attempt measured nothing; the resume measured its one benchmark (counts and seconds, no text)
            var measured = Assert.Single(UsageAudit.Read(audit));
            Assert.Equal((SegmentKind.Evaluation, "tiny", Closed, 3, 3, true), (measured.Kind, measured.Model, measured.Benchmark, measured.Computed, measured.Reused, measured.Local));
            Assert.True(measured.WallSeconds > 0);
        }
    }

    [Fact]
    public async Task A_resume_with_other_settings_is_a_conflict_and_an_unknown_run_is_not_found()
    {
        await using var harness = new RunHarness();
        var model = harness.Model("tiny");
        harness.Loader.With("tiny", Scripted.Chat((_, _) => "A"));
        await harness.RunAsync(Request(model, Closed, "done", max: 2));

        var conflict = await Assert.ThrowsAsync<ConflictException>(() => harness.RunAsync(new RunRequest([], null, [], [], MaxInstances: 3, RunId: "done", Resume: true)));
        Assert.Contains("--max-instances (stored: 2)", conflict.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ConflictException>(() => harness.RunAsync(Request(model, Closed, "done")));
        await Assert.ThrowsAsync<NotFoundException>(() => harness.RunAsync(new RunRequest([], null, [], [], RunId: "nope", Resume: true)));
    }

    [Fact]
    public async Task Instances_the_model_refuses_are_reported_and_the_run_goes_on()
    {
        await using var harness = new RunHarness();
        var model = harness.Model("tiny");
        harness.Loader.With("tiny", Scripted.Chat((_, call) => call == 2 ? throw new PromptTooLongException(5000, 100, 4096) : "A"));

        var outcome = await harness.RunAsync(Request(model, Closed, "refusing"));
        var refused = Assert.Single(outcome.Refused);
        Assert.Equal((Closed, 1), (refused.Benchmark, refused.Instances.Count));
        Assert.Equal(3, outcome.Computed);
        await using var database = await harness.OpenDatabaseAsync();
        Assert.Equal(RunStatus.Completed, (await database.GetRunAsync("refusing"))!.Status);
        Assert.Contains(await database.GetAuditAsync("refusing"), e => e.Event == "instances_refused");
    }

    [Fact]
    public async Task A_judge_without_a_verdict_is_stored_as_a_failure_and_the_run_completes()
    {
        await using var harness = new RunHarness();
        var model = harness.Model("tiny");
        var judge = harness.Model("judge", seed: 2);
        harness.Loader.With("tiny", Scripted.Chat((_, _) => "Take it with food."));
        harness.Loader.With("judge", Scripted.Chat((_, _) => "I cannot rate this."));

        var outcome = await harness.RunAsync(Request(model, Open, "juried", jury: judge, max: 3));
        Assert.Equal(["judge"], outcome.Judges);
        Assert.Equal([Open], outcome.JuriedBenchmarks);
        await using var database = await harness.OpenDatabaseAsync();
        var ratings = await database.GetJuryRatingsAsync("juried");
        Assert.Equal(3, ratings.Count);
        Assert.All(ratings, r => Assert.Equal(StoredJuryRating.FailureCriterion, r.Criterion));
        Assert.Contains(await database.GetAuditAsync("juried"), e => e.Event == "jury_scored");
        var row = Assert.Single(await database.GetLeaderboardAsync("juried"));
        Assert.Equal(0, row.Score); // no verdict: the floor
        Assert.Contains(harness.Observer.Notices, n => n == $"jury: judge × {Open}: 0 verdict(s) (0 after a retry), 3 failure(s)");

        // a resume asks no judge again: every output already has this judge's outcome
        var calls = harness.Loader.Leases.Count;
        await harness.RunAsync(new RunRequest([], null, [], [], RunId: "juried", Resume: true));
        Assert.Equal(calls + 1, harness.Loader.Leases.Count); // the evaluated model only
        Assert.Contains(harness.Observer.Notices, n => n == "jury: judge: nothing to rate (ratings of this run reused)");
    }

    [Fact]
    public async Task A_hosted_model_that_may_not_see_gated_data_is_refused_before_anything_is_written()
    {
        var endpoints = new EndpointsOptions
        {
            Enabled = true,
            Items = { ["cloud"] = new EndpointOptions { BaseUrl = "https://llm.example.invalid/v1", Model = "m", AllowPatientData = false } },
        };
        await using var harness = new RunHarness(endpoints);
        harness.Loader.With("cloud", Scripted.Chat((_, _) => throw new InvalidOperationException("must not be called")));

        var refused = await Assert.ThrowsAsync<PolicyViolationException>(() => harness.RunAsync(Request("cloud", "n2c2_ct_matching", "hosted")));
        Assert.Contains("AllowPatientData", refused.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Loader.Leases);
        await using var database = await harness.OpenDatabaseAsync();
        Assert.Empty(await database.ListRunsAsync());

        endpoints.Enabled = false;
        await Assert.ThrowsAsync<PolicyViolationException>(() => harness.RunAsync(Request("cloud", Closed, "off")));
    }

    [Fact]
    public async Task A_benchmark_never_imported_is_refused_with_the_import_command_unless_samples_are_asked_for()
    {
        await using var harness = new RunHarness();
        var model = harness.Model("tiny");
        harness.Loader.With("tiny", Scripted.Chat((_, _) => "A"));

        var refused = await Assert.ThrowsAsync<RequestValidationException>(() =>
            harness.RunAsync(new RunRequest([Closed], null, [model], ["none"], 2, "strict")));
        Assert.Contains($"medhelm datasets import --benchmark {Closed}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--samples", refused.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Loader.Leases);

        var outcome = await harness.RunAsync(new RunRequest([Closed], null, [model], ["none"], 2, "sampled", Samples: true));
        Assert.Equal(2, outcome.Computed);
        Assert.Contains(harness.Observer.Notices, n => n.StartsWith($"note: {Closed} runs on its bundled sample (a public excerpt, --samples)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invalid_requests_name_the_option()
    {
        await using var harness = new RunHarness();
        var model = harness.Model("tiny");
        var noModels = await Assert.ThrowsAsync<RequestValidationException>(() => harness.RunAsync(new RunRequest([Closed], null, [], [])));
        Assert.Contains("--models", noModels.Message, StringComparison.Ordinal);
        var both = await Assert.ThrowsAsync<RequestValidationException>(() => harness.RunAsync(new RunRequest([Closed], RunSuites.Demo, [model], [])));
        Assert.Contains("--suite", both.Message, StringComparison.Ordinal);
        var zero = await Assert.ThrowsAsync<RequestValidationException>(() => harness.RunAsync(new RunRequest([Closed], null, [model], [], MaxInstances: 0)));
        Assert.Contains("--max-instances", zero.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NotFoundException>(() => harness.RunAsync(new RunRequest(["no_such_benchmark"], null, [model], [], Samples: true)));
        await Assert.ThrowsAsync<NotFoundException>(() => harness.RunAsync(new RunRequest([Closed], null, ["/nowhere/model.gguf"], [], Samples: true)));
    }
}
