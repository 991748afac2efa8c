using MedHelm.Core.Catalog;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Jury;
using MedHelm.Evaluation.Results;

namespace MedHelm.Application.Ports;

/// <summary>
/// A results database made of one store per port, whose members it forwards; each storage provider (SQLite,
/// PostgreSQL) derives from it with its own stores, location, engine version and disposal.
/// </summary>
/// <param name="runs">Runs, results, leaderboards and models.</param>
/// <param name="ledger">The request ledger.</param>
/// <param name="jury">Jury ratings and later scores.</param>
/// <param name="datasets">Imported datasets.</param>
/// <param name="audit">The audit log.</param>
/// <param name="queue">The service's run queue.</param>
/// <param name="tokens">The service's API tokens.</param>
/// <param name="users">The service's local accounts.</param>
public abstract class ComposedResultsDatabase(
    IRunStore runs, ILedgerStore ledger, IJuryStore jury, IDatasetStore datasets, IAuditLog audit, IRunQueue queue, IApiTokenStore tokens, IUserStore users)
    : IResultsDatabase
{
    private readonly IRunStore _runs = runs ?? throw new ArgumentNullException(nameof(runs));
    private readonly ILedgerStore _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
    private readonly IJuryStore _jury = jury ?? throw new ArgumentNullException(nameof(jury));
    private readonly IDatasetStore _datasets = datasets ?? throw new ArgumentNullException(nameof(datasets));
    private readonly IAuditLog _audit = audit ?? throw new ArgumentNullException(nameof(audit));

    /// <inheritdoc />
    public abstract string Location { get; }

    /// <inheritdoc />
    public abstract string EngineVersion { get; }

    /// <inheritdoc />
    public IRunQueue Queue { get; } = queue ?? throw new ArgumentNullException(nameof(queue));

    /// <inheritdoc />
    public IApiTokenStore Tokens { get; } = tokens ?? throw new ArgumentNullException(nameof(tokens));

    /// <inheritdoc />
    public IUserStore Users { get; } = users ?? throw new ArgumentNullException(nameof(users));

    /// <inheritdoc />
    public abstract ValueTask DisposeAsync();

    /// <summary>
    /// What a factory does with a database it has just opened: marks the runs left running by a process that died as
    /// interrupted, and returns it (disposed when that fails).
    /// </summary>
    public static async Task<IResultsDatabase> MarkInterruptedOnOpenAsync(IResultsDatabase store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        try
        {
            await store.MarkInterruptedRunsAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // IRunStore

    /// <inheritdoc />
    public Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default) => _runs.GetRunAsync(runId, cancellationToken);

    /// <inheritdoc />
    public Task SaveRunAsync(RunRecord run, CancellationToken cancellationToken = default) => _runs.SaveRunAsync(run, cancellationToken);

    /// <inheritdoc />
    public Task<IAsyncDisposable> HoldRunAsync(string runId, CancellationToken cancellationToken = default) => _runs.HoldRunAsync(runId, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> MarkInterruptedRunsAsync(CancellationToken cancellationToken = default) => _runs.MarkInterruptedRunsAsync(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<RunSummary>> ListRunsAsync(CancellationToken cancellationToken = default) => _runs.ListRunsAsync(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<RunResultRow>> GetRunResultsAsync(string runId, bool includeOutputs = false, CancellationToken cancellationToken = default) =>
        _runs.GetRunResultsAsync(runId, includeOutputs, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<LeaderboardRow>> GetLeaderboardAsync(string? runId, CancellationToken cancellationToken = default) =>
        _runs.GetLeaderboardAsync(runId, cancellationToken);

    /// <inheritdoc />
    public Task RegisterModelAsync(StoredModel model, CancellationToken cancellationToken = default) => _runs.RegisterModelAsync(model, cancellationToken);

    /// <inheritdoc />
    public Task<StoredModel?> RemoveModelAsync(string name, string removedBy, CancellationToken cancellationToken = default) =>
        _runs.RemoveModelAsync(name, removedBy, cancellationToken);

    /// <inheritdoc />
    public Task<StoredModel?> GetModelAsync(string name, CancellationToken cancellationToken = default) => _runs.GetModelAsync(name, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredModel>> ListModelsAsync(CancellationToken cancellationToken = default) => _runs.ListModelsAsync(cancellationToken);

    // ILedgerStore

    /// <inheritdoc />
    public IRunLedger OpenLedger() => _ledger.OpenLedger();

    // IJuryStore

    /// <inheritdoc />
    public Task<IReadOnlyList<JuryCandidate>> GetJuryCandidatesAsync(string runId, string benchmark, CancellationToken cancellationToken = default) =>
        _jury.GetJuryCandidatesAsync(runId, benchmark, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredJuryRating>> GetJuryRatingsAsync(string runId, CancellationToken cancellationToken = default) =>
        _jury.GetJuryRatingsAsync(runId, cancellationToken);

    /// <inheritdoc />
    public Task SaveJudgeOutcomesAsync(string runId, IReadOnlyList<(long RequestId, JudgeOutcome Outcome)> outcomes, CancellationToken cancellationToken = default) =>
        _jury.SaveJudgeOutcomesAsync(runId, outcomes, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlySet<long>> GetScoredRequestIdsAsync(string runId, string metric, CancellationToken cancellationToken = default) =>
        _jury.GetScoredRequestIdsAsync(runId, metric, cancellationToken);

    /// <inheritdoc />
    public Task<int> SaveSecondaryScoresAsync(string runId, string metric, IReadOnlyList<(long RequestId, double Value)> scores, CancellationToken cancellationToken = default) =>
        _jury.SaveSecondaryScoresAsync(runId, metric, scores, cancellationToken);

    /// <inheritdoc />
    public Task SaveJuryScoresAsync(string runId, string metric, IReadOnlyList<(long RequestId, double Value)> scores, CancellationToken cancellationToken = default) =>
        _jury.SaveJuryScoresAsync(runId, metric, scores, cancellationToken);

    // IDatasetStore

    /// <summary>Stores a validated dataset and its instances (no definition file).</summary>
    public Task<DatasetStoreOutcome> StoreDatasetAsync(
        ImportedDataset dataset, AccessTier access, string sourcePath, CancellationToken cancellationToken = default) =>
        _datasets.StoreDatasetAsync(dataset, access, sourcePath, null, cancellationToken);

    /// <inheritdoc />
    public Task<DatasetStoreOutcome> StoreDatasetAsync(
        ImportedDataset dataset, AccessTier access, string sourcePath, string? definitionJson, CancellationToken cancellationToken = default) =>
        _datasets.StoreDatasetAsync(dataset, access, sourcePath, definitionJson, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredDataset>> ListDatasetsAsync(CancellationToken cancellationToken = default) => _datasets.ListDatasetsAsync(cancellationToken);

    /// <inheritdoc />
    public Task<StoredImport?> GetImportAsync(string benchmark, string? sourceSha256 = null, CancellationToken cancellationToken = default) =>
        _datasets.GetImportAsync(benchmark, sourceSha256, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListImportedBenchmarksAsync(CancellationToken cancellationToken = default) =>
        _datasets.ListImportedBenchmarksAsync(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredDefinition>> ListImportedDefinitionsAsync(CancellationToken cancellationToken = default) =>
        _datasets.ListImportedDefinitionsAsync(cancellationToken);

    /// <inheritdoc />
    public Task<ImportedInstances?> GetImportedInstancesAsync(string benchmark, CancellationToken cancellationToken = default) =>
        _datasets.GetImportedInstancesAsync(benchmark, cancellationToken);

    // IAuditLog

    /// <inheritdoc />
    public Task AppendAuditAsync(string? runId, string eventName, string detailJson = "{}", CancellationToken cancellationToken = default) =>
        _audit.AppendAuditAsync(runId, eventName, detailJson, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEvent>> GetAuditAsync(string? runId, CancellationToken cancellationToken = default) => _audit.GetAuditAsync(runId, cancellationToken);

    /// <inheritdoc />
    public Task<AuditChainVerification> VerifyAuditChainAsync(CancellationToken cancellationToken = default) => _audit.VerifyAuditChainAsync(cancellationToken);
}
