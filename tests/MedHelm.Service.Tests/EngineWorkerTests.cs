using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Service.Tests.Support;

namespace MedHelm.Service.Tests;

/// <summary>
/// Issue 16's crash isolation through the service: each model's engine runs in a worker process (ModelLoader:Placement
/// Worker) over the real llama.cpp runtime, and the worker's test-only switch (<see cref="CraftedAbortModel"/>) loads a
/// model file that makes llama.cpp abort (SIGABRT) on the first medbullets question holding a curly quotation mark.
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class EngineWorkerTests
{
    [Fact]
    public async Task A_model_that_makes_llama_cpp_abort_mid_run_leaves_the_service_up_and_the_resumed_run_finishes_with_nothing_lost_or_duplicated()
    {
        using var home = new TempFolder("medhelm-service-");
        var model = TestService.WriteModel(home, "tiny");
        var crafted = home.PathOf("crafted.gguf");
        CraftedAbortModel.Write(TestService.ModelSpec, crafted);
        await using var service = Start(home, CraftedAbortModel.Switch(crafted, model, marker: home.PathOf("crafted-once")));
        var operatorClient = await service.ClientAsync(AccessRole.Operator);
        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsJsonAsync("/api/v1/runs", Run("crash", model))).StatusCode);

        using var polling = new CancellationTokenSource();
        var health = PollHealthAsync(service.Anonymous(), await service.ClientAsync(AccessRole.Viewer), polling.Token);
        var failed = await TestService.WaitForAsync(operatorClient, "crash", "failed", "completed");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        AssertAborted(failed.GetProperty("error").GetString()!);
        // the fifth question trips llama.cpp; with two sequences some answers came back before it and are kept
        Assert.InRange(failed.GetProperty("results").GetInt32(), 1, 7);

        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsync("/api/v1/runs/crash/resume", null)).StatusCode);
        var done = await TestService.WaitForAsync(operatorClient, "crash", "completed", "failed");
        await polling.CancelAsync();
        var (live, ready) = await health;
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(8, done.GetProperty("results").GetInt32()); // every instance once: nothing lost, nothing twice
        var results = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/runs/crash/results");
        Assert.Equal(8, results.GetArrayLength());
        Assert.Equal(8, results.EnumerateArray().Select(r => r.GetProperty("instanceId").GetString()).Distinct().Count());
        Assert.True(live > 0 && ready > 0);
    }

    [Fact]
    public async Task A_model_that_aborts_every_time_fails_its_runs_with_a_named_error_is_marked_crashing_and_leaves_other_models_serving()
    {
        using var home = new TempFolder("medhelm-service-");
        var doomed = TestService.WriteModel(home, "tiny");
        var other = TestService.WriteModel(home, "other");
        var crafted = home.PathOf("crafted.gguf");
        CraftedAbortModel.Write(TestService.ModelSpec, crafted);
        await using var service = Start(home, CraftedAbortModel.Switch(crafted, doomed)); // every worker of tiny.gguf
        var operatorClient = await service.ClientAsync(AccessRole.Operator);
        using var polling = new CancellationTokenSource();
        var health = PollHealthAsync(service.Anonymous(), await service.ClientAsync(AccessRole.Viewer), polling.Token);

        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsJsonAsync("/api/v1/runs", Run("doomed", doomed))).StatusCode);
        var failed = await TestService.WaitForAsync(operatorClient, "doomed", "failed", "completed");
        AssertAborted(failed.GetProperty("error").GetString()!);
        var kept = failed.GetProperty("results").GetInt32();
        for (var crash = 2; crash <= 3; crash++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsync("/api/v1/runs/doomed/resume", null)).StatusCode);
            var again = await TestService.WaitForAsync(operatorClient, "doomed", "failed", "completed");
            AssertAborted(again.GetProperty("error").GetString()!);
            Assert.InRange(again.GetProperty("results").GetInt32(), kept, 7); // what was stored stays; the tripping question never is
            kept = again.GetProperty("results").GetInt32();
        }

        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsync("/api/v1/runs/doomed/resume", null)).StatusCode);
        var refused = await TestService.WaitForAsync(operatorClient, "doomed", "failed", "completed");
        var crashing = refused.GetProperty("error").GetString()!;
        Assert.Contains("'tiny'", crashing, StringComparison.Ordinal);
        Assert.Contains("crashed 3 times", crashing, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsJsonAsync("/api/v1/runs", Run("bystander", other))).StatusCode);
        var done = await TestService.WaitForAsync(operatorClient, "bystander", "completed", "failed");
        await polling.CancelAsync();
        var (live, ready) = await health;
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(8, done.GetProperty("results").GetInt32());
        Assert.True(live > 0 && ready > 0);
    }

    private static TestService Start(TempFolder home, Dictionary<string, string> workerEnvironment) => TestService.WithRealModels(home,
    [
        ("Demo:Sequences", "2"),
        ("Demo:ContextPerSequence", "4096"),
        ("ModelLoader:Placement", "Worker"),
        .. workerEnvironment.Select(kv => ($"ModelLoader:WorkerEnvironment:{kv.Key}", kv.Value)),
    ]);

    private static object Run(string runId, string model) =>
        new { models = new[] { model }, benchmarks = new[] { "medbullets" }, maxInstances = 8, samples = true, jury = new[] { "none" }, runId };

    /// <summary>The run's error: llama.cpp's abort in the tokenizer, naming the model, without the question's text.</summary>
    private static void AssertAborted(string error)
    {
        Assert.Contains("'tiny'", error, StringComparison.Ordinal);
        Assert.Contains("exited with code 134", error, StringComparison.Ordinal);
        Assert.Contains("_Map_base::at", error, StringComparison.Ordinal);
        Assert.DoesNotContain(CraftedAbortModel.Trigger, error, StringComparison.Ordinal);
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
