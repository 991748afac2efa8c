using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using MedHelm.Application.Diagnostics;
using MedHelm.Application.Errors;
using MedHelm.Application.Ports;
using MedHelm.Evaluation.Results;
using Microsoft.Extensions.Logging;

namespace MedHelm.Application.Runs;

/// <summary>
/// The service's run queue over <see cref="IRunQueue"/>: queues, cancels and resumes runs, and executes the oldest
/// queued one through the <see cref="RunOrchestrator"/> (a host's worker calls <see cref="ExecuteNextAsync"/> in a
/// loop, one run at a time). A run that was started before is resumed from its stored manifest, so an interrupted run
/// computes only what is not stored. Stopping the host finishes the current batch and leaves the run queued for the next start.
/// </summary>
public sealed partial class RunQueueService(Lazy<IResultsDatabase> database, RunOrchestrator orchestrator, ILogger<RunQueueService> logger, MedHelmMetrics? metrics = null)
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _work = new(0);

    private IRunQueue Queue => database.Value.Queue;

    /// <summary>
    /// How often a server executing a run reads its queue state, to learn that another server sharing the store (a
    /// cluster over PostgreSQL) cancelled it.
    /// </summary>
    public TimeSpan CancelPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Validates what can be checked without loading anything and queues the run; returns its id.</summary>
    /// <exception cref="RequestValidationException">The request is malformed (the message names the field).</exception>
    /// <exception cref="ConflictException">The run id is in use.</exception>
    public async Task<string> EnqueueAsync(RunRequest request, string requestedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request);
        orchestrator.CheckModels(request.Models); // a model file llama.cpp would not load is refused now, not when the run starts
        var runId = request.RunId ?? $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        await Queue.EnqueueAsync(runId, request with { RunId = runId }, requestedBy, cancellationToken).ConfigureAwait(false);
        await MeasureQueueAsync().ConfigureAwait(false);
        Wake();
        return runId;
    }

    /// <summary>
    /// Cancels a queued run at once, a running one through its token (what finished stays stored), and one running on
    /// another server that shares this store by marking it cancelled in the queue: that server reads the mark within
    /// <see cref="CancelPollInterval"/> and stops the run as if it were cancelled there.
    /// </summary>
    /// <exception cref="NotFoundException">The service never queued this run.</exception>
    /// <exception cref="ConflictException">It has ended already.</exception>
    public async Task CancelAsync(string runId, string requestedBy, CancellationToken cancellationToken)
    {
        var queued = await Queue.GetQueuedAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw NoRun();
        if (queued.State == QueueState.Queued && await Queue.TransitionAsync(runId, QueueState.Queued, QueueState.Cancelled, cancellationToken).ConfigureAwait(false))
        {
            await MeasureQueueAsync().ConfigureAwait(false);
            await database.Value.AppendAuditAsync(runId, "run_cancel_requested", Json(requestedBy), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (_running.TryGetValue(runId, out var running))
        {
            await database.Value.AppendAuditAsync(runId, "run_cancel_requested", Json(requestedBy), cancellationToken).ConfigureAwait(false);
            await running.CancelAsync().ConfigureAwait(false);
            return;
        }

        // running, but not here: on another server of the cluster (or claimed here a moment ago); its watcher stops it
        if (queued.State == QueueState.Running && await Queue.TransitionAsync(runId, QueueState.Running, QueueState.Cancelled, cancellationToken).ConfigureAwait(false))
        {
            await database.Value.AppendAuditAsync(runId, "run_cancel_requested", Json(requestedBy), cancellationToken).ConfigureAwait(false);
            return;
        }

        throw new ConflictException($"The run has ended ({(await Queue.GetQueuedAsync(runId, cancellationToken).ConfigureAwait(false))?.State.ToString().ToLowerInvariant()}); there is nothing to cancel.");
    }

    /// <summary>Queues a run that ended (cancelled, failed, or started by the CLI and interrupted) to continue where it stopped.</summary>
    /// <exception cref="NotFoundException">There is no such run.</exception>
    /// <exception cref="ConflictException">It is queued, running or completed.</exception>
    public async Task ResumeAsync(string runId, string requestedBy, CancellationToken cancellationToken)
    {
        var queued = await Queue.GetQueuedAsync(runId, cancellationToken).ConfigureAwait(false);
        var stored = await database.Value.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        if (queued is null && stored is null)
        {
            throw NoRun();
        }

        if (stored?.Status == RunStatus.Completed && queued?.State is not (QueueState.Queued or QueueState.Running))
        {
            throw new ConflictException("The run has completed; there is nothing to resume.");
        }

        // a run that never got as far as being stored (e.g. its plan failed) starts again from its request
        var request = stored is null ? queued!.Request : new RunRequest([], null, [], [], RunId: runId, Resume: true);
        await Queue.RequeueAsync(runId, request, requestedBy, cancellationToken).ConfigureAwait(false);
        await MeasureQueueAsync().ConfigureAwait(false);
        Wake();
    }

    /// <summary>Moves runs left running by a stopped or crashed service back to the queue; returns their ids.</summary>
    public async Task<IReadOnlyList<string>> RecoverAsync(CancellationToken cancellationToken)
    {
        var ids = await Queue.RequeueInterruptedAsync(cancellationToken).ConfigureAwait(false);
        foreach (var id in ids)
        {
            LogRequeued(logger, id);
        }

        await MeasureQueueAsync().ConfigureAwait(false);
        return ids;
    }

    /// <summary>Waits until a run is queued or <paramref name="timeout"/> passes (the worker then looks anyway).</summary>
    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken) => _work.WaitAsync(timeout, cancellationToken);

    /// <summary>
    /// Executes the oldest queued run, if any, telling <paramref name="observerFor"/>'s observer about it; false when none
    /// waited. <paramref name="stopping"/> (the host stopping) lets the model calls in flight finish and be committed,
    /// then stops the run and leaves it queued for the next start; <paramref name="abort"/> (the host's shutdown timeout)
    /// cancels the calls in flight too.
    /// </summary>
    public async Task<bool> ExecuteNextAsync(Func<string, IRunObserver> observerFor, CancellationToken stopping, CancellationToken abort = default)
    {
        ArgumentNullException.ThrowIfNull(observerFor);
        var next = await Queue.ClaimNextAsync(stopping).ConfigureAwait(false);
        if (next is null)
        {
            return false;
        }

        await MeasureQueueAsync().ConfigureAwait(false);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(abort);
        _running[next.RunId] = cancel;
        using var watching = new CancellationTokenSource();
        var watcher = WatchForCancelAsync(next.RunId, cancel, watching.Token);
        var (state, error) = (QueueState.Completed, (string?)null);
        try
        {
            var started = await database.Value.GetRunAsync(next.RunId, CancellationToken.None).ConfigureAwait(false) is not null;
            var request = started ? new RunRequest([], null, [], [], RunId: next.RunId, Resume: true) : next.Request with { RunId = next.RunId, Resume = false };
            await orchestrator.ExecuteAsync(request, observerFor(next.RunId), cancel.Token, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested || stopping.IsCancellationRequested)
        {
            state = stopping.IsCancellationRequested ? QueueState.Queued : QueueState.Cancelled;
        }
        catch (ApplicationError e)
        {
            (state, error) = (QueueState.Failed, e.Message);
        }
        catch (Exception e) when (e is Inference.Worker.EngineWorkerExitedException or Inference.Worker.EngineWorkerCrashingException)
        {
            // the model's worker died (an abort in llama.cpp, out of memory): its message names the model and exit code
            (state, error) = (QueueState.Failed, e.Message);
        }
#pragma warning disable CA1031 // the worker outlives a run's failure: it is recorded (type only) and the next run starts
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogFailed(logger, next.RunId, e.GetType().Name);
            (state, error) = (QueueState.Failed, $"unexpected {e.GetType().Name} (see the service log)");
        }
        finally
        {
            _running.TryRemove(next.RunId, out _);
            await watching.CancelAsync().ConfigureAwait(false);
            await watcher.ConfigureAwait(false);
        }

        await Queue.FinishAsync(next.RunId, state, error, CancellationToken.None).ConfigureAwait(false);
        await MeasureQueueAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// While this server executes <paramref name="runId"/>: reads its queue state every <see cref="CancelPollInterval"/>
    /// and cancels it when another server marked it cancelled (<see cref="CancelAsync"/>). A failed read is logged and
    /// tried again at the next interval (the store may be restarting).
    /// </summary>
    private async Task WatchForCancelAsync(string runId, CancellationTokenSource cancel, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(CancelPollInterval, stop).ConfigureAwait(false);
                if ((await Queue.GetQueuedAsync(runId, stop).ConfigureAwait(false))?.State == QueueState.Cancelled)
                {
                    LogCancelledElsewhere(logger, runId);
                    await cancel.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the watcher must not end the run: a store that cannot be read now is read again
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogWatchFailed(logger, runId, e.GetType().Name);
            }
        }
    }

    /// <summary>True while the worker executes <paramref name="runId"/> in this process.</summary>
    public bool IsExecuting(string runId) => _running.ContainsKey(runId);

    private static void Validate(RunRequest request)
    {
        if (request.Resume)
        {
            throw new RequestValidationException("resume: to continue a run use its resume operation, not a new run.");
        }

        if (request.RunId is { } id && !RunIdPattern().IsMatch(id))
        {
            throw new RequestValidationException("runId: 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }

        if (request.Models.Count == 0 || request.Models.Any(string.IsNullOrWhiteSpace))
        {
            throw new RequestValidationException("models: at least one model (a Models or Endpoints name, or a GGUF file), none empty.");
        }

        if ((request.Suite is null) == (request.Benchmarks.Count == 0))
        {
            throw new RequestValidationException("benchmarks or suite: give exactly one of them.");
        }

        if (request.Suite is { } suite && suite is not (RunSuites.Demo or RunSuites.Public or RunSuites.All))
        {
            throw new RequestValidationException($"suite: one of {RunSuites.Public}, {RunSuites.All}, {RunSuites.Demo}.");
        }

        if (request.Mode is { } mode && mode is not ("corrected" or "helm"))
        {
            throw new RequestValidationException("mode: corrected or helm.");
        }

        if (request.MaxInstances is <= 0)
        {
            throw new RequestValidationException("maxInstances: a positive number, or absent for all.");
        }
    }

    /// <summary>Sets the queue-length gauge after the queue changed.</summary>
    private async Task MeasureQueueAsync()
    {
        if (metrics is not null)
        {
            var all = await Queue.ListQueuedAsync(CancellationToken.None).ConfigureAwait(false);
            metrics.QueueLength(all.Count(q => q.State == QueueState.Queued));
        }
    }

    private void Wake()
    {
        if (_work.CurrentCount == 0)
        {
            _work.Release();
        }
    }

    private static NotFoundException NoRun() => new("There is no such run in the service's queue or the results database.");

    private static string Json(string requestedBy) => System.Text.Json.JsonSerializer.Serialize(new { requested_by = requestedBy });

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex RunIdPattern();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} was interrupted (the service stopped while it ran); it is queued again and resumes")]
    private static partial void LogRequeued(ILogger logger, string runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} was cancelled on another server sharing the store; it stops here")]
    private static partial void LogCancelledElsewhere(ILogger logger, string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: its queue state could not be read ({ErrorType}); read again shortly")]
    private static partial void LogWatchFailed(ILogger logger, string runId, string errorType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} failed with an unexpected {ErrorType}")]
    private static partial void LogFailed(ILogger logger, string runId, string errorType);
}
