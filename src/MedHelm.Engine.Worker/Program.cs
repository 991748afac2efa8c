using System.Net.Sockets;
using MedHelm.Engine.Worker;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;
using MedHelm.Inference.Worker;
using Microsoft.Extensions.Logging.Abstractions;

// medhelm's engine worker: MedHelm.Engine.Worker --connect SOCKET --config FILE (started by the model loader, not by hand).
// Exit codes: 0 the service closed the connection; 2 bad arguments (or a test-only switch without its guard); 3 the model or runtime did not load (the reason on
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
    var crafted = TestOnlySwitch.CraftedModelFor(config.ModelPath, Environment.GetEnvironmentVariable);
    LlamaRuntime.Initialize(config.BackendFolder, config.Backend, NullLogger.Instance, config.VerboseNativeLog);
    var model = crafted is null
        ? LlamaModel.Load(config.ModelPath, config.Model, NullLogger.Instance)
        : LlamaModel.LoadUnvalidatedForTests(crafted, config.Model, NullLogger.Instance);
    client = new LlamaChatClient(model, config.Chat, NullLogger.Instance, ownsModel: true);
}
catch (TestOnlySwitchException e)
{
    await Console.Error.WriteLineAsync($"refused: {e.Message}");
    return 2;
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
    await EngineWorkerServer.ServeAsync(stream, client, client.Context.Sequences, client.Context.ContextPerSequence, CancellationToken.None);
}

return 0;
