using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using MedHelm.Application.Diagnostics;
using MedHelm.Application.Ports;
using MedHelm.Service.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace MedHelm.Service.Tests;

/// <summary>The appliance's instruments record what the service does: queue length, run progress, tokens, durations, request latency.</summary>
public sealed class MetricsTests
{
    private static object Body(string model, string runId) =>
        new { models = new[] { model }, benchmarks = new[] { "medbullets" }, maxInstances = 3, samples = true, jury = new[] { "none" }, runId };

    [Fact]
    public async Task Queue_length_progress_instances_tokens_and_durations_are_measured_while_runs_execute()
    {
        var loader = new ScriptedLoader();
        var gate = new TaskCompletionSource();
        loader.Answer = async (_, call, ct) =>
        {
            if (call == 2)
            {
                await gate.Task.WaitAsync(ct); // the first run holds at its second instance
            }

            return "A";
        };
        await using var service = new TestService(loader);
        using var recorder = new MeasurementRecorder(service.Services.GetRequiredService<IMeterFactory>(), MedHelmMetrics.MeterName, "Microsoft.AspNetCore.Hosting");
        var client = await service.ClientAsync(AccessRole.Operator);

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/v1/runs", Body(service.Model(), "m1"))).StatusCode);
        await RunsApiTests.WaitUntilAsync(() => loader.Calls >= 2);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/v1/runs", Body(service.Model(), "m2"))).StatusCode);
        await RunsApiTests.WaitUntilAsync(() => recorder.Observe().Any(m => m.Instrument == "medhelm.run.instances.completed" && m.Value == 1));

        var during = recorder.Observe();
        Assert.Equal(1, Single(during, "medhelm.run_queue.length").Value); // m2 waits while m1 runs
        Assert.Equal(3, Single(during, "medhelm.run.instances.total", "m1").Value);
        Assert.Equal(1, Single(during, "medhelm.run.instances.completed", "m1").Value); // the second instance is held

        gate.SetResult();
        await TestService.WaitForAsync(client, "m1", "completed");
        await TestService.WaitForAsync(client, "m2", "completed");
        var after = recorder.Observe();
        Assert.Equal(0, Single(after, "medhelm.run_queue.length").Value);
        Assert.DoesNotContain(after, m => m.Instrument.StartsWith("medhelm.run.instances.", StringComparison.Ordinal)); // no run is running

        // m1 computed its 3 instances (10 prompt + 1 completion tokens each, as scripted); m2 reused them from the ledger
        var instances = recorder.Of("medhelm.run.instances");
        Assert.Equal(3, instances.Where(m => Equals(m.Tags["medhelm.reused"], false)).Sum(m => m.Value));
        Assert.Equal(3, instances.Where(m => Equals(m.Tags["medhelm.reused"], true)).Sum(m => m.Value));
        Assert.All(instances, m => Assert.Equal("medbullets", m.Tags["medhelm.benchmark"]));
        Assert.Equal(33, recorder.Of("medhelm.generation.tokens").Sum(m => m.Value));
        var durations = recorder.Of("medhelm.evaluation.duration");
        Assert.Equal(2, durations.Count);
        Assert.All(durations, d => Assert.True(d.Value >= 0));

        // request latency: ASP.NET Core's own histogram, by route template
        Assert.Contains(recorder.Of("http.server.request.duration"), m => Equals(m.Tags.GetValueOrDefault("http.route"), "/api/v1/runs/") || Equals(m.Tags.GetValueOrDefault("http.route"), "/api/v1/runs"));
    }

    private static (string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags) Single(
        IEnumerable<(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)> measurements, string instrument, string? runId = null) =>
        Assert.Single(measurements, m => m.Instrument == instrument && (runId is null || Equals(m.Tags.GetValueOrDefault("medhelm.run_id"), runId)));
}
