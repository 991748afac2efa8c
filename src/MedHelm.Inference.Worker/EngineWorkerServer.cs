using System.Collections.Concurrent;
using System.Text.Json;
using MedHelm.Core.Inference;
using Microsoft.Extensions.AI;

namespace MedHelm.Inference.Worker;

/// <summary>
/// The worker's side of the protocol: serves a local chat client over one connection, every request concurrently (the
/// engine batches them), until the service closes the connection. Failures travel as their kind and, for a refused
/// request or invalid options, the engine's message (it names limits, not prompt text); other errors as their type only.
/// </summary>
public static class EngineWorkerServer
{
    /// <summary>Serves <paramref name="client"/> over <paramref name="connection"/>; returns when the service disconnects.</summary>
    /// <param name="connection">The connected socket stream.</param>
    /// <param name="client">The worker's local model.</param>
    /// <param name="sequences">Requests the model decodes together.</param>
    /// <param name="contextPerSequence">Its context per sequence.</param>
    /// <param name="cancellationToken">Stops serving.</param>
    public static async Task ServeAsync(
        Stream connection, IChatClient client, int sequences, int contextPerSequence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(client);
        var template = client.GetService(typeof(Llama.Chat.ChatTemplateInfo)) as Llama.Chat.ChatTemplateInfo;
        using var writeLock = new SemaphoreSlim(1, 1);
        var inFlight = new ConcurrentDictionary<long, CancellationTokenSource>();
        var tasks = new ConcurrentDictionary<long, Task>();

        async Task SendAsync(WorkerFrame frame)
        {
            await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await WorkerFrame.WriteAsync(connection, frame, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                writeLock.Release();
            }
        }

        await SendAsync(new WorkerFrame
        {
            Type = FrameType.Hello,
            Hello = new WorkerHello(sequences, contextPerSequence, template is not null, template?.ReadsDate ?? false, Environment.ProcessId),
        }).ConfigureAwait(false);

        async Task HandleAsync(WorkerFrame request, CancellationToken token)
        {
            try
            {
                var messages = request.Messages?.Deserialize<List<ChatMessage>>(AIJsonUtilities.DefaultOptions)
                    ?? throw new ArgumentException("A request without messages.");
                var options = request.Options?.ToChatOptions();
                if (request.Stream)
                {
                    await foreach (var update in client.GetStreamingResponseAsync(messages, options, token).ConfigureAwait(false))
                    {
                        await SendAsync(new WorkerFrame
                        {
                            Type = FrameType.Update, Id = request.Id, Payload = JsonSerializer.SerializeToElement(update, AIJsonUtilities.DefaultOptions),
                        }).ConfigureAwait(false);
                    }

                    await SendAsync(new WorkerFrame { Type = FrameType.Response, Id = request.Id }).ConfigureAwait(false);
                }
                else
                {
                    var response = await client.GetResponseAsync(messages, options, token).ConfigureAwait(false);
                    await SendAsync(new WorkerFrame
                    {
                        Type = FrameType.Response, Id = request.Id, Payload = JsonSerializer.SerializeToElement(response, AIJsonUtilities.DefaultOptions),
                    }).ConfigureAwait(false);
                }

            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                await TrySendAsync(new WorkerFrame { Type = FrameType.Failure, Id = request.Id, Kind = FailureKind.Cancelled }).ConfigureAwait(false);
            }
            catch (RequestRejectedException e)
            {
                await TrySendAsync(new WorkerFrame { Type = FrameType.Failure, Id = request.Id, Kind = FailureKind.Rejected, Message = e.Message }).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                await TrySendAsync(new WorkerFrame { Type = FrameType.Failure, Id = request.Id, Kind = FailureKind.Invalid, Message = e.Message }).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // one request's failure is reported to its caller; the worker serves the others
            catch (Exception e)
#pragma warning restore CA1031
            {
                await TrySendAsync(new WorkerFrame { Type = FrameType.Failure, Id = request.Id, Kind = FailureKind.Failed, Message = e.GetType().Name }).ConfigureAwait(false);
            }
            finally
            {
                if (inFlight.TryRemove(request.Id, out var cts))
                {
                    cts.Dispose();
                }

                tasks.TryRemove(request.Id, out _);
            }
        }

        async Task TrySendAsync(WorkerFrame frame)
        {
            try
            {
                await SendAsync(frame).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // the service went away: nobody is waiting for this answer
            }
        }

        try
        {
            while (await WorkerFrame.ReadAsync(connection, cancellationToken).ConfigureAwait(false) is { } frame)
            {
                switch (frame.Type)
                {
                    case FrameType.Request:
                        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        if (!inFlight.TryAdd(frame.Id, cts))
                        {
                            cts.Dispose();
                            throw new InvalidDataException($"worker protocol: request id {frame.Id} is in use.");
                        }

                        tasks[frame.Id] = HandleAsync(frame, cts.Token);
                        break;
                    case FrameType.Cancel when inFlight.TryGetValue(frame.Id, out var running):
                        await CancelQuietlyAsync(running).ConfigureAwait(false);
                        break;
                    case FrameType.Cancel:
                        break; // it ended already
                    default:
                        throw new InvalidDataException($"worker protocol: unexpected frame '{frame.Type}' from the service.");
                }
            }
        }
        finally
        {
            foreach (var cts in inFlight.Values)
            {
                await CancelQuietlyAsync(cts).ConfigureAwait(false);
            }

            await Task.WhenAll(tasks.Values).ConfigureAwait(false);
        }
    }

    private static async Task CancelQuietlyAsync(CancellationTokenSource cts)
    {
        try
        {
            await cts.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // the request ended meanwhile
        }
    }
}
