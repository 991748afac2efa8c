using System.Diagnostics;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;

namespace MedHelm.Inference.Llama.Benchmarks;

/// <summary>One row of the parallel-sequences table (the figures llama-batched-bench prints).</summary>
public sealed record ParallelThroughput(int Parallel, int PromptTokens, int GeneratedTokens, double PromptSeconds, double GenerationSeconds)
{
    /// <summary>Prompt tokens per second over all sequences (llama-batched-bench's S_PP).</summary>
    public double PromptTokensPerSecond => Parallel * PromptTokens / PromptSeconds;

    /// <summary>Generated tokens per second over all sequences (llama-batched-bench's S_TG).</summary>
    public double GenerationTokensPerSecond => Parallel * GeneratedTokens / GenerationSeconds;
}

/// <summary>The scheduler on a mixed workload: many requests of varied lengths through one engine.</summary>
public sealed record MixedWorkloadThroughput(
    int Requests, int Slots, long PromptTokens, long ReusedPromptTokens, long GeneratedTokens, double Seconds, double MeanTimeToFirstTokenMs, double MeanQueueWaitMs)
{
    public double TokensPerSecond => (PromptTokens + GeneratedTokens) / Seconds;

    public double GeneratedTokensPerSecond => GeneratedTokens / Seconds;
}

/// <summary>
/// Throughput of the engine itself (the product path: scheduler, batch building, sampling), measured the way
/// llama-batched-bench measures llama.cpp: P sequences of a random prompt of <c>promptTokens</c> decoded together,
/// then <c>genTokens</c> steps of one token per sequence.
/// </summary>
public static class EngineBenchmark
{
    /// <summary>
    /// Brings the process to the steady state an evaluation runs in before anything is measured: the decode loop's
    /// .NET code is compiled again, optimised, in the background after its first calls, and on a machine with few
    /// cores that compilation competes with llama.cpp's threads. Decodes rounds of short generations at one and at
    /// several sequences until a round compiles at most two methods (logging and timers keep compiling the odd one),
    /// at most <paramref name="maxRounds"/> rounds; returns the rounds it took.
    /// </summary>
    public static int WarmUp(LlamaModel model, int threads, int maxRounds = 12)
    {
        var options = new LlamaEngineOptions
        {
            Context = new LlamaContextSettings { Sequences = 4, ContextPerSequence = 128, BatchSize = 512, Threads = threads },
            PrefixReuse = true,
        };
        using var engine = new LlamaEngine(model, options, name: "bench-warm-up");
        var random = new Random(7);
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        for (var round = 1; round <= maxRounds; round++)
        {
            engine.Generate([RandomRequest(model, random, 16, 48)]);
            engine.Generate(Enumerable.Range(0, 4).Select(_ => RandomRequest(model, random, 16, 24)).ToArray());
            Thread.Sleep(200); // the runtime batches methods for re-compilation after a short delay
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now - compiled <= 2 && round > 1)
            {
                return round;
            }

            compiled = now;
        }

        return maxRounds;
    }

    /// <summary>
    /// Runs the P-sequence measurement <paramref name="repetitions"/> times after one discarded warm-up run (JIT,
    /// graph allocation and thread start-up are not throughput) and returns the fastest run.
    /// </summary>
    public static ParallelThroughput MeasureParallel(LlamaModel model, int parallel, int promptTokens, int genTokens, int threads, int repetitions = 3, int batchSize = 2048, int microBatchSize = 512, int seed = 1)
    {
        var options = new LlamaEngineOptions
        {
            Context = new LlamaContextSettings
            {
                Sequences = parallel,
                ContextPerSequence = promptTokens + genTokens + 1,
                BatchSize = batchSize,
                MicroBatchSize = microBatchSize,
                Threads = threads,
            },
            PrefixReuse = false,
        };
        using var engine = new LlamaEngine(model, options, name: "bench");
        var random = new Random(seed);
        ParallelThroughput? best = null;
        for (var run = 0; run <= repetitions; run++)
        {
            var requests = Enumerable.Range(0, parallel).Select(_ => RandomRequest(model, random, promptTokens, genTokens)).ToArray();
            var results = engine.Generate(requests);

            // all sequences are admitted together and prefilled in the first step(s); the first token comes from the
            // prefill logits, each later token costs one decode step of all sequences
            var prefill = results.Max(r => r.Prefill.TotalSeconds);
            var decode = results.Max(r => r.Decode.TotalSeconds);
            var measured = new ParallelThroughput(parallel, promptTokens, genTokens - 1, prefill, decode);
            if (run > 0 && (best is null || measured.GenerationTokensPerSecond > best.GenerationTokensPerSecond))
            {
                best = measured;
            }
        }

        return best!;
    }

    public static MixedWorkloadThroughput MeasureMixed(LlamaModel model, int requests, int slots, int threads, int maxPromptTokens = 512, int maxGenTokens = 64, int seed = 2)
    {
        var random = new Random(seed);
        var shared = RandomTokens(model, random, 48); // a benchmark's instructions, shared by every prompt
        var workload = Enumerable.Range(0, requests).Select(_ =>
        {
            var prompt = shared.Concat(RandomTokens(model, random, random.Next(16, maxPromptTokens - shared.Length))).ToArray();
            return new GenerationRequest(prompt, random.Next(4, maxGenTokens)) { IgnoreEndOfGeneration = true };
        }).ToArray();

        var options = new LlamaEngineOptions
        {
            Context = new LlamaContextSettings { Sequences = slots, ContextPerSequence = maxPromptTokens + maxGenTokens + 16, BatchSize = 2048, MicroBatchSize = 512, Threads = threads },
            PrefixReuse = true,
        };
        using var engine = new LlamaEngine(model, options, name: "bench-mixed");
        engine.Generate([RandomRequest(model, random, 8, 2)]);
        var reusedBefore = engine.ReusedPromptTokens;
        var clock = Stopwatch.StartNew();
        var results = engine.Generate(workload);
        clock.Stop();
        return new MixedWorkloadThroughput(
            requests,
            slots,
            results.Sum(r => (long)r.PromptTokens),
            engine.ReusedPromptTokens - reusedBefore,
            results.Sum(r => (long)r.Tokens.Count),
            clock.Elapsed.TotalSeconds,
            results.Average(r => r.TimeToFirstToken.TotalMilliseconds),
            results.Average(r => r.QueueWait.TotalMilliseconds));
    }

    private static GenerationRequest RandomRequest(LlamaModel model, Random random, int promptTokens, int genTokens) =>
        new(RandomTokens(model, random, promptTokens), genTokens) { IgnoreEndOfGeneration = true };

    private static int[] RandomTokens(LlamaModel model, Random random, int count)
    {
        var vocabulary = model.Vocabulary;
        var tokens = new int[count];
        for (var i = 0; i < count; i++)
        {
            int t;
            do
            {
                t = random.Next(vocabulary.Count);
            }
            while (vocabulary.IsControl(t) || vocabulary.IsEndOfGeneration(t));

            tokens[i] = t;
        }

        return tokens;
    }
}
