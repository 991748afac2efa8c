using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MedHelm.Core.Prompts;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Private;

namespace MedHelm.Benchmarks;

/// <summary>
/// Sends one benchmark's evaluation prompts, exactly as <c>medhelm run</c> builds them (the definition file's
/// instances through the same importer and <see cref="BenchmarkPrompt"/>, the same greedy options: max tokens and stop
/// sequences of the definition, temperature 0), to an OpenAI-compatible server with concurrent clients, and prints one
/// JSON line: wall seconds from the first request to the last answer, requests, prompt and completion tokens from the
/// server's usage counts, and the SHA-256 of each output (to compare with <c>runs show --json</c>).
/// scripts/bench-vs-llama-server.sh drives it against llama-server.
/// </summary>
/// <remarks>Usage: MedHelm.Benchmarks eval-prompts --url URL --model NAME --definition FILE --instances FILE [--clients 16].</remarks>
internal static class EvaluationPromptsBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = OpenAiLoadBenchmark.Parse(args);
        string Required(string name) => options.GetValueOrDefault(name) ?? throw new ArgumentException($"--{name} is required.");
        var url = new Uri(Required("url").TrimEnd('/') + "/chat/completions");
        var model = Required("model");
        var clients = OpenAiLoadBenchmark.Int(options, "clients", 16);

        var report = new DatasetValidationReport();
        var definition = BenchmarkDefinitionFile.Read(Required("definition"), report);
        var instances = definition is null ? [] : new GenericInstancesImporter(definition).Read(Required("instances"), new ImportContext(report));
        if (definition is null || !report.IsValid || instances.Count == 0)
        {
            Console.Error.WriteLine($"eval-prompts: the definition or the instances could not be read ({report.TotalProblems} problems).");
            return 1;
        }

        var requests = instances.Select(instance =>
        {
            var prompt = BenchmarkPrompt.Build(definition, instance);
            var messages = new JsonArray();
            if (prompt.System is not null)
            {
                messages.Add(new JsonObject { ["role"] = "system", ["content"] = prompt.System });
            }

            messages.Add(new JsonObject { ["role"] = "user", ["content"] = prompt.User });
            var body = new JsonObject { ["model"] = model, ["messages"] = messages, ["max_tokens"] = definition.MaxTokens, ["temperature"] = 0 };
            if (definition.StopSequences.Count > 0)
            {
                body["stop"] = new JsonArray(definition.StopSequences.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray());
            }

            return (instance.Id, Body: body);
        }).ToArray();

        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
        var outputs = new (string Id, string Sha256, long Prompt, long Completion)[requests.Length];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Math.Min(clients, requests.Length)).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < requests.Length; i = Interlocked.Increment(ref next))
            {
                using var response = await http.PostAsJsonAsync(url, requests[i].Body);
                var text = await response.Content.ReadAsStringAsync();
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"HTTP {(int)response.StatusCode} for instance {requests[i].Id}: {text}");
                }

                var root = JsonNode.Parse(text)!;
                var content = root["choices"]![0]!["message"]!["content"]?.GetValue<string>() ?? string.Empty;
                outputs[i] = (requests[i].Id, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))),
                    root["usage"]!["prompt_tokens"]!.GetValue<long>(), root["usage"]!["completion_tokens"]!.GetValue<long>());
            }
        }));
        clock.Stop();

        var summary = new JsonObject
        {
            ["wall_s"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
            ["requests"] = requests.Length,
            ["clients"] = clients,
            ["prompt_tokens"] = outputs.Sum(o => o.Prompt),
            ["completion_tokens"] = outputs.Sum(o => o.Completion),
            ["outputs"] = new JsonObject(outputs.OrderBy(o => o.Id, StringComparer.Ordinal).Select(o => KeyValuePair.Create(o.Id, (JsonNode?)o.Sha256))),
        };
        Console.WriteLine(summary.ToJsonString());
        return 0;
    }
}
