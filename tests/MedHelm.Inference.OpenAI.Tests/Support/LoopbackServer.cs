using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MedHelm.Inference.OpenAI.Tests.Support;

/// <summary>A real HTTP server on 127.0.0.1 that answers from a script and records what it received.</summary>
public sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<Func<HttpListenerResponse, Task>> _script = new();
    private readonly Task _loop;

    public LoopbackServer()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/v1");

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public void Respond(int status, string body, string contentType = "application/json", IDictionary<string, string>? headers = null) =>
        _script.Enqueue(async r =>
        {
            r.StatusCode = status;
            r.ContentType = contentType;
            foreach (var (k, v) in headers ?? new Dictionary<string, string>())
            {
                r.Headers[k] = v;
            }

            var bytes = Encoding.UTF8.GetBytes(body);
            await r.OutputStream.WriteAsync(bytes);
        });

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            Requests.Enqueue(new RecordedRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.Headers["Authorization"], await reader.ReadToEndAsync()));
            if (_script.TryDequeue(out var answer))
            {
                await answer(context.Response);
            }
            else
            {
                context.Response.StatusCode = 500;
            }

            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TestTimeouts.Scale(TimeSpan.FromSeconds(5)));
        }
        catch (AggregateException)
        {
        }
    }
}

public sealed record RecordedRequest(string Method, string Path, string? Authorization, string Body);
