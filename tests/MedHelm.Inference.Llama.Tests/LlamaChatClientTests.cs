using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Tests.Support;
using Microsoft.Extensions.AI;

namespace MedHelm.Inference.Llama.Tests;

[Collection(LlamaCollection.Name)]
public sealed class LlamaChatClientTests(LlamaFixture fixture)
{
    private static readonly ChatOptions s_greedy = new() { MaxOutputTokens = 12, Temperature = 0 };

    [Fact]
    public async Task A_response_carries_text_usage_and_finish_reason()
    {
        using var client = NewClient(sequences: 1);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Is aspirin an NSAID?")], s_greedy);

        var expectedPrompt = client.TokenizeConversation([new ChatMessage(ChatRole.User, "Is aspirin an NSAID?")]).Length;
        Assert.Equal(expectedPrompt, response.Usage!.InputTokenCount);
        Assert.InRange(response.Usage.OutputTokenCount!.Value, 0, 12);
        Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
        Assert.NotNull(response.FinishReason);
        Assert.Equal(Path.GetFileNameWithoutExtension(fixture.LlamaModelPath), response.ModelId);
        Assert.IsAssignableFrom<IChatClient>(client);
    }

    [Fact]
    public async Task The_prompt_is_the_models_own_template_rendered_at_the_requests_template_time()
    {
        using var client = NewClient(sequences: 1);
        var messages = new[] { new ChatMessage(ChatRole.User, "Is aspirin an NSAID?") };
        var time = new DateTimeOffset(2026, 3, 7, 8, 0, 0, TimeSpan.Zero);
        var prompt = client.RenderConversation(messages, time);
        Assert.Equal(
            "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 07 Mar 2026\n\n<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nIs aspirin an NSAID?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            prompt);

        var options = s_greedy.Clone();
        options.AdditionalProperties = new AdditionalPropertiesDictionary { [Core.Inference.ChatRequestProperties.ChatTemplateTime] = time };
        var response = await client.GetResponseAsync(messages, options);
        Assert.Equal(client.TokenizeConversation(messages, time).Length, response.Usage!.InputTokenCount);
        Assert.Equal(client.Model.Vocabulary.Bos, client.TokenizeConversation(messages, time)[0]); // one BOS: the template's is removed
        Assert.Equal(1, client.TokenizeConversation(messages, time).Count(t => t == client.Model.Vocabulary.Bos));
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task Streaming_gives_the_same_text_as_a_plain_response()
    {
        using var client = NewClient(sequences: 1);
        var messages = new[] { new ChatMessage(ChatRole.System, "Answer briefly."), new ChatMessage(ChatRole.User, "What is sepsis?") };
        var plain = await client.GetResponseAsync(messages, s_greedy);
        var streamed = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, s_greedy))
        {
            streamed.Add(update);
        }

        Assert.Equal(plain.Text, string.Concat(streamed.Select(u => u.Text)));
        var usage = streamed.SelectMany(u => u.Contents).OfType<UsageContent>().Single();
        Assert.Equal(plain.Usage!.OutputTokenCount, usage.Details.OutputTokenCount);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task Concurrent_requests_are_batched_and_each_gets_its_own_answer()
    {
        var questions = Enumerable.Range(0, 12).Select(i => $"Question {i}: is dose {i * 5} mg safe?").ToArray();
        Dictionary<string, string> alone;
        using (var single = NewClient(sequences: 1))
        {
            alone = [];
            foreach (var q in questions)
            {
                alone[q] = (await single.GetResponseAsync([new ChatMessage(ChatRole.User, q)], s_greedy)).Text;
            }
        }

        using var client = NewClient(sequences: 4);
        var answers = await Task.WhenAll(questions.Select(q => Task.Run(async () =>
            (q, (await client.GetResponseAsync([new ChatMessage(ChatRole.User, q)], s_greedy)).Text))));
        foreach (var (q, text) in answers)
        {
            Assert.Equal(alone[q], text);
        }
    }

    [Fact]
    public async Task An_oversized_prompt_is_refused_with_a_clear_error_and_the_client_keeps_working()
    {
        using var client = NewClient(sequences: 1, contextPerSequence: 256);
        var huge = string.Join(' ', Enumerable.Repeat("hypertension", 400));
        var e = await Assert.ThrowsAsync<PromptTooLongException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, huge)], s_greedy));
        Assert.Contains("context per sequence", e.Message, StringComparison.Ordinal);
        var ok = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "ok?")], s_greedy);
        Assert.NotNull(ok.Usage);
    }

    [Fact]
    public async Task A_cancelled_request_throws_and_others_complete()
    {
        using var client = NewClient(sequences: 1);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            client.GetResponseAsync([new ChatMessage(ChatRole.User, "cancelled")], s_greedy, cts.Token));
        var ok = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "still there?")], s_greedy);
        Assert.NotNull(ok.Usage);
    }

    private LlamaChatClient NewClient(int sequences, int contextPerSequence = 512) =>
        new(LlamaModel.Load(fixture.LlamaModelPath), new LlamaChatClientOptions
        {
            Engine = new LlamaEngineOptions { Context = new LlamaContextSettings { Sequences = sequences, ContextPerSequence = contextPerSequence, Threads = 2 } },
        }, ownsModel: true);
}
