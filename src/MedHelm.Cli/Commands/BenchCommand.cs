using System.CommandLine;
using System.Text.Json;
using MedHelm.Cli.Hosting;
using MedHelm.Evaluation.Files;
using MedHelm.Inference.Llama.Benchmarks;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm bench</c>: engine throughput, printed like llama-batched-bench, plus a mixed workload.</summary>
internal static class BenchCommand
{
    public static Command Build()
    {
        var model = new Option<string>("--model", "-m") { Description = "A model name from appsettings.json (Models section) or a GGUF file.", Required = true };
        var parallel = new Option<string>("--parallel") { Description = "Comma-separated numbers of sequences decoded together.", DefaultValueFactory = _ => "1,4,8,16" };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt tokens per sequence.", DefaultValueFactory = _ => 128 }.Checked();
        var genTokens = new Option<int>("--gen-tokens") { Description = "Generated tokens per sequence.", DefaultValueFactory = _ => 32 }.Checked();
        var mixed = new Option<int>("--mixed-requests") { Description = "Requests in the mixed workload (0 = skip it).", DefaultValueFactory = _ => 64 }.Checked();
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON." };
        var repetitions = new Option<int>("--repetitions") { Description = "Measured runs per parallelism after one warm-up run; the fastest is reported.", DefaultValueFactory = _ => 3 }.Checked();
        var reference = new Option<string?>("--reference")
        {
            Description = "llama-batched-bench to measure beside the engine, same model, parameters and run, for the ratio column; 'none' skips it. [default: the one in the engine's backend folder (scripts/build-batched-bench.sh), else the native build's]",
        };
        var worker = new Option<bool>("--worker")
        {
            Description = "Also send the same requests through the chat client in this process and through an engine worker process (ModelLoader:Placement Worker), at the largest --parallel, in --repetitions rounds that take turns going first, and print each round's overhead of the worker and their median.",
        };
        var command = new Command("bench", "Measure prompt and generation tokens/s of the inference engine at several parallelisms (beside llama.cpp's llama-batched-bench when built), and the scheduler on a mixed workload.")
        {
            model, parallel, promptTokens, genTokens, mixed, repetitions, reference, worker, json,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var levels = ParseLevels(parse.GetValue(parallel)!);
            var pp = parse.GetValue(promptTokens);
            var tg = parse.GetValue(genTokens);
            if (pp < 1 || tg < 2)
            {
                throw new ArgumentException("--prompt-tokens must be at least 1 and --gen-tokens at least 2.");
            }

            var reps = parse.GetValue(repetitions);
            if (reps < 1)
            {
                throw new ArgumentException("--repetitions must be at least 1.");
            }

            var (_, path, settings) = host.ResolveModel(parse.GetValue(model)!);
            RegularFiles.EnsureRegular(path, "GGUF model file");
            var file = new FileInfo(path);
            var runtimeOptions = host.Options<LlamaRuntimeOptions>();
            var referenceTool = ResolveReference(parse.GetValue(reference), runtimeOptions, host);
            var runtime = host.InitializeLlama(DeterminismMode.Fastest); // llama.cpp's default kernels, as llama-batched-bench's
            var threads = runtimeOptions.EffectiveThreads;
            // llama.cpp's defaults on both sides (repacked weights, flash attention automatic), as llama-batched-bench runs
            // them; the cost of each Determinism mode over a whole evaluation is scripts/determinism-bench.sh's
            using var loaded = LlamaModel.Load(path, settings.ToModelSettings() with { RepackWeights = true }, host.Logger("MedHelm.Models"));
            var asJson = parse.GetValue(json);
            var warmUpRounds = EngineBenchmark.WarmUp(loaded, threads);
            var sameBuild = referenceTool is not null
                && string.Equals(Path.GetDirectoryName(referenceTool.Executable), Path.GetFullPath(runtime.Folder).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal);
            if (!asJson)
            {
                Console.Out.WriteLine($"model {file.Name}: {loaded.Description}, {loaded.LayerCount} layers, n_embd {loaded.EmbeddingSize}; llama.cpp {runtime.LlamaCppVersion}; backend {runtime.Backend}; threads {threads}; warm-up rounds {warmUpRounds}");
                Console.Out.WriteLine(referenceTool is null
                    ? "reference: none (build llama-batched-bench with scripts/build-batched-bench.sh, or pass --reference PATH)"
                    : $"reference: {referenceTool.Executable}, run after the engine at each parallelism with the same parameters{(sameBuild ? ", on the same llama.cpp libraries" : $" (not beside the engine's libraries in {runtime.Folder}: the ratio may also compare two llama.cpp builds)")}");
                Console.Out.WriteLine();
                Console.Out.WriteLine(referenceTool is null
                    ? "|    PP |     TG |    B |   S_PP t/s |   S_TG t/s |"
                    : "|    PP |     TG |    B |   S_PP t/s |   S_TG t/s | ref S_PP t/s | ref S_TG t/s | S_TG ratio |");
                Console.Out.WriteLine(referenceTool is null
                    ? "|-------|--------|------|------------|------------|"
                    : "|-------|--------|------|------------|------------|--------------|--------------|------------|");
            }

            var rows = new List<(ParallelThroughput Engine, ParallelThroughput? Reference)>();
            foreach (var p in levels)
            {
                token.ThrowIfCancellationRequested();
                var row = EngineBenchmark.MeasureParallel(loaded, p, pp, tg, threads, reps);
                var referenceRow = referenceTool?.Measure(path, p, pp, tg, threads, reps);
                rows.Add((row, referenceRow));
                if (!asJson)
                {
                    Console.Out.WriteLine(referenceRow is null
                        ? $"| {pp,5} | {tg,6} | {p,4} | {row.PromptTokensPerSecond,10:F2} | {row.GenerationTokensPerSecond,10:F2} |"
                        : $"| {pp,5} | {tg,6} | {p,4} | {row.PromptTokensPerSecond,10:F2} | {row.GenerationTokensPerSecond,10:F2} | {referenceRow.PromptTokensPerSecond,12:F2} | {referenceRow.GenerationTokensPerSecond,12:F2} | {row.GenerationTokensPerSecond / referenceRow.GenerationTokensPerSecond,10:F2} |");
                }
            }

            var gain = BatchingGain(rows.Select(r => r.Engine).ToList());
            var referenceGain = referenceTool is null ? null : BatchingGain(rows.Select(r => r.Reference!).ToList());
            if (!asJson && gain is { } g)
            {
                Console.Out.WriteLine();
                Console.Out.WriteLine($"generation gain, {g.Parallel} sequences vs 1: engine {g.Gain:F2}x{(referenceGain is { } rg ? $", llama-batched-bench {rg.Gain:F2}x" : string.Empty)}");
            }

            MixedWorkloadThroughput? mixedResult = null;
            var requests = parse.GetValue(mixed);
            if (requests > 0)
            {
                token.ThrowIfCancellationRequested();
                mixedResult = EngineBenchmark.MeasureMixed(loaded, requests, levels.Max(), threads);
                if (!asJson)
                {
                    Console.Out.WriteLine();
                    Console.Out.WriteLine($"mixed workload: {mixedResult.Requests} requests, {mixedResult.Slots} slots, prompts 64-512 tokens sharing a 48-token prefix, 4-64 generated tokens");
                    Console.Out.WriteLine($"  {mixedResult.PromptTokens} prompt tokens ({mixedResult.ReusedPromptTokens} reused), {mixedResult.GeneratedTokens} generated in {mixedResult.Seconds:F2} s");
                    Console.Out.WriteLine($"  {mixedResult.TokensPerSecond:F1} tokens/s total, {mixedResult.GeneratedTokensPerSecond:F1} generated tokens/s, mean time to first token {mixedResult.MeanTimeToFirstTokenMs:F0} ms, mean queue wait {mixedResult.MeanQueueWaitMs:F0} ms");
                }
            }

            WorkerOverhead? overhead = null;
            if (parse.GetValue(worker))
            {
                var name = Path.GetFileNameWithoutExtension(path);
                var requestsThrough = Math.Max(64, levels.Max() * 4);
                overhead = await WorkerOverhead.MeasureAsync(loaded, path, name, settings, runtimeOptions, host.Home, levels.Max(), requestsThrough, pp, tg, threads, reps, token);
                if (!asJson)
                {
                    Console.Out.WriteLine();
                    Console.Out.WriteLine($"engine worker: {requestsThrough} requests per round, {levels.Max()} at once, ~{pp} prompt words, up to {tg} generated tokens, through the chat client; {reps} rounds, new prompts each, taking turns to go first");
                    for (var i = 0; i < reps; i++)
                    {
                        var (l, w) = (overhead.InProcess[i], overhead.Worker[i]);
                        Console.Out.WriteLine($"  round {i + 1} ({(i % 2 == 0 ? "in process first" : "worker first")}): in process {l.RequestsPerSecond:F2} req/s ({l.GeneratedTokensPerSecond:F1} generated tok/s); worker {w.RequestsPerSecond:F2} req/s ({w.GeneratedTokensPerSecond:F1} generated tok/s); overhead {overhead.RoundOverheadPercents[i]:F1}%");
                    }

                    Console.Out.WriteLine($"  overhead: median of the rounds {overhead.MedianOverheadPercent:F1}% (from {overhead.RoundOverheadPercents.Min():F1}% to {overhead.RoundOverheadPercents.Max():F1}%); best against best {overhead.BestOverheadPercent:F1}% (in process {overhead.BestInProcess.RequestsPerSecond:F2}, worker {overhead.BestWorker.RequestsPerSecond:F2} req/s)");
                }
            }

            if (asJson)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    model = file.Name,
                    description = loaded.Description,
                    llama_cpp = runtime.LlamaCppVersion,
                    backend = runtime.Backend,
                    threads,
                    warm_up_rounds = warmUpRounds,
                    reference = referenceTool?.Executable,
                    reference_same_libraries = referenceTool is null ? (bool?)null : sameBuild,
                    parallel = rows.Select(r => new
                    {
                        r.Engine.Parallel,
                        prompt_tokens = r.Engine.PromptTokens,
                        generated_tokens = r.Engine.GeneratedTokens,
                        s_pp = r.Engine.PromptTokensPerSecond,
                        s_tg = r.Engine.GenerationTokensPerSecond,
                        reference = r.Reference is { } f ? new { s_pp = f.PromptTokensPerSecond, s_tg = f.GenerationTokensPerSecond } : null,
                        s_tg_ratio = r.Reference is { } q ? r.Engine.GenerationTokensPerSecond / q.GenerationTokensPerSecond : (double?)null,
                    }),
                    generation_gain = gain?.Gain,
                    reference_generation_gain = referenceGain?.Gain,
                    mixed = mixedResult,
                    worker = overhead is null ? null : new
                    {
                        in_process = overhead.InProcess,
                        in_worker = overhead.Worker,
                        round_overhead_percent = overhead.RoundOverheadPercents,
                        median_overhead_percent = overhead.MedianOverheadPercent,
                        best_overhead_percent = overhead.BestOverheadPercent,
                    },
                }, new JsonSerializerOptions { WriteIndented = true }));
            }

            return CommandRunner.Ok;
        }));
        return command;
    }

    /// <summary>
    /// The llama-batched-bench to run beside the engine: the named file, none for "none", else the one in the folder the
    /// engine loads for Determinism Fastest (cpu-native/ when installed: scripts/build-batched-bench.sh puts a copy
    /// there), else the one in the backend folder (scripts/build-batched-bench.sh, or the native build's), else the
    /// native build's.
    /// </summary>
    private static BatchedBenchReference? ResolveReference(string? option, LlamaRuntimeOptions runtime, CliHost host)
    {
        if (string.Equals(option, "none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (option is not null)
        {
            var executable = host.ResolvePath(option);
            RegularFiles.EnsureRegular(executable, "llama-batched-bench executable");
            return new BatchedBenchReference(executable);
        }

        var own = runtime.BackendFolder(host.Home);
        var candidates = new[] { runtime.FolderFor(host.Home, DeterminismMode.Fastest).Path, own, Path.Combine(Path.GetDirectoryName(own)!, "native") };
        var built = candidates.Select(folder => Path.Combine(folder, "llama-batched-bench")).FirstOrDefault(File.Exists);
        return built is null ? null : new BatchedBenchReference(built);
    }

    /// <summary>Generation tokens/s at the largest parallelism over that at one sequence, when both were measured.</summary>
    private static (int Parallel, double Gain)? BatchingGain(IReadOnlyList<ParallelThroughput> rows)
    {
        var one = rows.Where(r => r.Parallel == 1).MaxBy(r => r.GenerationTokensPerSecond);
        var most = rows.MaxBy(r => r.Parallel);
        return one is null || most is null || most.Parallel == 1
            ? null
            : (most.Parallel, most.GenerationTokensPerSecond / one.GenerationTokensPerSecond);
    }

    private static int[] ParseLevels(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var levels = new List<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, out var p) || p < 1 || p > 256)
            {
                throw new ArgumentException($"--parallel: '{part}' is not a number of sequences between 1 and 256.");
            }

            levels.Add(p);
        }

        return levels.Count > 0 ? [.. levels] : throw new ArgumentException("--parallel needs at least one number.");
    }
}
