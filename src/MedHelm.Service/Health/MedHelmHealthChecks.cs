using System.Text.Json;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace MedHelm.Service.Health;

/// <summary>The results database answers a read.</summary>
internal sealed class DatabaseHealthCheck(Lazy<IResultsDatabase> database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var queued = await database.Value.Queue.ListQueuedAsync(cancellationToken);
            return HealthCheckResult.Healthy($"{queued.Count(q => q.State == QueueState.Queued)} run(s) queued");
        }
#pragma warning disable CA1031 // a health check reports the failure instead of throwing
        catch (Exception e)
#pragma warning restore CA1031
        {
            return HealthCheckResult.Unhealthy($"the results database failed ({e.GetType().Name})");
        }
    }
}

/// <summary>The inference runtime (llama.cpp) loads and reports its backend.</summary>
internal sealed class RuntimeHealthCheck(IModelLoader loader) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var engine = loader.DescribeEngine();
            return Task.FromResult(HealthCheckResult.Healthy($"backend {engine.Backend}, llama.cpp {engine.LlamaCppVersion ?? "n/a"}, GPUs: {engine.Gpus}"));
        }
#pragma warning disable CA1031 // a health check reports the failure instead of throwing
        catch (Exception e)
#pragma warning restore CA1031
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"the inference runtime does not load ({e.GetType().Name}); see `medhelm runtime`"));
        }
    }
}

/// <summary>The model files of the Models section exist (each configured model can be loaded by a run); lists the models in memory.</summary>
internal sealed class ModelsHealthCheck(IOptions<Dictionary<string, LocalModelOptions>> models, MedHelmPaths paths, IResidentModels resident) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var missing = models.Value.Where(m => !File.Exists(paths.Resolve(m.Value.File))).Select(m => m.Key).ToArray();
        var loaded = resident.Loaded;
        var inMemory = loaded.Count == 0 ? "none loaded" : "loaded: " + string.Join(", ", loaded.Select(m => $"{m.Name} ({m.Kind}, {m.Leases} in use)"));
        var data = new Dictionary<string, object> { ["loaded"] = loaded.Select(m => m.Name).ToArray() };
        return Task.FromResult(missing.Length == 0
            ? HealthCheckResult.Healthy($"{models.Value.Count} configured model file(s) present; {inMemory}", data)
            : HealthCheckResult.Degraded($"model file(s) missing for: {string.Join(", ", missing)}; {inMemory}", data: data));
    }
}

/// <summary>Writes a health report as JSON: overall status and each check's status and description.</summary>
internal static class HealthJson
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new { name = e.Key, status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data.Count == 0 ? null : e.Value.Data }),
        }));
    }

    public static HealthCheckOptions Options(Func<HealthCheckRegistration, bool> predicate) => new()
    {
        Predicate = predicate,
        ResponseWriter = WriteAsync,
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
    };
}
