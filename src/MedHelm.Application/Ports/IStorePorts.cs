using MedHelm.Core.Catalog;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Jury;
using MedHelm.Evaluation.Ledger;
using MedHelm.Evaluation.Results;

namespace MedHelm.Application.Ports;

/// <summary>Runs, their results and the models they used.</summary>
public interface IRunStore
{
    /// <summary>The run, or null when there is none with that id.</summary>
    Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Records (or updates) a run's row.</summary>
    Task SaveRunAsync(RunRecord run, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks the run as live for as long as the returned hold is not disposed and this process lives; take it before
    /// saving the run as running. Other processes see a running run without a hold as interrupted.
    /// </summary>
    Task<IAsyncDisposable> HoldRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks every run recorded as running whose process has ended (no hold on it) as interrupted, with an audit entry;
    /// returns their ids. Called when a process opens the database.
    /// </summary>
    Task<IReadOnlyList<string>> MarkInterruptedRunsAsync(CancellationToken cancellationToken = default);

    /// <summary>Every run, newest first.</summary>
    Task<IReadOnlyList<RunSummary>> ListRunsAsync(CancellationToken cancellationToken = default);

    /// <summary>Every scored instance of a run (outputs only when asked for).</summary>
    Task<IReadOnlyList<RunResultRow>> GetRunResultsAsync(string runId, bool includeOutputs = false, CancellationToken cancellationToken = default);

    /// <summary>Model × benchmark means of the main scores of a run (or of every run).</summary>
    Task<IReadOnlyList<LeaderboardRow>> GetLeaderboardAsync(string? runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a model's identity (a GGUF file's hash and size, or a hosted endpoint's model) and audits it
    /// (<c>model_registered</c>). A run's record (no <see cref="StoredModel.Trust"/>) replaces the row of its name and
    /// keeps the registry's fields while the SHA-256 is unchanged; a registration (<see cref="StoredModel.Trust"/> set)
    /// is refused when another file is recorded under the name.
    /// </summary>
    /// <exception cref="Errors.ConflictException">A registration, and the name holds a model with another SHA-256.</exception>
    Task RegisterModelAsync(StoredModel model, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes a registered model from the registry and audits it (<c>model_removed</c>, by <paramref name="removedBy"/>);
    /// the row is deleted, or, when stored results of runs name the model, only its registration is (its identity stays
    /// for their reports). Returns the entry as it was, or null when no registered model has this name.
    /// </summary>
    Task<StoredModel?> RemoveModelAsync(string name, string removedBy, CancellationToken cancellationToken = default);

    /// <summary>A model's recorded identity, or null.</summary>
    Task<StoredModel?> GetModelAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every recorded model, by name.</summary>
    Task<IReadOnlyList<StoredModel>> ListModelsAsync(CancellationToken cancellationToken = default);
}

/// <summary>The request ledger: every model call keyed, stored as it finishes, reused by resumed and identical runs.</summary>
public interface ILedgerStore
{
    /// <summary>A ledger whose writes go through one writer; dispose it (after <see cref="ICompletionLedger.FlushAsync"/>) when the run ends.</summary>
    IRunLedger OpenLedger();
}

/// <summary>A run's ledger: <see cref="ICompletionLedger"/> with a count of what it committed.</summary>
public interface IRunLedger : ICompletionLedger, IAsyncDisposable
{
    /// <summary>Entries committed so far.</summary>
    long Committed { get; }
}

/// <summary>Jury ratings and the scores computed after the generation (jury, BERTScore).</summary>
public interface IJuryStore
{
    /// <summary>The stored outputs of <paramref name="runId"/> on <paramref name="benchmark"/>, in the order they were linked.</summary>
    Task<IReadOnlyList<JuryCandidate>> GetJuryCandidatesAsync(string runId, string benchmark, CancellationToken cancellationToken = default);

    /// <summary>Every stored rating and failure of the run's judges.</summary>
    Task<IReadOnlyList<StoredJuryRating>> GetJuryRatingsAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Stores one judge's outcomes in one transaction, replacing that judge's earlier rows of the same requests.</summary>
    Task SaveJudgeOutcomesAsync(string runId, IReadOnlyList<(long RequestId, JudgeOutcome Outcome)> outcomes, CancellationToken cancellationToken = default);

    /// <summary>The requests of the run that have a stored score named <paramref name="metric"/>.</summary>
    Task<IReadOnlySet<long>> GetScoredRequestIdsAsync(string runId, string metric, CancellationToken cancellationToken = default);

    /// <summary>Stores secondary scores (never replacing a stored row); returns how many were added.</summary>
    Task<int> SaveSecondaryScoresAsync(string runId, string metric, IReadOnlyList<(long RequestId, double Value)> scores, CancellationToken cancellationToken = default);

    /// <summary>Stores (or replaces) the jury's main score of each request.</summary>
    Task SaveJuryScoresAsync(string runId, string metric, IReadOnlyList<(long RequestId, double Value)> scores, CancellationToken cancellationToken = default);
}

/// <summary>Imported datasets and their instances (and, for browsing, the benchmarks defined by imported files).</summary>
public interface IDatasetStore : IImportedBenchmarks
{
    /// <summary>
    /// Stores a validated dataset and its instances in one transaction, keyed by benchmark and the SHA-256 of its source
    /// files, with the definition file's text for a benchmark imported with <c>--definition</c>.
    /// </summary>
    Task<DatasetStoreOutcome> StoreDatasetAsync(
        ImportedDataset dataset, AccessTier access, string sourcePath, string? definitionJson = null, CancellationToken cancellationToken = default);

    /// <summary>Every import.</summary>
    Task<IReadOnlyList<StoredDataset>> ListDatasetsAsync(CancellationToken cancellationToken = default);

    /// <summary>The latest import of a benchmark (or the import with the given hash), or null.</summary>
    Task<StoredImport?> GetImportAsync(string benchmark, string? sourceSha256 = null, CancellationToken cancellationToken = default);

    /// <summary>The benchmarks that have an import made with <c>datasets import</c>.</summary>
    Task<IReadOnlyList<string>> ListImportedBenchmarksAsync(CancellationToken cancellationToken = default);
}

/// <summary>The append-only audit log.</summary>
public interface IAuditLog
{
    /// <summary>Appends one event (details as JSON; never patient text).</summary>
    Task AppendAuditAsync(string? runId, string eventName, string detailJson = "{}", CancellationToken cancellationToken = default);

    /// <summary>The events of a run (or every event), oldest first.</summary>
    Task<IReadOnlyList<AuditEvent>> GetAuditAsync(string? runId, CancellationToken cancellationToken = default);

    /// <summary>Checks the SHA-256 chain over every audit row and reports the first broken link.</summary>
    Task<AuditChainVerification> VerifyAuditChainAsync(CancellationToken cancellationToken = default);
}

/// <summary>What checking the audit chain found.</summary>
/// <param name="RowsChecked">Rows whose link was checked (up to the first broken one).</param>
/// <param name="FirstBrokenId">The audit row id of the first broken link, or null when the chain is whole.</param>
/// <param name="Problem">What is wrong there (changed, removed, not chained), or null.</param>
public sealed record AuditChainVerification(long RowsChecked, long? FirstBrokenId, string? Problem)
{
    /// <summary>True when every row is linked and unchanged.</summary>
    public bool Intact => FirstBrokenId is null;
}

/// <summary>Everything the application layer stores: one results database.</summary>
public interface IResultsDatabase : IRunStore, ILedgerStore, IJuryStore, IDatasetStore, IAuditLog, IAsyncDisposable
{
    /// <summary>Where the database lives (for messages).</summary>
    string Location { get; }

    /// <summary>The storage engine and its version (e.g. "SQLite 3.53.0"), recorded in every run's manifest.</summary>
    string EngineVersion { get; }

    /// <summary>The service's durable run queue.</summary>
    IRunQueue Queue { get; }

    /// <summary>The service's hashed API tokens.</summary>
    IApiTokenStore Tokens { get; }

    /// <summary>The service's local accounts.</summary>
    IUserStore Users { get; }
}

/// <summary>Opens the results database a request names (the configured one, or a host's <c>--db</c> file).</summary>
public interface IResultsDatabaseFactory
{
    /// <summary>Opens the database at <paramref name="path"/>, creating it (owner-only) when <paramref name="create"/>.</summary>
    /// <exception cref="Errors.NotFoundException">The file does not exist and <paramref name="create"/> is false.</exception>
    Task<IResultsDatabase> OpenAsync(string path, bool create, CancellationToken cancellationToken = default);
}
