using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace MedHelm.Cli.Tests.Support;

/// <summary>
/// An OpenAI-compatible chat endpoint on 127.0.0.1 for tests that run the real CLI against a "hosted" model: every
/// POST …/chat/completions is answered with the assistant text <paramref name="answer"/> returns for the request body.
/// </summary>
public sealed class FakeChatEndpoint : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string, string> _answer;
    private readonly Task _loop;
    private int _requests;

    public FakeChatEndpoint(Func<string, string> answer)
    {
        _answer = answer;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}/v1";

    /// <summary>Chat completion requests received so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            string body;
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
            {
                body = await reader.ReadToEndAsync();
            }

            Interlocked.Increment(ref _requests);
            var payload = JsonSerializer.SerializeToUtf8Bytes(new
            {
                id = "fake",
                @object = "chat.completion",
                model = "fake-judge",
                choices = new[] { new { index = 0, message = new { role = "assistant", content = _answer(body) }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 10, completion_tokens = 5, total_tokens = 15 },
            });
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(payload);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _ = _loop.Wait(TestTimeouts.Scale(TimeSpan.FromSeconds(5)));
    }
}
