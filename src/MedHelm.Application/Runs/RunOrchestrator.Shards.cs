using System.Diagnostics;
using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Application.Models;
using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Ledger;
using MedHelm.Evaluation.Running;
using Microsoft.Extensions.AI;

namespace MedHelm.Application.Runs;

/// <summary>
/// Evaluates a run's model × benchmark pairs somewhere other than this loop: a cluster cuts them into shards that its
/// servers execute (<see cref="RunOrchestrator.ExecuteShardAsync"/>). Returns when every shard's results are stored.
/// </summary>
public interface IShardedEvaluation
{
    /// <summary>Has every model × benchmark pair of <paramref name="planned"/> evaluated and stored (through the ledger).</summary>
    /// <exception cref="OperationCanceledException">The run was cancelled or drained on this server.</exception>
    Task EvaluateAsync(PlannedRun planned, IRunObserver observer, CancellationToken cancellationToken);

    /// <summary>
    /// Has the judges rate the run's stored outputs (<paramref name="work"/>, cut into ranges that the servers rate
    /// through <see cref="RunOrchestrator.ExecuteJuryShardAsync"/>); the run's server combines the scores afterwards.
    /// </summary>
    /// <exception cref="OperationCanceledException">The run was cancelled or drained on this server.</exception>
    Task JudgeAsync(PlannedRun planned, IReadOnlyList<JuryWork> work, IRunObserver observer, CancellationToken cancellationToken);
}

/// <summary>
/// One shard of a stored run: a range of one benchmark's instances (in the order the run takes them) for one model; or,
/// for a jury shard, a range of one benchmark's stored outputs (in the order the store lists them) for one judge.
/// </summary>
/// <param name="RunId">The run (already started: its manifest is stored).</param>
/// <param name="Model">The run's model name (a jury shard: the judge's name).</param>
/// <param name="Benchmark">The benchmark's name.</param>
/// <param name="FirstInstance">Index of the first instance of the range.</param>
/// <param name="InstanceCount">How many instances.</param>
public sealed record RunShard(string RunId, string Model, string Benchmark, int FirstInstance, int InstanceCount);

/// <summary>What executing a shard did.</summary>
/// <param name="Computed">Instances sent to the model.</param>
/// <param name="Reused">Instances answered from the ledger (stored by an earlier execution, here or on another server).</param>
/// <param name="Refused">Instances whose answer could not be used.</param>
public sealed record ShardOutcome(int Computed, int Reused, int Refused);

public sealed partial class RunOrchestrator
{
    /// <summary>
    /// Plans a stored run from its manifest, as a resume does (model files read and hashed, datasets found): what
    /// <see cref="ExecuteShardAsync"/> needs; a server executing several shards of one run plans it once.
    /// </summary>
    /// <exception cref="Errors.ApplicationError">The run is unknown, or its models or data no longer match its manifest here.</exception>
    public Task<PlannedRun> PlanStoredRunAsync(string runId, CancellationToken cancellationToken) =>
        planner.PlanAsync(databaseSource, new RunRequest([], null, [], [], RunId: runId, Resume: true), NullRunObserver.Instance, cancellationToken);

    /// <summary>
    /// Executes one shard of a stored run (<paramref name="planned"/>: <see cref="PlanStoredRunAsync"/>): leases the
    /// shard's model and evaluates its instance range exactly as <see cref="ExecuteAsync"/> evaluates the whole benchmark,
    /// storing every result through the ledger (whose key makes a shard executed twice store once). The run's status,
    /// jury and BERTScore stay with the server that started the run.
    /// </summary>
    /// <exception cref="Errors.ApplicationError">The run has no such model or benchmark, or the range is outside the benchmark.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (a lost lease, the host stopping); what finished is stored.</exception>
    public async Task<ShardOutcome> ExecuteShardAsync(PlannedRun planned, RunShard shard, IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planned);
        ArgumentNullException.ThrowIfNull(shard);
        if (planned.RunId != shard.RunId)
        {
            throw new ArgumentException($"The shard is of run {shard.RunId}, the plan of {planned.RunId}.", nameof(shard));
        }
        var model = planned.Models.FirstOrDefault(m => m.Name == shard.Model)
            ?? throw new NotFoundException($"Run '{shard.RunId}' has no model '{shard.Model}' (shard of {shard.Benchmark}).");
        var benchmark = planned.Benchmarks.FirstOrDefault(b => b.Definition.Name == shard.Benchmark)
            ?? throw new NotFoundException($"Run '{shard.RunId}' has no benchmark '{shard.Benchmark}' on this server.");
        var all = planned.Take(benchmark);
        if (shard.FirstInstance < 0 || shard.InstanceCount < 1 || shard.FirstInstance + shard.InstanceCount > all.Count)
        {
            throw new RequestValidationException(
                $"The shard's instances {shard.FirstInstance}..{shard.FirstInstance + shard.InstanceCount - 1} are outside {shard.Benchmark}'s {all.Count} instances in run '{shard.RunId}'.");
        }

        var database = databaseSource.Value;
        var chatTemplateTime = ChatTemplateRun.Time(planned.StoredManifest, planned.Existing?.StartedUtc, DateTimeOffset.UtcNow);
        var mode = planned.Plan.Mode == "helm" ? ScoringMode.Helm : ScoringMode.Corrected;
        await using var ledger = database.OpenLedger();
        using var lease = await loader.LeaseChatAsync(model.Argument, model.Name, Tier(planned), planner.FileModelDefaults, cancellationToken).ConfigureAwait(false);
        var instances = all.Skip(shard.FirstInstance).Take(shard.InstanceCount).ToArray();
        var outcome = await EvaluateAsync(
            new EvaluationScope(planned, ledger, mode, chatTemplateTime), model, lease, benchmark, instances, progress, cancellationToken, default, cancellationToken)
            .ConfigureAwait(false);
        await ledger.FlushAsync(cancellationToken).ConfigureAwait(false);
        await AuditRefusedAsync(database, shard.RunId, outcome.Rejected.Count == 0 ? [] : [new RefusedInstances(model.Name, benchmark.Definition.Name, outcome.Rejected)])
            .ConfigureAwait(false);
        return new ShardOutcome(outcome.Computed, outcome.Reused, outcome.Rejected.Count);
    }

    /// <summary>
    /// Executes one jury shard of a stored run on this server: one judge rates a range of one benchmark's stored outputs
    /// (those it has not rated in this run), storing each outcome; returns how many it rated (as computed).
    /// </summary>
    /// <exception cref="Errors.ApplicationError">The run has no such judge or benchmark, or the judge's model is not available here.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (a lost lease, the host stopping); the outcomes stored stay.</exception>
    public async Task<ShardOutcome> ExecuteJuryShardAsync(PlannedRun planned, RunShard shard, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planned);
        ArgumentNullException.ThrowIfNull(shard);
        var chatTemplateTime = ChatTemplateRun.Time(planned.StoredManifest, planned.Existing?.StartedUtc, DateTimeOffset.UtcNow);
        var rated = await jury.RateRangeAsync(
            databaseSource.Value, shard.RunId, planned, shard.Model, shard.Benchmark, shard.FirstInstance, shard.InstanceCount, chatTemplateTime, cancellationToken)
            .ConfigureAwait(false);
        return new ShardOutcome(rated, shard.InstanceCount - rated, 0);
    }

    /// <summary>What every evaluation of a run shares.</summary>
    private sealed record EvaluationScope(PlannedRun Planned, IRunLedger Ledger, ScoringMode Mode, DateTimeOffset ChatTemplateTime);

    /// <summary>Evaluates <paramref name="instances"/> of one benchmark with one leased model, through the ledger, and audits the time it took.</summary>
    private async Task<EvaluationOutcome> EvaluateAsync(
        EvaluationScope scope, PreparedModel model, ModelLease<IChatClient> lease, PlannedBenchmark benchmark, IReadOnlyList<BenchmarkInstance> instances,
        IProgress<EvaluationProgress>? progress, CancellationToken inFlight, CancellationToken drain, CancellationToken cancellationToken)
    {
        var planned = scope.Planned;
        var evaluation = new EvaluationRequest(planned.RunId, model.Name, benchmark.Definition, instances, scope.Mode)
        {
            GenerateOnly = EvaluationRunner.NeedsJury(benchmark.Definition),
            EhrSqlDatabasePath = planned.EhrSql?.Path,
            EhrSqlQueryTimeout = planned.EhrSql?.QueryTimeout,
            EhrSqlMaxRows = planned.EhrSql?.MaxRows,
            StoreSecondaryMetrics = true,
            Ledger = new LedgerContext(
                scope.Ledger, model.Identity, benchmark.DatasetSha256, ChatTemplateRun.DecodingExtras(model.DecodingExtras, lease.Client, scope.ChatTemplateTime)),
            ChatTemplateTime = scope.ChatTemplateTime,
            Drain = drain,
        };
        var watch = Stopwatch.StartNew();
        var outcome = await new EvaluationRunner(loggers.CreateLogger("MedHelm.Evaluation"), new EvaluationRunnerOptions { MaxConcurrency = lease.Concurrency })
            .ExecuteAsync(evaluation, lease.Client, progress, inFlight).ConfigureAwait(false);
        metrics?.EvaluationFinished(model.Name, benchmark.Definition.Name, watch.Elapsed);
        await databaseSource.Value.AppendAuditAsync(
            planned.RunId,
            UsageAudit.BenchmarkEvaluated,
            UsageAudit.Detail(model.Name, benchmark.Definition.Name, outcome.Computed, outcome.Reused, watch.Elapsed, model.Endpoint is null),
            cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>The access tier a run's models are leased under: its most restricted benchmark's.</summary>
    private static AccessTier Tier(PlannedRun planned) =>
        planned.Benchmarks.Count == 0 ? AccessTier.Public : planned.Benchmarks.Max(b => b.Definition.Access);

    /// <summary>Records the instances whose answers could not be used (ids and reasons only).</summary>
    private static async Task AuditRefusedAsync(IResultsDatabase database, string runId, IReadOnlyList<RefusedInstances> refused)
    {
        if (refused.Count > 0)
        {
            await database.AppendAuditAsync(runId, "instances_refused", JsonSerializer.Serialize(refused.Select(r => new
            {
                model = r.Model,
                benchmark = r.Benchmark,
                instances = r.Instances.Select(i => new { id = i.InstanceId, reason = i.Reason }),
            })), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The run's stored completions computed by it and reused from the ledger (0 and 0 before any).</summary>
    private async Task<(int Computed, int Reused)> StoredCountsAsync(string runId, CancellationToken cancellationToken)
    {
        var summary = (await databaseSource.Value.ListRunsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(r => r.RunId == runId);
        return (summary?.Computed ?? 0, summary?.Reused ?? 0);
    }

    private static string Key(PreparedModel model, PlannedBenchmark benchmark) => model.Name + "\u0000" + benchmark.Definition.Name;
}
