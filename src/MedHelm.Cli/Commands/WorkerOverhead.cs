using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;
using MedHelm.Inference.Worker;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>bench --worker</c>: the same concurrent requests through the chat client in this process and through an engine
/// worker process over the same model file, engine settings and llama.cpp libraries, measured in rounds. Each round
/// sends both the same prompts, new to both (a prompt seen before would let the engine reuse its cached prefix), and
/// the two take turns going first, so that neither always meets the machine's load first.
/// </summary>
/// <param name="InProcess">Every in-process round, in order.</param>
/// <param name="Worker">Every worker round, in order.</param>
internal sealed record WorkerOverhead(IReadOnlyList<ChatThroughput> InProcess, IReadOnlyList<ChatThroughput> Worker)
{
    /// <summary>The fastest in-process round.</summary>
    public ChatThroughput BestInProcess => InProcess.MinBy(r => r.Seconds)!;

    /// <summary>The fastest worker round.</summary>
    public ChatThroughput BestWorker => Worker.MinBy(r => r.Seconds)!;

    /// <summary>Each round's overhead in percent: how much fewer requests per second the worker served (negative: more).</summary>
    public IReadOnlyList<double> RoundOverheadPercents => InProcess.Zip(Worker, Overhead).ToList();

    /// <summary>The median of <see cref="RoundOverheadPercents"/>: the figure least moved by one disturbed round.</summary>
    public double MedianOverheadPercent
    {
        get
        {
            var sorted = RoundOverheadPercents.Order().ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        }
    }

    /// <summary>The best worker round against the best in-process round, in percent.</summary>
    public double BestOverheadPercent => Overhead(BestInProcess, BestWorker);

    private static double Overhead(ChatThroughput inProcess, ChatThroughput worker) => (1 - (worker.RequestsPerSecond / inProcess.RequestsPerSecond)) * 100;

    public static async Task<WorkerOverhead> MeasureAsync(
        LlamaModel loaded, string path, string name, LocalModelOptions settings, LlamaRuntimeOptions runtime, string home,
        int sequences, int requests, int promptWords, int maxTokens, int threads, int rounds, CancellationToken cancellationToken)
    {
        var engine = settings.ToEngineOptions(threads);
        var chat = new LlamaChatClientOptions
        {
            ModelName = name,
            Engine = engine with { Context = engine.Context with { Sequences = sequences, ContextPerSequence = (promptWords * 4) + maxTokens + 256 } },
        };
        using var local = new LlamaChatClient(loaded, chat);
        var config = new EngineWorkerConfig(runtime.FolderFor(home, DeterminismMode.Fastest).Path, runtime.Backend, path, settings.ToModelSettings(), chat);
        using var worker = await EngineWorkerClient.StartAsync(EngineWorkerLocator.StartInfo(name, config.ToJson(), null), null, cancellationToken);

        // one warm-up each on prompts of their own, then the rounds
        await ChatThroughput.MeasureAsync(local, sequences, sequences, promptWords, maxTokens, cancellationToken, firstCase: 1_000_000);
        await ChatThroughput.MeasureAsync(worker, sequences, sequences, promptWords, maxTokens, cancellationToken, firstCase: 2_000_000);
        var inProcess = new List<ChatThroughput>();
        var inWorker = new List<ChatThroughput>();
        for (var round = 0; round < rounds; round++)
        {
            var first = round * requests;
            if (round % 2 == 0)
            {
                inProcess.Add(await ChatThroughput.MeasureAsync(local, requests, sequences, promptWords, maxTokens, cancellationToken, first));
                inWorker.Add(await ChatThroughput.MeasureAsync(worker, requests, sequences, promptWords, maxTokens, cancellationToken, first));
            }
            else
            {
                inWorker.Add(await ChatThroughput.MeasureAsync(worker, requests, sequences, promptWords, maxTokens, cancellationToken, first));
                inProcess.Add(await ChatThroughput.MeasureAsync(local, requests, sequences, promptWords, maxTokens, cancellationToken, first));
            }
        }

        return new WorkerOverhead(inProcess, inWorker);
    }
}
