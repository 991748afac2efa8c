using System.Globalization;
using System.Net.Sockets;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;
using MedHelm.Inference.Worker;
using Microsoft.Extensions.Logging.Abstractions;

// medhelm's engine worker: MedHelm.Engine.Worker --connect SOCKET --config FILE (started by the model loader, not by hand).
// Exit codes: 0 the service closed the connection; 2 bad arguments; 3 the model or runtime did not load (the reason on
// standard error, which the service reports); an abort inside llama.cpp ends the process with SIGABRT (134).
if (args.Length != 4 || args[0] != "--connect" || args[2] != "--config")
{
    await Console.Error.WriteLineAsync("usage: MedHelm.Engine.Worker --connect SOCKET --config FILE (started by medhelm's model loader)");
    return 2;
}

using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
await socket.ConnectAsync(new UnixDomainSocketEndPoint(args[1]));
await using var stream = new NetworkStream(socket, ownsSocket: false);
LlamaChatClient client;
try
{
    var config = EngineWorkerConfig.FromJson(await File.ReadAllTextAsync(args[3]));
    LlamaRuntime.Initialize(config.BackendFolder, config.Backend, NullLogger.Instance, config.VerboseNativeLog);
    var model = LlamaModel.Load(config.ModelPath, config.Model, NullLogger.Instance);
    client = new LlamaChatClient(model, config.Chat, NullLogger.Instance, ownsModel: true);
}
#pragma warning disable CA1031 // the reason goes to the service (standard error), the exit code says the load failed
catch (Exception e)
#pragma warning restore CA1031
{
    await Console.Error.WriteLineAsync($"the model did not load: {e.GetType().Name}: {e.Message}");
    return 3;
}

using (client)
{
    // test-only switch: abort (SIGABRT, as llama.cpp's own asserts do) when a request arrives after this many; with a marker file,
    // only the first worker aborts (it writes the marker), so that a test can watch the restarted one finish
    var abortAfter = int.TryParse(Environment.GetEnvironmentVariable("MEDHELM_TEST_WORKER_ABORT_AFTER"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
    var marker = Environment.GetEnvironmentVariable("MEDHELM_TEST_WORKER_ABORT_MARKER");
    Action<int>? onRequest = abortAfter > 0 && (marker is null || !File.Exists(marker))
        ? count =>
        {
            if (count > abortAfter)
            {
                if (marker is not null)
                {
                    File.WriteAllText(marker, "aborted");
                }

                Environment.FailFast("test-only abort (MEDHELM_TEST_WORKER_ABORT_AFTER)");
            }
        }
        : null;
    await EngineWorkerServer.ServeAsync(stream, client, client.Context.Sequences, client.Context.ContextPerSequence, onRequest, CancellationToken.None);
}

return 0;
