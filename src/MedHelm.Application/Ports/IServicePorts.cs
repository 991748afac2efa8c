using MedHelm.Application.Runs;

namespace MedHelm.Application.Ports;

/// <summary>Where a queued run is in its life in the service's queue.</summary>
public enum QueueState
{
    /// <summary>Waiting for the worker (new, resumed, or interrupted by a shutdown or crash).</summary>
    Queued,

    /// <summary>The worker is executing it.</summary>
    Running,

    /// <summary>Finished.</summary>
    Completed,

    /// <summary>Ended with an error (recorded, without patient text).</summary>
    Failed,

    /// <summary>Cancelled by a user; it can be resumed.</summary>
    Cancelled,
}

/// <summary>A run in the service's queue.</summary>
/// <param name="RunId">The run's id.</param>
/// <param name="Request">What was asked for (the worker resumes the stored run when it has been started before).</param>
/// <param name="State">Where it is.</param>
/// <param name="EnqueuedUtc">When it was (last) queued.</param>
/// <param name="StartedUtc">When the worker last took it, or null.</param>
/// <param name="FinishedUtc">When it last ended, or null.</param>
/// <param name="Error">Why it failed (a typed error's message or an exception type), or null.</param>
/// <param name="RequestedBy">Who queued it (a token's name).</param>
public sealed record QueuedRun(
    string RunId, RunRequest Request, QueueState State, DateTimeOffset EnqueuedUtc, DateTimeOffset? StartedUtc, DateTimeOffset? FinishedUtc,
    string? Error, string RequestedBy);

/// <summary>The durable run queue of a service (one row per run; a queued run survives a restart).</summary>
public interface IRunQueue
{
    /// <summary>Queues a new run.</summary>
    /// <exception cref="Errors.ConflictException">A run (queued or stored) already has this id.</exception>
    Task EnqueueAsync(string runId, RunRequest request, string requestedBy, CancellationToken cancellationToken = default);

    /// <summary>The queued run, or null.</summary>
    Task<QueuedRun?> GetQueuedAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Every queued run, newest first.</summary>
    Task<IReadOnlyList<QueuedRun>> ListQueuedAsync(CancellationToken cancellationToken = default);

    /// <summary>Takes the oldest queued run and marks it running; null when none waits.</summary>
    Task<QueuedRun?> ClaimNextAsync(CancellationToken cancellationToken = default);

    /// <summary>Moves the runs left running (the service stopped without finishing them) back to queued; returns their ids.</summary>
    Task<IReadOnlyList<string>> RequeueInterruptedAsync(CancellationToken cancellationToken = default);

    /// <summary>Records how an execution ended (<see cref="QueueState.Queued"/>: interrupted by a shutdown, to continue at the next start).</summary>
    Task FinishAsync(string runId, QueueState state, string? error, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves a run from <paramref name="from"/> to <paramref name="to"/> in one transaction; false when it was not in
    /// <paramref name="from"/> (e.g. the worker took it first).
    /// </summary>
    Task<bool> TransitionAsync(string runId, QueueState from, QueueState to, CancellationToken cancellationToken = default);

    /// <summary>Queues again a run that ended (cancelled, failed, or started by the CLI), as a resume.</summary>
    /// <exception cref="Errors.ConflictException">It is queued or running.</exception>
    Task RequeueAsync(string runId, RunRequest request, string requestedBy, CancellationToken cancellationToken = default);
}

/// <summary>A role of an API caller.</summary>
public enum AccessRole
{
    /// <summary>Leaderboards, run status and reports, without patient text.</summary>
    Viewer = 1,

    /// <summary>And: start, cancel and resume runs, import datasets, read outputs and prompts.</summary>
    Operator = 2,

    /// <summary>And: register models, read the audit log.</summary>
    Admin = 3,
}

/// <summary>A stored API token (never its secret: only the secret's SHA-256).</summary>
/// <param name="Id">The token's public id (part of the token text).</param>
/// <param name="Name">Who or what it is for.</param>
/// <param name="Role">Its role.</param>
/// <param name="SecretSha256">SHA-256 of the secret part (lower-case hex).</param>
/// <param name="CreatedUtc">When.</param>
/// <param name="RevokedUtc">When revoked, or null.</param>
public sealed record StoredApiToken(string Id, string Name, AccessRole Role, string SecretSha256, DateTimeOffset CreatedUtc, DateTimeOffset? RevokedUtc);

/// <summary>API tokens, hashed.</summary>
public interface IApiTokenStore
{
    /// <summary>Stores a new token and audits its creation.</summary>
    Task AddTokenAsync(StoredApiToken token, CancellationToken cancellationToken = default);

    /// <summary>The token with this id, or null.</summary>
    Task<StoredApiToken?> FindTokenAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Every token, oldest first.</summary>
    Task<IReadOnlyList<StoredApiToken>> ListTokensAsync(CancellationToken cancellationToken = default);

    /// <summary>Revokes a token (it authenticates no more) and audits it; false when there is no such token or it was revoked already.</summary>
    Task<bool> RevokeTokenAsync(string id, CancellationToken cancellationToken = default);
}
