using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;
using MedHelm.Inference.Worker;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>bench --worker</c>: the same concurrent requests through the chat client in this process and through an engine
/// worker process over the same model file, engine settings and llama.cpp libraries, measured in turns.
/// </summary>
/// <param name="InProcess">The best in-process measurement.</param>
/// <param name="Worker">The best worker measurement.</param>
internal sealed record WorkerOverhead(ChatThroughput InProcess, ChatThroughput Worker)
{
    /// <summary>How much fewer requests per second the worker serves, in percent (negative: it served more).</summary>
    public double OverheadPercent => (1 - (Worker.RequestsPerSecond / InProcess.RequestsPerSecond)) * 100;

    public static async Task<WorkerOverhead> MeasureAsync(
        LlamaModel loaded, string path, string name, LocalModelOptions settings, LlamaRuntimeOptions runtime, string home,
        int sequences, int requests, int promptWords, int maxTokens, int threads, int repetitions, CancellationToken cancellationToken)
    {
        var engine = settings.ToEngineOptions(threads);
        var chat = new LlamaChatClientOptions
        {
            ModelName = name,
            Engine = engine with { Context = engine.Context with { Sequences = sequences, ContextPerSequence = (promptWords * 4) + maxTokens + 256 } },
        };
        using var local = new LlamaChatClient(loaded, chat);
        var config = new EngineWorkerConfig(runtime.BackendFolder(home), runtime.Backend, path, settings.ToModelSettings(), chat);
        using var worker = await EngineWorkerClient.StartAsync(EngineWorkerLocator.StartInfo(name, config.ToJson(), null), null, cancellationToken);

        // one warm-up each, then turns, so that both see the same machine load
        await ChatThroughput.MeasureAsync(local, sequences, sequences, promptWords, maxTokens, cancellationToken);
        await ChatThroughput.MeasureAsync(worker, sequences, sequences, promptWords, maxTokens, cancellationToken);
        ChatThroughput? bestLocal = null;
        ChatThroughput? bestWorker = null;
        for (var i = 0; i < repetitions; i++)
        {
            var l = await ChatThroughput.MeasureAsync(local, requests, sequences, promptWords, maxTokens, cancellationToken);
            var w = await ChatThroughput.MeasureAsync(worker, requests, sequences, promptWords, maxTokens, cancellationToken);
            bestLocal = bestLocal is null || l.Seconds < bestLocal.Seconds ? l : bestLocal;
            bestWorker = bestWorker is null || w.Seconds < bestWorker.Seconds ? w : bestWorker;
        }

        return new WorkerOverhead(bestLocal!, bestWorker!);
    }
}
