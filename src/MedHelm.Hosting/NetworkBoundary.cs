using System.Text.Json;
using MedHelm.Application.Options;
using MedHelm.Application.Policy;
using MedHelm.Application.Ports;
using MedHelm.Inference.OpenAI;
using Microsoft.Extensions.Logging;

namespace MedHelm.Hosting;

/// <summary>
/// The process's <see cref="EgressBoundary"/> as every host composes it: loopback and the hosts of enabled endpoints
/// are reachable; a refused connection is written to the audit log (<c>egress.refused</c>, with host and port, never
/// a payload) and logged as a warning.
/// </summary>
public static partial class NetworkBoundary
{
    /// <summary>The audit event of a refused connection.</summary>
    public const string RefusedEvent = "egress.refused";

    /// <summary>Creates the boundary; <paramref name="audit"/> is resolved at the first refusal (the database opens lazily).</summary>
    public static EgressBoundary Create(EndpointsOptions endpoints, Lazy<IAuditLog> audit, ILogger logger) =>
        new(EgressHosts.Of(endpoints), async (attempt, cancellationToken) =>
        {
            LogRefused(logger, attempt.Host, attempt.Port);
            var detail = JsonSerializer.Serialize(new Dictionary<string, object> { ["host"] = attempt.Host, ["port"] = attempt.Port });
            await audit.Value.AppendAuditAsync(null, RefusedEvent, detail, cancellationToken).ConfigureAwait(false);
        });

    [LoggerMessage(Level = LogLevel.Warning, Message = "The network boundary refused a connection to {Host}:{Port} (not loopback, not an enabled endpoint)")]
    private static partial void LogRefused(ILogger logger, string host, int port);
}
