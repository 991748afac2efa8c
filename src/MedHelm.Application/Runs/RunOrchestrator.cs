using System.Diagnostics;
using System.Text.Json;
using MedHelm.Application.Diagnostics;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Results;
using MedHelm.Evaluation.Running;
using Microsoft.Extensions.Logging;

namespace MedHelm.Application.Runs;

/// <summary>
/// Runs models × benchmarks as one durable run: plans it (<see cref="RunPlanner"/>), records it, evaluates one model at
/// a time through the request ledger (every result committed as it is produced), rates open-ended answers with the jury,
/// scores BERTScore, and records the outcome and the audit trail. In a cluster (<paramref name="sharded"/>) the
/// evaluation is cut into shards that the servers execute through <see cref="ExecuteShardAsync"/>. A crash or cancellation costs only the requests in
/// flight; a resume (<see cref="RunRequest.Resume"/>) computes only what is not stored.
/// </summary>
public sealed partial class RunOrchestrator(
    Lazy<IResultsDatabase> databaseSource,
    RunPlanner planner,
    IModelLoader loader,
    JuryStep jury,
    BertScoreStep bertScore,
    ILoggerFactory loggers,
    MedHelmMetrics? metrics = null,
    IShardedEvaluation? sharded = null)
{
    private readonly ILogger _logger = loggers.CreateLogger("MedHelm.Run");

    /// <summary>Checks the run's local model files before it is queued (<see cref="RunPlanner.CheckModels"/>).</summary>
    public void CheckModels(IReadOnlyList<string> models) => planner.CheckModels(models);

    /// <summary>Executes <paramref name="request"/>, telling <paramref name="observer"/> what happens.</summary>
    /// <exception cref="Errors.ApplicationError">The request is invalid, conflicts with the stored run, names what does not exist, or breaks a policy.</exception>
    /// <exception cref="OperationCanceledException">Cancelled or drained; what finished is stored and the run can be resumed.</exception>
    /// <param name="request">The run.</param>
    /// <param name="observer">Told about progress.</param>
    /// <param name="cancellationToken">Cancels the run at once, model calls in flight included.</param>
    /// <param name="drain">
    /// Stops the run after the model calls in flight (the current batch) complete and are committed (a service shutting
    /// down). The jury phase stops at once: the judge's unfinished benchmark is rated again on resume.
    /// </param>
    public async Task<RunOutcome> ExecuteAsync(RunRequest request, IRunObserver observer, CancellationToken cancellationToken, CancellationToken drain = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(observer);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, drain);
        var inFlight = cancellationToken;
        cancellationToken = stopping.Token; // from here on, everything but the model calls in flight stops on either token
        if (metrics is not null)
        {
            observer = new MeteredRunObserver(observer, metrics);
        }

        var planned = await planner.PlanAsync(databaseSource, request, observer, cancellationToken).ConfigureAwait(false);
        var database = databaseSource.Value;
        var (runId, plan, existing, models) = (planned.RunId, planned.Plan, planned.Existing, planned.Models);
        var mode = plan.Mode == "helm" ? ScoringMode.Helm : ScoringMode.Corrected;

        var engine = loader.DescribeEngine();
        var chatTemplateTime = ChatTemplateRun.Time(planned.StoredManifest, existing?.StartedUtc, DateTimeOffset.UtcNow);
        var configuration = existing?.ConfigurationJson ?? RunManifestJson.Serialize(RunPlanner.Manifest(planned, engine, chatTemplateTime) with { Storage = database.EngineVersion });
        var run = new RunRecord(
            runId, existing?.StartedUtc ?? DateTimeOffset.UtcNow, null, configuration, Provenance.AppVersion(), engine.LlamaCppVersion, engine.Machine,
            RunStatus.Running)
        {
            GpuDescription = engine.Gpus,
        };

        foreach (var model in models)
        {
            var local = model.Endpoint is null;
            await database.RegisterModelAsync(
                new StoredModel(
                    model.Name, model.Path, local ? model.Sha256 : null, local ? model.SizeBytes : null, model.Architecture, model.Quantization,
                    local ? model.Parameters : null),
                cancellationToken).ConfigureAwait(false);
        }

        // Held until the run is saved as finished; if this process dies first, the next one to open the database marks
        // the run interrupted (and `runs list` says how to resume it).
        await using var hold = await database.HoldRunAsync(runId, cancellationToken).ConfigureAwait(false);
        await database.SaveRunAsync(run, cancellationToken).ConfigureAwait(false);
        await database.AppendAuditAsync(runId, existing is null ? "run_started" : "run_resumed", JsonSerializer.Serialize(new
        {
            models = models.Select(m => new { m.Name, m.Sha256 }),
            benchmarks = planned.Benchmarks.Select(b => new { b.Definition.Name, b.DatasetSha256, instances = planned.Take(b).Count }),
            skipped = planned.Skipped.Select(s => s.Name),
            bertscore_model = planned.BertScore is { } bert ? new { bert.Name, bert.Sha256 } : null,
            previous_status = existing?.Status.ToString(),
        }), cancellationToken).ConfigureAwait(false);

        observer.Notice(existing is null
            ? $"run {runId}: {models.Count} model(s) × {planned.Benchmarks.Count} benchmark(s), database {database.Location}"
            : $"run {runId}: resuming ({existing.Status.ToString().ToLowerInvariant()} before), {models.Count} model(s) × {planned.Benchmarks.Count} benchmark(s)");
        foreach (var s in planned.Skipped)
        {
            observer.Notice($"skipped {s.Name}: {s.Reason}");
        }

        foreach (var bundled in planned.Benchmarks.Where(b => b.Bundled && plan.Suite != RunSuites.Demo))
        {
            observer.Notice($"note: {bundled.Definition.Name} runs on its bundled sample ({(RunPlanner.DataOrigin(bundled) == "synthetic" ? "a synthetic stand-in" : "a public excerpt")}, --samples), not on imported data");
        }

        var computed = 0;
        var reused = 0;
        var refused = new List<RefusedInstances>();
        await using var ledger = database.OpenLedger();
        try
        {
            if (sharded is not null)
            {
                // a cluster: the run's model × benchmark pairs are cut into shards that the servers execute (ExecuteShardAsync);
                // what they computed and reused is what the run's stored completions gained meanwhile
                var before = await StoredCountsAsync(runId, cancellationToken).ConfigureAwait(false);
                await sharded.EvaluateAsync(planned, observer, cancellationToken).ConfigureAwait(false);
                var after = await StoredCountsAsync(runId, cancellationToken).ConfigureAwait(false);
                (computed, reused) = (after.Computed - before.Computed, after.Reused - before.Reused);
            }
            else
            {
                var bars = models.SelectMany(m => planned.Benchmarks.Select(b => new ProgressItem(Key(m, b), $"{m.Name} × {b.Definition.Name}", planned.Take(b).Count))).ToArray();
                await using var progress = await observer.BeginProgressAsync(bars, cancellationToken).ConfigureAwait(false);
                var scope = new EvaluationScope(planned, ledger, mode, chatTemplateTime);
                foreach (var model in models)
                {
                    using var lease = await loader.LeaseChatAsync(model.Argument, model.Name, Tier(planned), planner.FileModelDefaults, cancellationToken).ConfigureAwait(false);
                    foreach (var benchmark in planned.Benchmarks)
                    {
                        var outcome = await EvaluateAsync(scope, model, lease, benchmark, planned.Take(benchmark), progress.For(Key(model, benchmark)), inFlight, drain, cancellationToken)
                            .ConfigureAwait(false);
                        computed += outcome.Computed;
                        reused += outcome.Reused;
                        if (outcome.Rejected.Count > 0)
                        {
                            refused.Add(new RefusedInstances(model.Name, benchmark.Definition.Name, outcome.Rejected));
                        }
                    }
                }
            }

            // The jury: open-ended outputs rated by each judge in turn, then scored.
            await ledger.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (sharded is not null && await jury.WorkAsync(database, runId, planned, cancellationToken).ConfigureAwait(false) is { Count: > 0 } juryWork)
            {
                // a cluster: the judges' ratings are sharded too (judge × benchmark × range of outputs); the scores are combined here
                await sharded.JudgeAsync(planned, juryWork, observer, cancellationToken).ConfigureAwait(false);
                await jury.ScoreAsync(database, runId, planned, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await jury.RunAsync(database, runId, planned, observer, cancellationToken, chatTemplateTime).ConfigureAwait(false);
            }

            // BERTScore: after the jury, whose judges are released by then: one model in memory at a time.
            await bertScore.RunAsync(database, runId, planned, mode, observer, cancellationToken).ConfigureAwait(false);
        }
        // the source tokens too: a CancelAsync runs the linked token's callbacks later, on the thread pool
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || inFlight.IsCancellationRequested || drain.IsCancellationRequested)
        {
            await ledger.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await database.SaveRunAsync(run with { FinishedUtc = DateTimeOffset.UtcNow, Status = RunStatus.Cancelled }, CancellationToken.None).ConfigureAwait(false);
            await database.AppendAuditAsync(runId, "run_cancelled", JsonSerializer.Serialize(new { computed, reused, committed = ledger.Committed }), CancellationToken.None).ConfigureAwait(false);
            observer.Notice($"Stopped: {ledger.Committed} results of this attempt are stored. Resume with: medhelm run --run-id {runId} --resume");
            throw;
        }
        catch (Exception e)
        {
            await ledger.FlushAsync(CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            await database.SaveRunAsync(run with { FinishedUtc = DateTimeOffset.UtcNow, Status = RunStatus.Failed }, CancellationToken.None).ConfigureAwait(false);
            await database.AppendAuditAsync(runId, "run_failed", JsonSerializer.Serialize(new { error = e.GetType().Name, computed, reused }), CancellationToken.None).ConfigureAwait(false);
            observer.Notice($"Run {runId} failed; what was stored is kept. After fixing the cause: medhelm run --run-id {runId} --resume");
            throw;
        }

        await ledger.FlushAsync(cancellationToken).ConfigureAwait(false);
        await AuditRefusedAsync(database, runId, refused).ConfigureAwait(false);
        await database.SaveRunAsync(run with { FinishedUtc = DateTimeOffset.UtcNow, Status = RunStatus.Completed }, CancellationToken.None).ConfigureAwait(false);
        await database.AppendAuditAsync(runId, "run_completed", JsonSerializer.Serialize(new { computed, reused }), CancellationToken.None).ConfigureAwait(false);
        _logger.LogInformation("Run {RunId} completed: {Computed} computed, {Reused} reused, {Skipped} benchmarks skipped", runId, computed, reused, planned.Skipped.Count);
        return new RunOutcome(
            runId, computed, reused, planned.Skipped, refused, database.Location, plan.Jury.Count == 0 ? [] : planned.JudgeNames,
            plan.Jury.Count == 0 ? [] : planned.Juried.Select(b => b.Definition.Name).ToArray());
    }
}
