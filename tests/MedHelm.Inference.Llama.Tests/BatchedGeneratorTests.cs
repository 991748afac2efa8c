using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Tests.Support;

namespace MedHelm.Inference.Llama.Tests;

[Collection(LlamaCollection.Name)]
public sealed class BatchedGeneratorTests(LlamaFixture fixture)
{
    private static readonly string[] s_prompts =
    [
        "Question: Is metformin first-line therapy for type 2 diabetes? Answer:",
        "The patient reports chest pain radiating to the left arm.",
        "A",
        "Summarize the discharge note in one sentence for the family of the patient, please.",
    ];

    [Fact]
    public void Greedy_generation_is_identical_across_two_runs()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var first = GenerateAlone(model, s_prompts[0], 24);
        var second = GenerateAlone(model, s_prompts[0], 24);
        Assert.Equal(24, first.Tokens.Count);
        Assert.Equal(first.Tokens, second.Tokens);
        Assert.Equal(first.Text, second.Text);
    }

    [Fact]
    public void Four_sequences_in_one_batch_give_exactly_the_tokens_each_gives_alone()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var alone = s_prompts.Select(p => GenerateAlone(model, p, 16)).ToArray();

        using var context = new LlamaContext(model, new LlamaContextSettings { Sequences = 4, ContextPerSequence = 256, Threads = 2 });
        using var generator = new BatchedGenerator(context);
        var together = generator.Generate(s_prompts.Select(p => Request(model, p, 16)).ToArray());

        for (var i = 0; i < s_prompts.Length; i++)
        {
            Assert.Equal(alone[i].Tokens, together[i].Tokens);
            Assert.Equal(alone[i].Text, together[i].Text);
        }
    }

    [Fact]
    public void Prompts_longer_than_the_batch_are_decoded_in_chunks_with_the_same_result()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var prompt = string.Join(' ', Enumerable.Repeat("the patient has a history of hypertension and diabetes", 12));
        var whole = GenerateAlone(model, prompt, 8, batchSize: 512);
        var chunked = GenerateAlone(model, prompt, 8, batchSize: 16);
        Assert.Equal(whole.Tokens, chunked.Tokens);
    }

    [Fact]
    public void Max_tokens_limits_the_output()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var result = GenerateAlone(model, s_prompts[1], 5);
        Assert.True(result.Tokens.Count <= 5);
        if (result.FinishReason == GenerationFinishReason.MaxTokens)
        {
            Assert.Equal(5, result.Tokens.Count);
        }
    }

    [Fact]
    public void A_stop_sequence_cuts_the_output_before_it()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var free = GenerateAlone(model, s_prompts[0], 32);
        Assert.True(free.Text.Length > 4, "the random model should produce some text");
        var stop = free.Text.Substring(free.Text.Length / 2, 2);
        var cut = free.Text.IndexOf(stop, StringComparison.Ordinal);

        using var context = new LlamaContext(model, new LlamaContextSettings { ContextPerSequence = 256, Threads = 2 });
        using var generator = new BatchedGenerator(context);
        var stopped = generator.Generate([Request(model, s_prompts[0], 32) with { StopSequences = [stop] }])[0];
        Assert.Equal(GenerationFinishReason.StopSequence, stopped.FinishReason);
        Assert.Equal(free.Text[..cut], stopped.Text);
    }

    [Fact]
    public void Streamed_text_adds_up_to_the_final_text()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var pieces = new List<string>();
        using var context = new LlamaContext(model, new LlamaContextSettings { ContextPerSequence = 256, Threads = 2 });
        using var generator = new BatchedGenerator(context);
        var result = generator.Generate([Request(model, s_prompts[3], 20) with { OnText = pieces.Add }])[0];
        Assert.Equal(result.Text, string.Concat(pieces));
    }

    [Fact]
    public void A_prompt_that_cannot_fit_its_sequence_is_refused_up_front()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        using var context = new LlamaContext(model, new LlamaContextSettings { Sequences = 2, ContextPerSequence = 256, Threads = 2 });
        using var generator = new BatchedGenerator(context);
        var tokens = Enumerable.Repeat(model.Vocabulary.Tokenize("patient", false, false)[0], context.ContextPerSequence).ToArray();
        var e = Assert.Throws<PromptTooLongException>(() => generator.Generate([new GenerationRequest(tokens, 8)]));
        Assert.Equal(context.ContextPerSequence, e.ContextPerSequence);
        Assert.Contains($"{context.ContextPerSequence} tokens of context per sequence", e.Message, StringComparison.Ordinal);

        // the context is still usable afterwards
        var ok = generator.Generate([Request(model, s_prompts[2], 4)]);
        Assert.Single(ok);
    }

    [Fact]
    public void Seeded_sampling_is_reproducible()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var sampling = new SamplingSettings { Temperature = 0.9f, TopK = 40, TopP = 0.95f, Seed = 1234 };
        using var context = new LlamaContext(model, new LlamaContextSettings { ContextPerSequence = 256, Threads = 2 });
        using var generator = new BatchedGenerator(context);
        var a = generator.Generate([Request(model, s_prompts[1], 16) with { Sampling = sampling }])[0];
        var b = generator.Generate([Request(model, s_prompts[1], 16) with { Sampling = sampling }])[0];
        Assert.Equal(a.Tokens, b.Tokens);
    }

    [Fact]
    public void A_grammar_constrains_the_output()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var sampling = new SamplingSettings { Grammar = "root ::= (\"A\" | \"B\" | \"C\")" };
        using var context = new LlamaContext(model, new LlamaContextSettings { ContextPerSequence = 256, Threads = 2 });
        using var generator = new BatchedGenerator(context);
        var result = generator.Generate([Request(model, s_prompts[0], 8) with { Sampling = sampling }])[0];
        Assert.Contains(result.Text, new[] { "A", "B", "C" });
    }

    private static GenerationRequest Request(LlamaModel model, string prompt, int maxTokens) =>
        new(model.Vocabulary.Tokenize(prompt, addSpecial: true, parseSpecial: false), maxTokens);

    private static GenerationResult GenerateAlone(LlamaModel model, string prompt, int maxTokens, int batchSize = 512)
    {
        using var context = new LlamaContext(model, new LlamaContextSettings { Sequences = 1, ContextPerSequence = 512, BatchSize = batchSize, Threads = 2 });
        using var generator = new BatchedGenerator(context);
        return generator.Generate([Request(model, prompt, maxTokens)])[0];
    }
}
