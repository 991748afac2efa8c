using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Jury;
using MedHelm.Evaluation.Ledger;
using MedHelm.Evaluation.Results;

namespace MedHelm.Storage;

/// <summary>
/// The results database as one object: the stores of each port (<see cref="Runs"/>, <see cref="Ledger"/>,
/// <see cref="Jury"/>, <see cref="Datasets"/>, <see cref="Audit"/>) over one <see cref="SqliteDataSource"/>, whose
/// members it forwards. The file lives in a folder created 0700 and is created 0600 (on Unix), in WAL mode; each write is
/// one short transaction, one at a time; reads do not wait for them.
/// </summary>
public sealed class SqliteResultStore : IResultsDatabase, IImportedBenchmarks
{
    /// <summary>Source path recorded for the bundled excerpts a run stores (not counted as imports).</summary>
    public const string BundledSourcePrefix = SqliteDatasetStore.BundledSourcePrefix;

    private readonly bool _ownsDataSource;

    /// <summary>The stores over <paramref name="dataSource"/>, which stays the caller's to dispose.</summary>
    public SqliteResultStore(SqliteDataSource dataSource)
        : this(dataSource, ownsDataSource: false)
    {
    }

    private SqliteResultStore(SqliteDataSource dataSource, bool ownsDataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        DataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        Runs = new SqliteRunStore(dataSource);
        Ledger = new SqliteLedgerStore(dataSource);
        Jury = new SqliteJuryStore(dataSource);
        Datasets = new SqliteDatasetStore(dataSource);
        Audit = new SqliteAuditLog(dataSource);
        Queue = new SqliteRunQueue(dataSource);
        Tokens = new SqliteApiTokenStore(dataSource);
        Users = new SqliteUserStore(dataSource);
    }

    /// <summary>The database file's data source.</summary>
    public SqliteDataSource DataSource { get; }

    /// <summary>Runs, results, leaderboards and models.</summary>
    public SqliteRunStore Runs { get; }

    /// <summary>The request ledger.</summary>
    public SqliteLedgerStore Ledger { get; }

    /// <summary>Jury ratings and later scores.</summary>
    public SqliteJuryStore Jury { get; }

    /// <summary>Imported datasets.</summary>
    public SqliteDatasetStore Datasets { get; }

    /// <summary>The audit log.</summary>
    public SqliteAuditLog Audit { get; }

    /// <summary>The service's run queue.</summary>
    public SqliteRunQueue Queue { get; }

    /// <summary>The service's API tokens.</summary>
    public SqliteApiTokenStore Tokens { get; }

    /// <summary>The service's local accounts.</summary>
    public SqliteUserStore Users { get; }

    IRunQueue IResultsDatabase.Queue => Queue;

    IApiTokenStore IResultsDatabase.Tokens => Tokens;

    IUserStore IResultsDatabase.Users => Users;

    /// <inheritdoc />
    public string Location => DataSource.Path;

    /// <inheritdoc />
    public string EngineVersion => DataSource.EngineVersion;

    /// <summary>
    /// Opens (creating when needed) the database at <paramref name="databasePath"/> and brings its schema up to date: a
    /// data source of its own (<see cref="SqliteDataSourceBuilder"/>), disposed with the store.
    /// </summary>
    /// <exception cref="InvalidOperationException">The database was written by a newer version of the application.</exception>
    public static Task<SqliteResultStore> OpenAsync(string databasePath, CancellationToken cancellationToken = default)
    {
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Microsoft.Data.Sqlite does its I/O synchronously; opening and migrating is short.
            return Task.FromResult(new SqliteResultStore(new SqliteDataSourceBuilder(databasePath).Build(), ownsDataSource: true));
        }
        catch (Exception e)
        {
            return Task.FromException<SqliteResultStore>(e);
        }
    }

    /// <summary>Disposes the data source when the store opened it (<see cref="OpenAsync"/>).</summary>
    public ValueTask DisposeAsync() => _ownsDataSource ? DataSource.DisposeAsync() : ValueTask.CompletedTask;

    // IRunStore

    /// <inheritdoc />
    public Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default) => Runs.GetRunAsync(runId, cancellationToken);

    /// <inheritdoc />
    public Task SaveRunAsync(RunRecord run, CancellationToken cancellationToken = default) => Runs.SaveRunAsync(run, cancellationToken);

    /// <inheritdoc />
    public Task<IAsyncDisposable> HoldRunAsync(string runId, CancellationToken cancellationToken = default) => Runs.HoldRunAsync(runId, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> MarkInterruptedRunsAsync(CancellationToken cancellationToken = default) => Runs.MarkInterruptedRunsAsync(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<RunSummary>> ListRunsAsync(CancellationToken cancellationToken = default) => Runs.ListRunsAsync(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<RunResultRow>> GetRunResultsAsync(string runId, bool includeOutputs = false, CancellationToken cancellationToken = default) =>
        Runs.GetRunResultsAsync(runId, includeOutputs, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<LeaderboardRow>> GetLeaderboardAsync(string? runId, CancellationToken cancellationToken = default) =>
        Runs.GetLeaderboardAsync(runId, cancellationToken);

    /// <inheritdoc />
    public Task RegisterModelAsync(
        string name, string? path, string? sha256, long? sizeBytes, string? architecture, string? quantization, long? parameters,
        CancellationToken cancellationToken = default) =>
        Runs.RegisterModelAsync(name, path, sha256, sizeBytes, architecture, quantization, parameters, cancellationToken);

    /// <inheritdoc />
    public Task<StoredModel?> GetModelAsync(string name, CancellationToken cancellationToken = default) => Runs.GetModelAsync(name, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredModel>> ListModelsAsync(CancellationToken cancellationToken = default) => Runs.ListModelsAsync(cancellationToken);

    // ILedgerStore

    /// <inheritdoc />
    public IRunLedger OpenLedger() => Ledger.OpenLedger();

    /// <inheritdoc cref="SqliteLedgerStore.OpenLedger(int, int)"/>
    public SqliteCompletionLedger OpenLedger(int maxBatch, int capacity = 8192) => Ledger.OpenLedger(maxBatch, capacity);

    /// <inheritdoc cref="SqliteLedgerStore.FindCompletionsAsync"/>
    public Task<IReadOnlyDictionary<string, LedgerCompletion>> FindCompletionsAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default) =>
        Ledger.FindCompletionsAsync(keys, cancellationToken);

    // IJuryStore

    /// <inheritdoc />
    public Task<IReadOnlyList<JuryCandidate>> GetJuryCandidatesAsync(string runId, string benchmark, CancellationToken cancellationToken = default) =>
        Jury.GetJuryCandidatesAsync(runId, benchmark, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredJuryRating>> GetJuryRatingsAsync(string runId, CancellationToken cancellationToken = default) =>
        Jury.GetJuryRatingsAsync(runId, cancellationToken);

    /// <inheritdoc />
    public Task SaveJudgeOutcomesAsync(string runId, IReadOnlyList<(long RequestId, JudgeOutcome Outcome)> outcomes, CancellationToken cancellationToken = default) =>
        Jury.SaveJudgeOutcomesAsync(runId, outcomes, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlySet<long>> GetScoredRequestIdsAsync(string runId, string metric, CancellationToken cancellationToken = default) =>
        Jury.GetScoredRequestIdsAsync(runId, metric, cancellationToken);

    /// <inheritdoc />
    public Task<int> SaveSecondaryScoresAsync(string runId, string metric, IReadOnlyList<(long RequestId, double Value)> scores, CancellationToken cancellationToken = default) =>
        Jury.SaveSecondaryScoresAsync(runId, metric, scores, cancellationToken);

    /// <inheritdoc />
    public Task SaveJuryScoresAsync(string runId, string metric, IReadOnlyList<(long RequestId, double Value)> scores, CancellationToken cancellationToken = default) =>
        Jury.SaveJuryScoresAsync(runId, metric, scores, cancellationToken);

    // IDatasetStore

    /// <inheritdoc cref="SqliteDatasetStore.StoreDatasetAsync(ImportedDataset, AccessTier, string, CancellationToken)"/>
    public Task<DatasetStoreOutcome> StoreDatasetAsync(
        ImportedDataset dataset, AccessTier access, string sourcePath, CancellationToken cancellationToken = default) =>
        Datasets.StoreDatasetAsync(dataset, access, sourcePath, cancellationToken);

    /// <inheritdoc />
    public Task<DatasetStoreOutcome> StoreDatasetAsync(
        ImportedDataset dataset, AccessTier access, string sourcePath, string? definitionJson, CancellationToken cancellationToken = default) =>
        Datasets.StoreDatasetAsync(dataset, access, sourcePath, definitionJson, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredDataset>> ListDatasetsAsync(CancellationToken cancellationToken = default) => Datasets.ListDatasetsAsync(cancellationToken);

    /// <inheritdoc />
    public Task<StoredImport?> GetImportAsync(string benchmark, string? sourceSha256 = null, CancellationToken cancellationToken = default) =>
        Datasets.GetImportAsync(benchmark, sourceSha256, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListImportedBenchmarksAsync(CancellationToken cancellationToken = default) =>
        Datasets.ListImportedBenchmarksAsync(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredDefinition>> ListImportedDefinitionsAsync(CancellationToken cancellationToken = default) =>
        Datasets.ListImportedDefinitionsAsync(cancellationToken);

    /// <inheritdoc />
    public Task<ImportedInstances?> GetImportedInstancesAsync(string benchmark, CancellationToken cancellationToken = default) =>
        Datasets.GetImportedInstancesAsync(benchmark, cancellationToken);

    // IAuditLog

    /// <inheritdoc />
    public Task AppendAuditAsync(string? runId, string eventName, string detailJson = "{}", CancellationToken cancellationToken = default) =>
        Audit.AppendAuditAsync(runId, eventName, detailJson, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEvent>> GetAuditAsync(string? runId, CancellationToken cancellationToken = default) => Audit.GetAuditAsync(runId, cancellationToken);

    /// <inheritdoc />
    public Task<AuditChainVerification> VerifyAuditChainAsync(CancellationToken cancellationToken = default) => Audit.VerifyAuditChainAsync(cancellationToken);
}
