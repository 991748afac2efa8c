using MedHelm.Application.Options;
using MedHelm.Application.Runs;
using Microsoft.Extensions.Options;

namespace MedHelm.Service.Runs;

/// <summary>
/// Executes queued runs one at a time through <see cref="RunQueueService"/>. At start it queues again the runs a
/// stopped or crashed service left running (they resume from the ledger). Stopping the host lets the current run's model
/// calls in flight (its current batch) finish and be committed, then leaves the run queued for the next start; if that
/// takes longer than <c>Service:ShutdownSeconds</c>, the calls in flight are cancelled too.
/// </summary>
internal sealed partial class RunQueueWorker(
    RunQueueService queue, RunProgressRegistry progress, IOptions<ServiceOptions> options, ILogger<RunQueueWorker> logger) : BackgroundService
{
    private readonly CancellationTokenSource _abort = new();
    private int _disposed;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // A stop that comes after the worker was disposed (seen once in the test host, where the application's own
        // shutdown and the factory's can overlap) has nothing left to stop.
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        try
        {
            // the batch in flight has Service:ShutdownSeconds to finish; then it is cancelled, and the host (whose own
            // timeout is longer: ServiceCompositionExtensions) still waits for the run's cancellation to be recorded
            _abort.CancelAfter(TimeSpan.FromSeconds(options.Value.ShutdownSeconds));
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        await using var abort = cancellationToken.Register(() => CancelUnlessDisposed(_abort));
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _abort.Dispose();
        base.Dispose();
    }

    private static void CancelUnlessDisposed(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // disposed while the host's stop was still waiting: the worker is gone already
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await queue.RecoverAsync(stoppingToken);
        var poll = TimeSpan.FromSeconds(options.Value.QueuePollSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await queue.ExecuteNextAsync(progress.Begin, stoppingToken, _abort.Token))
                {
                    await queue.WaitForWorkAsync(poll, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // a storage failure must not end the worker for the service's lifetime: log, wait, retry
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogQueueError(logger, e.GetType().Name);
                await Task.Delay(poll, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The run queue failed with {ErrorType}; retrying")]
    private static partial void LogQueueError(ILogger logger, string errorType);
}
