using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Gguf;
using MedHelm.Gguf.TestModels;
using MedHelm.Service.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace MedHelm.Service.Tests;

public sealed class RunsApiTests
{
    private static object Body(string model, string runId, int instances = 3) =>
        new { models = new[] { model }, benchmarks = new[] { "medbullets" }, maxInstances = instances, samples = true, jury = new[] { "none" }, runId };

    [Fact]
    public async Task A_queued_run_executes_with_live_progress_and_its_results_and_leaderboard_are_served()
    {
        await using var service = new TestService();
        var operatorClient = await service.ClientAsync(AccessRole.Operator);
        var created = await operatorClient.PostAsJsonAsync("/api/v1/runs", Body(service.Model(), "r1"));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        Assert.Equal("/api/v1/runs/r1", created.Headers.Location?.OriginalString);

        var viewer = await service.ClientAsync(AccessRole.Viewer);
        var run = await TestService.WaitForAsync(viewer, "r1", "completed", "failed");
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(3, run.GetProperty("results").GetInt32());
        Assert.Equal(3, run.GetProperty("computed").GetInt32());
        var bar = run.GetProperty("progress").GetProperty("bars")[0];
        Assert.Equal("tiny × medbullets", bar.GetProperty("label").GetString());
        Assert.Equal(3, bar.GetProperty("completed").GetInt32());
        Assert.Equal(3, bar.GetProperty("total").GetInt32());

        var results = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/runs/r1/results");
        Assert.Equal(3, results.GetArrayLength());
        Assert.All(results.EnumerateArray(), r => Assert.Equal(JsonValueKind.Null, r.GetProperty("output").ValueKind));

        var board = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/leaderboard?runId=r1");
        Assert.Equal(1, board.GetArrayLength());
        var listed = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/runs");
        Assert.Contains(listed.EnumerateArray(), r => r.GetProperty("runId").GetString() == "r1");
        var report = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/runs/r1/report");
        Assert.Equal("r1", report.GetProperty("run").GetProperty("run_id").GetString());
    }

    [Fact]
    public async Task A_running_run_is_cancelled_and_resumes_computing_only_what_was_not_stored()
    {
        var loader = new ScriptedLoader();
        var gate = new TaskCompletionSource();
        loader.Answer = async (_, call, ct) =>
        {
            if (call > 2)
            {
                await gate.Task.WaitAsync(ct); // the third instance waits until the run is cancelled
            }

            return "A";
        };
        await using var service = new TestService(loader);
        var client = await service.ClientAsync(AccessRole.Operator);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/v1/runs", Body(service.Model(), "r2", 5))).StatusCode);
        await WaitUntilAsync(() => loader.Calls >= 3);

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/v1/runs/r2/cancel", null)).StatusCode);
        var cancelled = await TestService.WaitForAsync(client, "r2", "cancelled");
        Assert.Equal(2, cancelled.GetProperty("results").GetInt32());
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync("/api/v1/runs/r2/cancel", null)).StatusCode);

        gate.SetResult();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/v1/runs/r2/resume", null)).StatusCode);
        var done = await TestService.WaitForAsync(client, "r2", "completed", "failed");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(5, done.GetProperty("results").GetInt32());
        Assert.Equal(6, loader.Calls); // 2 stored, 1 cancelled in flight, then the 3 not stored

        var events = (await service.Database.GetAuditAsync("r2")).Select(e => e.Event).ToArray();
        Assert.Contains("run_cancel_requested", events);
        Assert.Contains("run_cancelled", events);
        Assert.Contains("run_resumed", events);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync("/api/v1/runs/r2/resume", null)).StatusCode);
    }

    /// <summary>
    /// Two servers over one PostgreSQL database (a cluster's shared store; the queue is shared, so either worker may
    /// claim the run): the run is cancelled through the server that does not execute it, which marks it cancelled in
    /// the queue; the executing server reads the mark and stops it as if cancelled there; the run resumes through the
    /// other server and completes with every instance once.
    /// </summary>
    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_run_executing_on_one_server_is_cancelled_and_resumed_through_another_server_sharing_the_store()
    {
        var postgres = await PostgresTestServer.Shared;
        (string, string)[] settings = [("Storage:Provider", "postgres"), ("Storage:ConnectionString", postgres.ConnectionString(await postgres.CreateDatabaseAsync("cancel-elsewhere")))];
        using var home = new TempFolder("medhelm-service-"); // the same model folder on both, as a cluster's servers have
        var gate = new TaskCompletionSource();
        ScriptedLoader Gated()
        {
            var loader = new ScriptedLoader();
            loader.Answer = async (_, call, ct) =>
            {
                if (call > 2)
                {
                    await gate.Task.WaitAsync(ct); // the third instance waits until the run is cancelled
                }

                return "A";
            };
            return loader;
        }

        await using var first = new TestService(Gated(), home, settings);
        await using var second = new TestService(Gated(), home, settings);
        var firstClient = await first.ClientAsync(AccessRole.Operator);
        Assert.Equal(HttpStatusCode.Accepted, (await firstClient.PostAsJsonAsync("/api/v1/runs", Body(first.Model(), "elsewhere", 5))).StatusCode);
        await WaitUntilAsync(() => first.Loader.Calls >= 3 || second.Loader.Calls >= 3);
        var (owner, other) = first.Loader.Calls >= 3 ? (first, second) : (second, first);
        Assert.True(owner.Services.GetRequiredService<RunQueueService>().IsExecuting("elsewhere"));
        Assert.False(other.Services.GetRequiredService<RunQueueService>().IsExecuting("elsewhere"));

        var otherClient = await other.ClientAsync(AccessRole.Operator);
        Assert.Equal(HttpStatusCode.Accepted, (await otherClient.PostAsync("/api/v1/runs/elsewhere/cancel", null)).StatusCode);
        var cancelled = await TestService.WaitForAsync(otherClient, "elsewhere", "cancelled");
        Assert.Equal(2, cancelled.GetProperty("results").GetInt32());
        await WaitUntilAsync(() => !owner.Services.GetRequiredService<RunQueueService>().IsExecuting("elsewhere")); // stopped where it ran
        Assert.Equal(HttpStatusCode.Conflict, (await otherClient.PostAsync("/api/v1/runs/elsewhere/cancel", null)).StatusCode);

        gate.SetResult();
        Assert.Equal(HttpStatusCode.Accepted, (await otherClient.PostAsync("/api/v1/runs/elsewhere/resume", null)).StatusCode);
        var done = await TestService.WaitForAsync(otherClient, "elsewhere", "completed", "failed");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(5, done.GetProperty("results").GetInt32());
        var results = await otherClient.GetFromJsonAsync<JsonElement>("/api/v1/runs/elsewhere/results");
        Assert.Equal(5, results.EnumerateArray().Select(r => r.GetProperty("instanceId").GetString()).Distinct().Count()); // each instance once
        var events = (await other.Database.GetAuditAsync("elsewhere")).Select(e => e.Event).ToArray();
        Assert.Contains("run_cancel_requested", events);
        Assert.Contains("run_cancelled", events);
    }

    [Fact]
    public async Task Stopping_the_service_leaves_the_running_run_queued_and_the_next_start_resumes_it_and_the_queued_ones()
    {
        using var home = new TempFolder("medhelm-service-");
        var blocking = new ScriptedLoader();
        blocking.Answer = async (_, call, ct) =>
        {
            if (call > 1)
            {
                await Task.Delay(Timeout.Infinite, ct);
            }

            return "A";
        };
        // the second call never ends by itself: the stop waits Service:ShutdownSeconds for it, then cancels it
        await using (var first = new TestService(blocking, home, [("Service:ShutdownSeconds", "1")]))
        {
            var client = await first.ClientAsync(AccessRole.Operator);
            await client.PostAsJsonAsync("/api/v1/runs", Body(first.Model(), "interrupted", 3));
            await client.PostAsJsonAsync("/api/v1/runs", Body(first.Model(), "waiting", 2));
            await WaitUntilAsync(() => blocking.Calls >= 2);
        }

        // after the graceful stop: the run is resumable (cancelled in the runs table, queued in the service's queue)
        await using (var probe = await new Storage.SqliteResultsDatabaseFactory().OpenAsync(Path.Combine(home.Path, "data", "medhelm.db"), create: false))
        {
            Assert.Equal(QueueState.Queued, (await probe.Queue.GetQueuedAsync("interrupted"))!.State);
            Assert.Equal(QueueState.Queued, (await probe.Queue.GetQueuedAsync("waiting"))!.State);
            Assert.Equal(Evaluation.Results.RunStatus.Cancelled, (await probe.GetRunAsync("interrupted"))!.Status);
        }

        await using var second = new TestService(new ScriptedLoader(), home);
        var viewer = await second.ClientAsync(AccessRole.Viewer);
        var resumed = await TestService.WaitForAsync(viewer, "interrupted", "completed", "failed");
        Assert.Equal("completed", resumed.GetProperty("status").GetString());
        Assert.Equal(3, resumed.GetProperty("results").GetInt32());
        var waiting = await TestService.WaitForAsync(viewer, "waiting", "completed", "failed");
        Assert.Equal("completed", waiting.GetProperty("status").GetString());
        // the first start stored one result of "interrupted"; the second computed its other two, and "waiting" (the same
        // model on the same first two instances) took both from the request ledger
        Assert.Equal(2, second.Loader.Calls);
        Assert.Equal(2, waiting.GetProperty("reused").GetInt32());
    }

    [Fact]
    public async Task A_run_left_running_by_a_crash_is_queued_again_at_start()
    {
        using var home = new TempFolder("medhelm-service-");
        var dataFolder = Path.Combine(home.Path, "data");
        Directory.CreateDirectory(dataFolder);
        var model = TestService.WriteModel(home, "tiny");

        // what a crash leaves: the queue row still says running
        await using (var database = await new Storage.SqliteResultsDatabaseFactory().OpenAsync(Path.Combine(dataFolder, "medhelm.db"), create: true))
        {
            await database.Queue.EnqueueAsync("crashed", new RunRequest(["medbullets"], null, [model], ["none"], 2, Samples: true), "test");
            Assert.Equal("crashed", (await database.Queue.ClaimNextAsync())!.RunId);
        }

        await using var restarted = new TestService(new ScriptedLoader(), home);
        var viewer = await restarted.ClientAsync(AccessRole.Viewer);
        Assert.Equal("completed", (await TestService.WaitForAsync(viewer, "crashed", "completed", "failed")).GetProperty("status").GetString());
        Assert.Contains(await restarted.Database.GetAuditAsync("crashed"), e => e.Event == "run_interrupted_requeued");
    }

    [Fact]
    public async Task Bad_requests_get_problem_details_without_stack_traces_or_echoed_input()
    {
        await using var service = new TestService();
        var client = await service.ClientAsync(AccessRole.Operator);

        var noModels = await client.PostAsJsonAsync("/api/v1/runs", new { benchmarks = new[] { "medbullets" } });
        await AssertProblemAsync(noModels, HttpStatusCode.BadRequest, "models");

        var unknownRun = await client.GetAsync("/api/v1/runs/no-such-run-xyz");
        var text = await AssertProblemAsync(unknownRun, HttpStatusCode.NotFound, "no such run");
        Assert.DoesNotContain("no-such-run-xyz", text, StringComparison.Ordinal);

        var malformed = await client.PostAsync("/api/v1/runs", new StringContent("{\"models\": [", System.Text.Encoding.UTF8, "application/json"));
        await AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "could not be read");

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/v1/runs", Body(service.Model(), "dup"))).StatusCode);
        await AssertProblemAsync(await client.PostAsJsonAsync("/api/v1/runs", Body(service.Model(), "dup")), HttpStatusCode.Conflict, "already exists");

        var badId = await client.PostAsJsonAsync("/api/v1/runs", Body(service.Model(), "../../etc/passwd"));
        text = await AssertProblemAsync(badId, HttpStatusCode.BadRequest, "runId");
        Assert.DoesNotContain("passwd", text, StringComparison.Ordinal);

        // a plan that fails in the worker (an unknown benchmark) fails the run with the typed error's message
        var unknown = new { models = new[] { service.Model() }, benchmarks = new[] { "no_such_benchmark" }, runId = "bad-plan", jury = new[] { "none" } };
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/v1/runs", unknown)).StatusCode);
        var failed = await TestService.WaitForAsync(client, "bad-plan", "failed", "completed");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(failed.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task A_model_file_llama_cpp_would_abort_on_is_refused_with_400_naming_it_and_the_tensor_and_nothing_is_queued()
    {
        await using var service = new TestService();
        var client = await service.ClientAsync(AccessRole.Operator);
        var bad = service.Home.File("extra-block.gguf");
        var writer = TestModelFactory.CreateWriter(TestService.ModelSpec);
        writer.AddTensor("blk.1.attn_norm.weight", [32], GgmlType.F32, new float[32]);
        writer.WriteTo(bad);
        var queued = (await client.GetFromJsonAsync<JsonElement>("/api/v1/runs")).GetArrayLength();

        var text = await AssertProblemAsync(await client.PostAsJsonAsync("/api/v1/runs", Body(bad, "bad-model")), HttpStatusCode.BadRequest, "blk.1.attn_norm.weight");

        Assert.Contains("extra-block.gguf", text, StringComparison.Ordinal);
        Assert.Equal(queued, (await client.GetFromJsonAsync<JsonElement>("/api/v1/runs")).GetArrayLength());
        Assert.Equal(0, service.Loader.Calls);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task Fifty_clients_read_status_and_leaderboards_while_a_run_writes_without_an_error()
    {
        var loader = new ScriptedLoader { Answer = async (_, _, ct) => { await Task.Delay(5, ct); return "A"; } };
        await using var service = new TestService(loader);
        var operatorClient = await service.ClientAsync(AccessRole.Operator);
        var body = new { models = new[] { service.Model() }, benchmarks = new[] { "medbullets" }, samples = true, jury = new[] { "none" }, runId = "busy" };
        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsJsonAsync("/api/v1/runs", body)).StatusCode);

        var viewer = await service.ClientAsync(AccessRole.Viewer);
        var readers = Enumerable.Range(0, 50).Select(async i =>
        {
            var reads = 0;
            while (true)
            {
                var url = (i % 3) switch { 0 => "/api/v1/runs/busy", 1 => "/api/v1/leaderboard?runId=busy", _ => "/api/v1/runs/busy/results" };
                using var response = await viewer.GetAsync(url);
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{url}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                reads++;
                if (url == "/api/v1/runs/busy" && response.StatusCode == HttpStatusCode.OK
                    && (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString() is "completed" or "failed")
                {
                    return reads;
                }

                if (i % 3 != 0 && (await service.Database.Queue.GetQueuedAsync("busy"))!.State is QueueState.Completed or QueueState.Failed)
                {
                    return reads;
                }

                await Task.Delay(20); // a client polls; 50 tight loops would only starve the run on two cores
            }
        }).ToArray();
        var counts = await Task.WhenAll(readers);

        var run = await TestService.WaitForAsync(viewer, "busy", "completed", "failed");
        Assert.Equal("completed", run.GetProperty("status").GetString());
        var results = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/runs/busy/results");
        Assert.Equal(loader.Calls, run.GetProperty("computed").GetInt32());
        Assert.Equal(run.GetProperty("results").GetInt32(), results.EnumerateArray().Select(r => r.GetProperty("instanceId").GetString() + r.GetProperty("benchmark").GetString()).Distinct().Count());
        var board = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/leaderboard?runId=busy");
        Assert.Equal(run.GetProperty("results").GetInt32(), board.EnumerateArray().Sum(r => r.GetProperty("instances").GetInt32()));
        Assert.True(counts.Sum() >= 50);
    }

    internal static async Task<string> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailFragment)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detailFragment, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        return text;
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Scale(TimeSpan.FromSeconds(30)));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
