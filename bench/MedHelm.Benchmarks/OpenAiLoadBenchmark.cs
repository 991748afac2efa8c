using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedHelm.Benchmarks;

/// <summary>
/// A load generator for any OpenAI-compatible server (the appliance's /v1, llama-server, vLLM): concurrent clients send
/// greedy chat completions of a calibrated prompt length and a fixed number of generated tokens (<c>ignore_eos</c>, which
/// llama-server and the appliance honour) and it reports requests/s and tokens/s from the servers' own usage counts.
/// With a reference server it measures both in turn with the same parameters and prints the ratio.
/// </summary>
/// <remarks>
/// Usage: MedHelm.Benchmarks openai --url URL --model NAME [--api-key-env VAR] [--clients 16] [--requests 64]
/// [--prompt-tokens 128] [--gen-tokens 32] [--rounds 3] [--label NAME] [--reference-url URL --reference-model NAME
/// [--reference-api-key-env VAR] [--reference-label NAME]]. URL is the API base (…/v1).
/// </remarks>
internal static class OpenAiLoadBenchmark
{
    private static readonly string[] Words =
    [
        "patient", "presented", "with", "acute", "chest", "pain", "and", "shortness", "of", "breath", "history", "hypertension",
        "diabetes", "was", "started", "on", "aspirin", "troponin", "elevated", "ecg", "showed", "elevation", "stent", "placed",
    ];

    private sealed record Target(string Label, Uri BaseUrl, string Model, string? ApiKey);

    private sealed record Figures(
        string Label, int Requests, int Clients, double Seconds, double RequestsPerSecond, double GeneratedTokensPerSecond,
        double PromptTokensMean, double GeneratedTokensMean, double LatencyP50Ms, double LatencyP95Ms, int PromptWords);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Parse(args);
        var clients = Int(options, "clients", 16);
        var requests = Int(options, "requests", 64);
        var promptTokens = Int(options, "prompt-tokens", 128);
        var genTokens = Int(options, "gen-tokens", 32);
        var targets = new List<Target> { ReadTarget(options, "", "appliance") };
        var results = new List<Figures>();
        if (options.ContainsKey("reference-url"))
        {
            targets.Add(ReadTarget(options, "reference-", "reference"));
        }

        var rounds = Int(options, "rounds", 3);
        Console.WriteLine($"{clients} concurrent clients, {requests} requests, {promptTokens} prompt tokens, {genTokens} generated tokens (greedy, ignore_eos); {rounds} rounds in turns, the best of each server reported");
        var prepared = new List<(Target Target, HttpClient Http, (int Words, int Pad) Words)>();
        try
        {
            foreach (var target in targets)
            {
                var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
                if (target.ApiKey is { Length: > 0 } key)
                {
                    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
                }

                prepared.Add((target, http, await CalibrateAsync(http, target, promptTokens)));
                await MeasureAsync(http, target, clients, clients, prepared[^1].Words, genTokens, first: 100); // warm-up round, not reported
            }

            // the servers take turns, so that a drift of the machine's speed during the run reaches both alike
            var best = new Figures?[prepared.Count];
            for (var round = 1; round <= rounds; round++)
            {
                for (var i = 0; i < prepared.Count; i++)
                {
                    // every round's prompts are new to both servers (llama-server's prompt cache would otherwise skip the prefill of a
                    // repeated prompt): an evaluation never sends the same prompt twice
                    var figures = await MeasureAsync(prepared[i].Http, prepared[i].Target, clients, requests, prepared[i].Words, genTokens, first: 1000 + ((round - 1) * requests));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {round} {figures.Label}: {figures.RequestsPerSecond:F2} requests/s"));
                    best[i] = best[i] is { } b && b.RequestsPerSecond >= figures.RequestsPerSecond ? b : figures;
                }
            }

            for (var i = 0; i < prepared.Count; i++)
            {
                var (target, figures) = (prepared[i].Target, best[i]!);
                results.Add(figures);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{figures.Label,-10} {target.BaseUrl} ({target.Model}): {figures.RequestsPerSecond:F2} requests/s, {figures.GeneratedTokensPerSecond:F1} generated tokens/s, " +
                    $"prompt {figures.PromptTokensMean:F1} tokens, generated {figures.GeneratedTokensMean:F1} tokens per request, latency p50 {figures.LatencyP50Ms:F0} ms, p95 {figures.LatencyP95Ms:F0} ms, {figures.Seconds:F2} s"));
            }
        }
        finally
        {
            foreach (var (_, http, _) in prepared)
            {
                http.Dispose();
            }
        }

        if (results.Count == 2)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ratio {results[0].Label}/{results[1].Label}: requests/s {results[0].RequestsPerSecond / results[1].RequestsPerSecond:F2}, generated tokens/s {results[0].GeneratedTokensPerSecond / results[1].GeneratedTokensPerSecond:F2}"));
        }

        Console.WriteLine("json " + JsonSerializer.Serialize(results));
        return 0;
    }

    /// <summary>The prompt of request <paramref name="index"/>: a distinct head (no two requests share a prefix past the template), then filler words and full stops.</summary>
    private static string Prompt(int index, (int Words, int Pad) length)
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"Case {index % 10000:D4}:"));
        for (var i = 0; i < length.Words; i++)
        {
            text.Append(' ').Append(Words[i * 7 % Words.Length]); // the same filler for every request: the same token count
        }

        return text.Append('.', length.Pad).ToString();
    }

    /// <summary>
    /// The number of filler words whose prompt the server counts closest to <paramref name="target"/> tokens (its chat
    /// template included): each server is calibrated with its own tokenizer and template.
    /// </summary>
    private static async Task<(int Words, int Pad)> CalibrateAsync(HttpClient http, Target server, int target)
    {
        async Task<long> CountAsync(int words, int pad = 0) => (await SendAsync(http, server, Prompt(1, (words, pad)), 1)).Usage.Prompt;
        var one = await CountAsync(1);
        if (one > target)
        {
            throw new InvalidOperationException($"{server.Label}: the chat template alone takes {one} prompt tokens, more than {target}.");
        }

        var perWord = Math.Max(0.25, (await CountAsync(9) - one) / 8.0);
        var words = Math.Max(1, 1 + (int)Math.Round((target - one) / perWord));
        var (best, bestDistance) = (1, target - one);
        var tried = new HashSet<int>();
        while (tried.Add(words))
        {
            var excess = await CountAsync(words) - target;
            if (Math.Abs(excess) < bestDistance)
            {
                (best, bestDistance) = (words, Math.Abs(excess));
            }

            if (excess == 0)
            {
                break;
            }

            words = Math.Max(1, words - (int)Math.Max(1, Math.Round(Math.Abs(excess) / perWord)) * Math.Sign(excess));
        }

        // then full stops one by one, for the last few tokens a word is too coarse for
        if (await CountAsync(best) > target && best > 1)
        {
            best--;
        }

        for (var pad = 0; pad <= 32; pad++)
        {
            var counted = await CountAsync(best, pad);
            if (counted >= target)
            {
                return counted == target ? (best, pad) : (best, Math.Max(0, pad - 1));
            }
        }

        return (best, 0);
    }

    private static async Task<Figures> MeasureAsync(HttpClient http, Target server, int clients, int requests, (int Words, int Pad) words, int genTokens, int first)
    {
        var next = -1;
        var latencies = new double[requests];
        var prompt = new long[requests];
        var generated = new long[requests];
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Math.Min(clients, requests)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var started = Stopwatch.GetTimestamp();
                var (_, usage) = await SendAsync(http, server, Prompt(first + i, words), genTokens);
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                prompt[i] = usage.Prompt;
                generated[i] = usage.Completion;
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var seconds = clock.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return new Figures(
            server.Label, requests, clients, seconds, requests / seconds, generated.Sum() / seconds, prompt.Average(), generated.Average(),
            latencies[(int)(0.5 * (requests - 1))], latencies[(int)(0.95 * (requests - 1))], words.Words);
    }

    private static async Task<(string Text, (long Prompt, long Completion) Usage)> SendAsync(HttpClient http, Target server, string prompt, int maxTokens)
    {
        var body = new JsonObject
        {
            ["model"] = server.Model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
            ["max_tokens"] = maxTokens,
            ["temperature"] = 0,
            ["ignore_eos"] = true,
        };
        using var response = await http.PostAsJsonAsync(new Uri(server.BaseUrl.ToString().TrimEnd('/') + "/chat/completions"), body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{server.Label}: HTTP {(int)response.StatusCode}: {text}");
        }

        var root = JsonNode.Parse(text)!;
        var usage = root["usage"] ?? throw new InvalidOperationException($"{server.Label}: the answer has no usage.");
        return (root["choices"]![0]!["message"]!["content"]!.GetValue<string>(), (usage["prompt_tokens"]!.GetValue<long>(), usage["completion_tokens"]!.GetValue<long>()));
    }

    private static Target ReadTarget(Dictionary<string, string> options, string prefix, string label)
    {
        var url = options.GetValueOrDefault(prefix + "url") ?? throw new ArgumentException($"--{prefix}url is required (the API base, e.g. http://127.0.0.1:5180/v1).");
        var model = options.GetValueOrDefault(prefix + "model") ?? throw new ArgumentException($"--{prefix}model is required.");
        var key = options.GetValueOrDefault(prefix + "api-key-env") is { } variable ? Environment.GetEnvironmentVariable(variable) : null;
        return new Target(options.GetValueOrDefault(prefix + "label") ?? label, new Uri(url), model, key);
    }

    internal static Dictionary<string, string> Parse(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"unexpected argument {args[i]} (options are --name value)");
            }

            options[args[i][2..]] = args[++i];
        }

        return options;
    }

    internal static int Int(Dictionary<string, string> options, string name, int fallback) =>
        options.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) is > 0 and var n ? n : throw new ArgumentException($"--{name} must be positive.") : fallback;
}
