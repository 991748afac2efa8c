using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Application.Policy;
using MedHelm.Core.Catalog;
using MedHelm.Inference.OpenAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace MedHelm.Application.Models;

/// <summary>
/// The one place every model client is composed, for every host: a <see cref="ChatClientBuilder"/> pipeline around the
/// engine (a local llama.cpp model in process or in its worker) or the hosted endpoint's client. Outermost first:
/// for hosted endpoints the data policy (checked again on every request) and the egress check; then logging (without
/// message text, at any level) and OpenTelemetry (the <see cref="ActivitySourceName"/> source and meter, no message
/// text; exported only where a host configures an exporter).
/// </summary>
/// <param name="loggers">Loggers.</param>
/// <param name="boundary">The process's network boundary (the transport of every hosted client).</param>
public sealed class ModelClientPipeline(ILoggerFactory loggers, EgressBoundary boundary)
{
    /// <summary>The OpenTelemetry activity source and meter of model calls.</summary>
    public const string ActivitySourceName = "MedHelm.Models";

    /// <summary>The network boundary hosted clients send through.</summary>
    public EgressBoundary Boundary => boundary;

    /// <summary>
    /// A local model's client in the pipeline. Disposing the result releases the pipeline only: the engine stays with
    /// whoever owns it (the loader's cache).
    /// </summary>
    public IChatClient Local(IChatClient engine) => Compose(new NotOwnedChatClient(engine), outermost: null);

    /// <summary>
    /// A hosted endpoint's client in the pipeline: the data policy for <paramref name="tier"/> and the egress check run
    /// before every request, outside logging and telemetry. Disposing the result releases the endpoint's client.
    /// </summary>
    public IChatClient Hosted(IChatClient endpointClient, EndpointsOptions endpoints, string name, AccessTier tier)
    {
        var host = new Uri(endpoints.Items[name].BaseUrl).Host;
        return Compose(endpointClient, outermost: b => b
            .Use((messages, options, next, cancellationToken) =>
            {
                HostedDataPolicy.EnsureAllowed(endpoints, name, tier);
                return next(messages, options, cancellationToken);
            })
            .Use((messages, options, next, cancellationToken) =>
            {
                if (!boundary.Permits(host))
                {
                    throw new PolicyViolationException($"The endpoint '{name}' ({host}) is outside the network boundary: only loopback and the hosts of enabled endpoints may be reached.");
                }

                return next(messages, options, cancellationToken);
            }));
    }

    /// <summary>The pipeline around <paramref name="client"/>; ChatClientBuilder applies the first Use outermost.</summary>
    private IChatClient Compose(IChatClient client, Func<ChatClientBuilder, ChatClientBuilder>? outermost)
    {
        var builder = new ChatClientBuilder(client);
        builder = outermost?.Invoke(builder) ?? builder;
        return builder
            .Use(inner => new LoggingChatClient(inner, new ContentFreeLogger(loggers.CreateLogger("MedHelm.Models"))))
            .UseOpenTelemetry(sourceName: ActivitySourceName, configure: t => t.EnableSensitiveData = false)
            .Build();
    }

    /// <summary>Leaves its inner client undisposed: a cached local engine outlives the leases that wrap it.</summary>
    private sealed class NotOwnedChatClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        protected override void Dispose(bool disposing)
        {
            // the engine belongs to the loader's cache
        }
    }

    /// <summary>
    /// Passes on <see cref="LoggingChatClient"/>'s events without what could hold patient text: Trace (where it writes
    /// messages and answers) is never enabled, and a failure's exception object (whose message may quote a prompt) is
    /// replaced by its type in the message.
    /// </summary>
    private sealed class ContentFreeLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel > LogLevel.Trace && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var text = formatter(state, null) + (exception is null ? "" : $" ({exception.GetType().Name})");
            inner.Log(logLevel, eventId, text, null, static (s, _) => s);
        }
    }
}
