using System.CommandLine;
using MedHelm.Application.Models;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;
using Microsoft.Extensions.AI;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm generate</c>: one chat completion from a local GGUF model, streamed to stdout.</summary>
internal static class GenerateCommand
{
    public static Command Build()
    {
        var model = new Option<string>("--model", "-m") { Description = "A model or endpoint name from appsettings.json (Models / Endpoints sections) or a GGUF file.", Required = true };
        var prompt = new Option<string>("--prompt", "-p") { Description = "The user message.", Required = true };
        var system = new Option<string?>("--system") { Description = "An optional system message." };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most output tokens.", DefaultValueFactory = _ => 128 }.Checked();
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy (deterministic).", DefaultValueFactory = _ => 0f }.Checked();
        var seed = new Option<uint>("--seed") { Description = "Sampling seed when temperature > 0.", DefaultValueFactory = _ => 42u }.Checked();
        var context = new Option<int>("--context") { Description = "Context tokens for this prompt and its output (for a GGUF path; named models use their setting).", DefaultValueFactory = _ => 4096 }.Checked();
        var command = new Command("generate", "Generate a chat answer from a local GGUF model (through llama.cpp, in-process).")
        {
            model, prompt, system, maxTokens, temperature, seed, context,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var max = parse.GetValue(maxTokens);
            if (max < 1)
            {
                throw new ArgumentException($"--max-tokens must be at least 1 (got {max}).");
            }

            var requested = parse.GetValue(model)!;
            // a typed prompt may hold patient text: only endpoints allowed to see patient data get it
            using var lease = await host.Service<IModelLoader>().LeaseChatAsync(
                requested, host.IsEndpoint(requested) ? requested : host.ResolveModel(requested).Name, Core.Catalog.AccessTier.Private,
                new ModelDefaults(Sequences: 1, ContextPerSequence: parse.GetValue(context)), token);
            var client = lease.Client;

            var messages = new List<ChatMessage>();
            if (parse.GetValue(system) is { Length: > 0 } s)
            {
                messages.Add(new ChatMessage(ChatRole.System, s));
            }

            messages.Add(new ChatMessage(ChatRole.User, parse.GetValue(prompt)!));
            var options = new ChatOptions
            {
                MaxOutputTokens = max,
                Temperature = parse.GetValue(temperature),
                Seed = parse.GetValue(seed),
            };
            UsageDetails? usage = null;
            string? reasoning = null;
            await foreach (var update in client.GetStreamingResponseAsync(messages, options, token))
            {
                Console.Out.Write(update.Text);
                usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
                reasoning = update.Contents.OfType<TextReasoningContent>().FirstOrDefault()?.Text ?? reasoning;
            }

            Console.Out.WriteLine();
            // reasoning tokens are reported even when their text is only whitespace (then nothing follows the header)
            var reasoningTokens = usage?.AdditionalCounts?.GetValueOrDefault("reasoning_tokens") ?? 0;
            if (reasoning is not null || reasoningTokens > 0)
            {
                await Console.Error.WriteLineAsync($"[reasoning, {reasoningTokens} tokens]\n{reasoning}");
            }

            await Console.Error.WriteLineAsync($"[{usage?.InputTokenCount ?? 0} prompt tokens, {usage?.OutputTokenCount ?? 0} output tokens]");
            return CommandRunner.Ok;
        }));
        return command;
    }
}
