using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Service.Tests.Support;

namespace MedHelm.Service.Tests;

/// <summary>
/// Issue 16's crash isolation through the service: the model's engine runs in a worker process (ModelLoader:Placement
/// Worker) over the real llama.cpp runtime, and a test-only switch makes the first worker abort (SIGABRT) in the middle
/// of a run.
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class EngineWorkerTests
{
    [Fact]
    public async Task A_worker_that_aborts_mid_run_leaves_the_service_up_and_the_resumed_run_finishes_with_nothing_lost_or_duplicated()
    {
        using var home = new TempFolder("medhelm-service-");
        var marker = home.PathOf("aborted-once");
        await using var service = new TestService(home: home, realEngine: true, settings:
        [
            ("Inference:RuntimeRoot", Path.Combine(RepositoryPaths.Root, "runtimes", "llama")),
            ("Inference:Threads", "1"),
            ("Demo:Sequences", "2"),
            ("Demo:ContextPerSequence", "4096"),
            ("ModelLoader:Placement", "Worker"),
            ("ModelLoader:WorkerEnvironment:MEDHELM_TEST_WORKER_ABORT_AFTER", "3"),
            ("ModelLoader:WorkerEnvironment:MEDHELM_TEST_WORKER_ABORT_MARKER", marker),
        ]);
        var operatorClient = await service.ClientAsync(AccessRole.Operator);
        var body = new { models = new[] { service.Model() }, benchmarks = new[] { "medbullets" }, maxInstances = 8, samples = true, jury = new[] { "none" }, runId = "crash" };
        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsJsonAsync("/api/v1/runs", body)).StatusCode);

        using var polling = new CancellationTokenSource();
        var health = PollHealthAsync(service.Anonymous(), await service.ClientAsync(AccessRole.Viewer), polling.Token);
        var failed = await TestService.WaitForAsync(operatorClient, "crash", "failed", "completed");
        Assert.True(File.Exists(marker), "the first worker did not abort");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        var reason = failed.GetProperty("error").GetString()!;
        Assert.Contains("exited with code 134", reason, StringComparison.Ordinal);
        var stored = failed.GetProperty("results").GetInt32();
        // two sequences: the fourth request (the one that trips the abort) is sent only after two answers came back, and
        // what finished before the abort is kept
        Assert.InRange(stored, 2, 7);

        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsync("/api/v1/runs/crash/resume", null)).StatusCode);
        var done = await TestService.WaitForAsync(operatorClient, "crash", "completed", "failed");
        await polling.CancelAsync();
        var (live, ready) = await health;
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(8, done.GetProperty("results").GetInt32()); // every instance once: nothing lost, nothing twice
        Assert.Equal(8, (await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/runs/crash/results")).GetArrayLength());
        Assert.True(live > 0 && ready > 0);
    }

    /// <summary>Polls liveness and readiness until cancelled; every answer must be 200. Returns how many of each.</summary>
    private static async Task<(int Live, int Ready)> PollHealthAsync(HttpClient anonymous, HttpClient viewer, CancellationToken token)
    {
        var (live, ready) = (0, 0);
        while (!token.IsCancellationRequested)
        {
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live", CancellationToken.None)).StatusCode);
            live++;
            Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/health/ready", CancellationToken.None)).StatusCode);
            ready++;
            await Task.Delay(100, CancellationToken.None);
        }

        return (live, ready);
    }
}
