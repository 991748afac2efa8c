using System.CommandLine;
using System.Text.Json;
using MedHelm.Inference.Llama.Benchmarks;
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
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt tokens per sequence.", DefaultValueFactory = _ => 128 };
        var genTokens = new Option<int>("--gen-tokens") { Description = "Generated tokens per sequence.", DefaultValueFactory = _ => 32 };
        var mixed = new Option<int>("--mixed-requests") { Description = "Requests in the mixed workload (0 = skip it).", DefaultValueFactory = _ => 64 };
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON." };
        var repetitions = new Option<int>("--repetitions") { Description = "Measured runs per parallelism after one warm-up run; the fastest is reported.", DefaultValueFactory = _ => 3 };
        var command = new Command("bench", "Measure prompt and generation tokens/s of the inference engine at several parallelisms, and the scheduler on a mixed workload.")
        {
            model, parallel, promptTokens, genTokens, mixed, repetitions, json,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (host, token) =>
        {
            var levels = ParseLevels(parse.GetValue(parallel)!);
            var pp = parse.GetValue(promptTokens);
            var tg = parse.GetValue(genTokens);
            if (pp < 1 || tg < 2)
            {
                throw new ArgumentException("--prompt-tokens must be at least 1 and --gen-tokens at least 2.");
            }

            var (_, path, settings) = host.ResolveModel(parse.GetValue(model)!);
            var file = new FileInfo(path);
            var runtime = host.InitializeLlama();
            var threads = host.Options<LlamaRuntimeOptions>().EffectiveThreads;
            using var loaded = LlamaModel.Load(path, settings.ToModelSettings(), host.Logger("MedHelm.Models"));
            var asJson = parse.GetValue(json);
            if (!asJson)
            {
                Console.Out.WriteLine($"model {file.Name}: {loaded.Description}, {loaded.LayerCount} layers, n_embd {loaded.EmbeddingSize}; llama.cpp {runtime.LlamaCppVersion}; backend {runtime.Backend}; threads {threads}");
                Console.Out.WriteLine();
                Console.Out.WriteLine("|    PP |     TG |    B |   S_PP t/s |   S_TG t/s |");
                Console.Out.WriteLine("|-------|--------|------|------------|------------|");
            }

            var rows = new List<ParallelThroughput>();
            foreach (var p in levels)
            {
                token.ThrowIfCancellationRequested();
                var row = EngineBenchmark.MeasureParallel(loaded, p, pp, tg, threads, parse.GetValue(repetitions));
                rows.Add(row);
                if (!asJson)
                {
                    Console.Out.WriteLine($"| {pp,5} | {tg,6} | {p,4} | {row.PromptTokensPerSecond,10:F2} | {row.GenerationTokensPerSecond,10:F2} |");
                }
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

            if (asJson)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    model = file.Name,
                    description = loaded.Description,
                    llama_cpp = runtime.LlamaCppVersion,
                    backend = runtime.Backend,
                    threads,
                    parallel = rows.Select(r => new { r.Parallel, prompt_tokens = r.PromptTokens, generated_tokens = r.GeneratedTokens, s_pp = r.PromptTokensPerSecond, s_tg = r.GenerationTokensPerSecond }),
                    mixed = mixedResult,
                }, new JsonSerializerOptions { WriteIndented = true }));
            }

            return Task.FromResult(CommandRunner.Ok);
        }));
        return command;
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
