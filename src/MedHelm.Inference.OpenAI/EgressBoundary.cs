using System.Net;
using System.Net.Sockets;

namespace MedHelm.Inference.OpenAI;

/// <summary>A connection the network boundary refused: its target, and why. Never carries a request's content.</summary>
/// <param name="Host">The host as the request named it.</param>
/// <param name="Port">The port.</param>
public sealed record EgressAttempt(string Host, int Port);

/// <summary>The network boundary refused a connection before its socket was opened.</summary>
public sealed class EgressRefusedException(EgressAttempt attempt)
    : IOException($"The network boundary refused a connection to {attempt.Host}:{attempt.Port}: only loopback and the hosts of enabled endpoints (Endpoints:Items:*:BaseUrl) may be reached.")
{
    /// <summary>The refused target.</summary>
    public EgressAttempt Attempt { get; } = attempt;

    /// <summary>The refusal somewhere in <paramref name="e"/>'s chain of inner exceptions, or null.</summary>
    public static EgressRefusedException? In(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is EgressRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }
}

/// <summary>
/// The process's one outbound HTTP transport: a <see cref="SocketsHttpHandler"/> whose connect callback permits only
/// loopback and the hosts <paramref name="isAllowedHost"/> names (those of enabled endpoints). Anything else is refused
/// before a socket is opened (no DNS look-up either) and reported to <paramref name="onRefused"/> with its target.
/// </summary>
public sealed class EgressBoundary(Func<string, bool> isAllowedHost, Func<EgressAttempt, CancellationToken, ValueTask> onRefused) : IDisposable
{
    private readonly Lazy<SocketsHttpHandler> _handler = new(() => new SocketsHttpHandler
    {
        ConnectCallback = (context, cancellationToken) => ConnectAsync(isAllowedHost, onRefused, context.DnsEndPoint, cancellationToken),
        UseProxy = false, // a proxy would be a second way out; endpoints are reached directly
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    });

    /// <summary>The shared transport every hosted client sends through.</summary>
    public HttpMessageHandler Handler => _handler.Value;

    /// <summary>True for <c>localhost</c> and literal loopback addresses (127.0.0.0/8, ::1).</summary>
    public static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>Whether a connection to <paramref name="host"/> would be permitted.</summary>
    public bool Permits(string host) => IsLoopback(host) || isAllowedHost(host);

    /// <summary>Disposes the transport.</summary>
    public void Dispose()
    {
        if (_handler.IsValueCreated)
        {
            _handler.Value.Dispose();
        }
    }

    private static async ValueTask<Stream> ConnectAsync(
        Func<string, bool> isAllowedHost, Func<EgressAttempt, CancellationToken, ValueTask> onRefused, DnsEndPoint target, CancellationToken cancellationToken)
    {
        if (!IsLoopback(target.Host) && !isAllowedHost(target.Host))
        {
            var attempt = new EgressAttempt(target.Host, target.Port);
            await onRefused(attempt, cancellationToken).ConfigureAwait(false);
            throw new EgressRefusedException(attempt);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
