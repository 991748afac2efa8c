using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace MedHelm.Inference.OpenAI;

/// <summary>
/// The HTTP pipeline of one hosted endpoint: Microsoft.Extensions.Http.Resilience's handler (retries on 429, 5xx and
/// transport failures with exponential back-off that honours Retry-After; a timeout per attempt) over the process's
/// one egress-guarded <see cref="SocketsHttpHandler"/> (<see cref="EgressBoundary"/>). A connection the boundary
/// refuses is not retried. Logs carry the host, status codes and delays, never a body.
/// </summary>
public static partial class HostedHttp
{
    private static readonly AsyncLocal<AttemptCount?> Attempts = new();

    /// <summary>An HttpClient for <paramref name="options"/>' endpoint over <paramref name="transport"/> (not disposed with the client).</summary>
    public static HttpClient CreateClient(OpenAICompatibleOptions options, HttpMessageHandler transport, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (options.MaxRetries > 0) // Polly's retry strategy needs at least one retry; none configured: no retry strategy
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
                OnRetry = args =>
                {
                    var status = args.Outcome.Result is { } r ? (int)r.StatusCode : 0;
                    LogRetry(logger, options.BaseAddress.Host, status, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            });
        }

        var pipeline = builder.AddTimeout(new HttpTimeoutStrategyOptions { Timeout = options.Timeout }).Build();
        var handler = new ResilienceHandler(pipeline) { InnerHandler = new CountingHandler { InnerHandler = new SharedTransport(transport) } };
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Counts the attempts of the requests sent while <paramref name="count"/> is the current one.</summary>
    internal static void Track(AttemptCount count) => Attempts.Value = count;

    /// <summary>What the default retry strategy retries, less a connection refused by the network boundary.</summary>
    internal static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: { } e } when EgressRefusedException.In(e) is not null => false,
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result: { } r } => r.StatusCode == HttpStatusCode.TooManyRequests || r.StatusCode == HttpStatusCode.RequestTimeout || (int)r.StatusCode >= 500,
        _ => false,
    };

    /// <summary>A mutable attempt counter that flows with the request's async context.</summary>
    internal sealed class AttemptCount
    {
        public int Value;
    }

    /// <summary>Counts each attempt the resilience handler makes.</summary>
    private sealed class CountingHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Attempts.Value is { } count)
            {
                Interlocked.Increment(ref count.Value);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Hands requests to the process's shared transport, which outlives this client: disposing it disposes nothing.</summary>
    private sealed class SharedTransport(HttpMessageHandler transport) : DelegatingHandler(transport)
    {
        protected override void Dispose(bool disposing)
        {
            // the transport is the process's one egress-guarded handler; only its owner disposes it
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hosted endpoint {Host} answered {Status}; retry {Attempt} in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, string host, int status, int attempt, double delayMs);
}
