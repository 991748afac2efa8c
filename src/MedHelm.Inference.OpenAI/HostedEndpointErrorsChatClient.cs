using System.ClientModel;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Polly.Timeout;

namespace MedHelm.Inference.OpenAI;

/// <summary>
/// Turns what the SDK and the HTTP pipeline throw into one <see cref="HostedEndpointException"/> naming the endpoint,
/// the attempts made and the status, never the body (an error body may echo the prompt); owns the endpoint's HttpClient.
/// </summary>
public sealed class HostedEndpointErrorsChatClient(IChatClient inner, string endpoint, HttpClient http) : DelegatingChatClient(inner)
{
    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var attempts = new HostedHttp.AttemptCount();
        HostedHttp.Track(attempts);
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(e, attempts.Value, cancellationToken) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var attempts = new HostedHttp.AttemptCount();
        HostedHttp.Track(attempts);
        await using var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await updates.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }
            }
            catch (Exception e) when (Translate(e, attempts.Value, cancellationToken) is { } translated)
            {
                throw translated;
            }

            yield return updates.Current;
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            http.Dispose();
        }

        base.Dispose(disposing);
    }

    private HostedEndpointException? Translate(Exception e, int attempts, CancellationToken cancellationToken)
    {
        var tries = $"after {Math.Max(attempts, 1)} attempt(s)";
        return e switch
        {
            OperationCanceledException when cancellationToken.IsCancellationRequested => null,
            HostedEndpointException => null,
            _ when EgressRefusedException.In(e) is { } refused => new HostedEndpointException($"{endpoint}: {refused.Message}", null, refused),
            ClientResultException { Status: > 0 } r => new HostedEndpointException($"{endpoint} failed {tries}: HTTP {r.Status}.", r.Status),
            ClientResultException r when r.InnerException is { } transport => new HostedEndpointException($"{endpoint} failed {tries}: {transport.Message}", null, transport),
            HttpRequestException or TimeoutRejectedException => new HostedEndpointException($"{endpoint} failed {tries}: {e.Message}", null, e),
            JsonException or FormatException or InvalidOperationException or KeyNotFoundException =>
                new HostedEndpointException($"{endpoint} answered with something that is not JSON or not a chat completion ({e.GetType().Name}).", null, null),
            _ => null,
        };
    }
}
