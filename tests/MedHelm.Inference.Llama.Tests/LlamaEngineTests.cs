using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Tests.Support;

namespace MedHelm.Inference.Llama.Tests;

[Collection(LlamaCollection.Name)]
public sealed class LlamaEngineTests(LlamaFixture fixture)
{
    private static readonly DateTime TemplateTime = new(2026, 3, 7, 0, 0, 0, DateTimeKind.Utc);

    private const string SharedInstructions =
        "Answer the following question about the abstract with A for yes, B for no or C for maybe. Reply with the letter only. ";

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

        using var engine = NewEngine(model, slots: 4, prefixReuse: false);
        var together = engine.Generate(s_prompts.Select(p => Request(model, p, 16)).ToArray());

        for (var i = 0; i < s_prompts.Length; i++)
        {
            Assert.Equal(alone[i].Tokens, together[i].Tokens);
            Assert.Equal(alone[i].Text, together[i].Text);
        }

        Assert.Equal(4, together.Select(r => r.Slot).Distinct().Count());
    }

    [Fact]
    public void Greedy_outputs_are_the_same_with_1_and_16_slots_and_prefix_reuse()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var prompts = Enumerable.Range(0, 32).Select(i => SharedInstructions + $"Abstract {i}: the dose was {i * 7} mg in {i + 3} patients. Answer:").ToArray();
        var requests = prompts.Select(p => Request(model, p, 10)).ToArray();

        IReadOnlyList<GenerationResult> one, sixteen;
        using (var engine = NewEngine(model, slots: 1, prefixReuse: true))
        {
            one = engine.Generate(requests);
        }

        using (var engine = NewEngine(model, slots: 16, prefixReuse: true))
        {
            sixteen = engine.Generate(requests);
            Assert.True(engine.ReusedPromptTokens > 0, "the shared instructions should have been reused");
        }

        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(one[i].Tokens, sixteen[i].Tokens);
        }
    }

    [Fact]
    public void A_shared_prefix_is_decoded_once_and_reported_as_saved()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        using var engine = NewEngine(model, slots: 2, prefixReuse: true, minPrefix: 8);
        var first = engine.Generate([Request(model, SharedInstructions + "Abstract: one. Answer:", 4)])[0];
        var second = engine.Generate([Request(model, SharedInstructions + "Abstract: two. Answer:", 4)])[0];

        Assert.Equal(0, first.ReusedPromptTokens);
        var shared = model.Vocabulary.Tokenize(SharedInstructions + "Abstract:", addSpecial: true, parseSpecial: false).Length;
        Assert.InRange(second.ReusedPromptTokens, shared - 2, second.PromptTokens - 1);
        Assert.Equal(second.ReusedPromptTokens, engine.ReusedPromptTokens);
        Assert.Equal(first.PromptTokens + second.PromptTokens - second.ReusedPromptTokens, engine.DecodedPromptTokens);

        // reuse does not change the answer
        Assert.Equal(GenerateAlone(model, SharedInstructions + "Abstract: two. Answer:", 4).Tokens, second.Tokens);
    }

    [Fact]
    public void Requests_admitted_together_decode_their_shared_prefix_once()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var prompts = Enumerable.Range(0, 4).Select(i => SharedInstructions + $"Abstract {i}: {i + 2} patients. Answer:").ToArray();
        var requests = prompts.Select(p => Request(model, p, 6)).ToArray();
        var alone = prompts.Select(p => GenerateAlone(model, p, 6)).ToArray();

        using var engine = NewEngine(model, slots: 4, minPrefix: 8);
        var together = engine.Generate(requests);

        // the first computes the instructions; each later one copies them from it instead of waiting for nothing
        var shared = requests[0].PromptTokens.Zip(requests[1].PromptTokens).TakeWhile(p => p.First == p.Second).Count();
        Assert.True(shared > 20, $"the prompts share only {shared} tokens");
        Assert.Equal(0, together[0].ReusedPromptTokens);
        Assert.All(together.Skip(1), r => Assert.Equal(shared, r.ReusedPromptTokens));
        Assert.Equal(3 * shared, engine.ReusedPromptTokens);
        Assert.Equal(requests.Sum(r => r.PromptTokens.Count) - 3 * shared, engine.DecodedPromptTokens);
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(alone[i].Tokens, together[i].Tokens);
        }
    }

    [Fact]
    public async Task A_request_waiting_for_a_cancelled_siblings_prefix_decodes_its_whole_prompt_itself()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var instructions = string.Concat(Enumerable.Repeat(SharedInstructions, 4));
        var first = Request(model, instructions + "Abstract: one. Answer:", 4);
        var second = Request(model, instructions + "Abstract: two. Answer:", 4);
        var expected = GenerateAlone(model, instructions + "Abstract: two. Answer:", 4);

        // two tokens per step: the first needs well over a hundred steps to decode the shared part
        using var engine = NewEngine(model, slots: 2, minPrefix: 8, batchSize: 2);
        using var cts = new CancellationTokenSource();
        var donor = engine.SubmitAsync(first, cts.Token);
        var waiter = engine.SubmitAsync(second);
        while (engine.ActiveSequences < 2 && !waiter.IsCompleted)
        {
            await Task.Yield();
        }

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => donor);
        var result = await waiter;
        Assert.Equal(expected.Tokens, result.Tokens);
        Assert.Equal(0, result.ReusedPromptTokens);
        Assert.Equal(second.PromptTokens.Count, engine.DecodedPromptTokens);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task Two_hundred_concurrent_requests_from_eight_threads_all_complete_with_their_own_outputs()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var distinct = Enumerable.Range(0, 20).Select(i => $"Case {i}: {new string('x', i % 5)} fever of {37 + i % 4}.{i} C, treat? ").ToArray();
        Dictionary<string, int[]> expected;
        using (var single = NewEngine(model, slots: 1, prefixReuse: false))
        {
            expected = distinct.ToDictionary(p => p, p => single.Generate([Request(model, p, 6)])[0].Tokens.ToArray());
        }

        using var engine = NewEngine(model, slots: 8, prefixReuse: true, minPrefix: 4);
        var results = new ConcurrentBag<(string Prompt, int[] Tokens)>();
        var threads = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var mine = Enumerable.Range(0, 25).Select(i => distinct[(t * 25 + i) % distinct.Length]).ToArray();
            var outputs = await Task.WhenAll(mine.Select(p => engine.SubmitAsync(Request(model, p, 6))));
            for (var i = 0; i < mine.Length; i++)
            {
                results.Add((mine[i], outputs[i].Tokens.ToArray()));
            }
        })).ToArray();
        await Task.WhenAll(threads);

        Assert.Equal(200, results.Count);
        foreach (var (prompt, tokens) in results)
        {
            Assert.Equal(expected[prompt], tokens);
        }

        Assert.Equal(0, engine.QueueDepth);
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
        Assert.True(result.FinishReason is GenerationFinishReason.MaxTokens or GenerationFinishReason.EndOfGeneration);
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

        using var engine = NewEngine(model, slots: 1);
        var stopped = engine.Generate([Request(model, s_prompts[0], 32) with { StopSequences = [stop] }])[0];
        Assert.Equal(GenerationFinishReason.StopSequence, stopped.FinishReason);
        Assert.Equal(free.Text[..cut], stopped.Text);
    }

    [Fact]
    public void Streamed_text_adds_up_to_the_final_text()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var pieces = new List<string>();
        using var engine = NewEngine(model, slots: 1);
        var result = engine.Generate([Request(model, s_prompts[3], 20) with { OnText = pieces.Add }])[0];
        Assert.Equal(result.Text, string.Concat(pieces));
    }

    [Fact]
    public void A_prompt_that_cannot_fit_its_sequence_is_refused_up_front_and_the_engine_keeps_working()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        using var engine = NewEngine(model, slots: 2);
        var tokens = Enumerable.Repeat(model.Vocabulary.Tokenize("patient", false, false)[0], engine.Context.ContextPerSequence).ToArray();
        var e = Assert.Throws<PromptTooLongException>(() => { _ = engine.SubmitAsync(new GenerationRequest(tokens, 8)); });
        Assert.Equal(engine.Context.ContextPerSequence, e.ContextPerSequence);
        Assert.Contains($"{engine.Context.ContextPerSequence} tokens of context per sequence", e.Message, StringComparison.Ordinal);

        var ok = engine.Generate([Request(model, s_prompts[2], 4)]);
        Assert.Single(ok);
    }

    [Fact]
    public void Seeded_sampling_is_reproducible_and_differs_from_greedy()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var sampling = new SamplingSettings { Temperature = 1.5f, TopK = 0, TopP = 1f, Seed = 1234 };
        using var engine = NewEngine(model, slots: 2);
        var a = engine.Generate([Request(model, s_prompts[1], 16) with { Sampling = sampling }])[0];
        var b = engine.Generate([Request(model, s_prompts[1], 16) with { Sampling = sampling }])[0];
        Assert.Equal(a.Tokens, b.Tokens);
    }

    [Fact]
    public void A_grammar_constrains_the_output()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var sampling = new SamplingSettings { Grammar = "root ::= (\"A\" | \"B\" | \"C\")" };
        using var engine = NewEngine(model, slots: 1);
        var result = engine.Generate([Request(model, s_prompts[0], 8) with { Sampling = sampling }])[0];
        Assert.Contains(result.Text, new[] { "A", "B", "C" });
    }

    [Fact]
    public async Task Cancelling_a_running_request_frees_its_slot()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        using var engine = NewEngine(model, slots: 1, contextPerSequence: 2048);
        using var cts = new CancellationTokenSource();
        var long1 = engine.SubmitAsync(Request(model, s_prompts[0], 1500), cts.Token);
        await Task.Delay(50);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => long1);
        var next = await engine.SubmitAsync(Request(model, s_prompts[2], 3));
        Assert.InRange(next.Tokens.Count, 0, 3);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_request_cancelled_while_waiting_for_a_slot_is_answered_before_the_slot_frees()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        using var engine = NewEngine(model, slots: 1, contextPerSequence: 2048);
        // the busy slot decodes far longer than the one step the engine takes to answer a cancelled waiter
        var running = engine.SubmitAsync(Request(model, s_prompts[0], 400) with { IgnoreEndOfGeneration = true });
        using var cts = new CancellationTokenSource();
        var waiting = engine.SubmitAsync(Request(model, s_prompts[1], 4), cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.False(running.IsCompleted, "the waiter was answered while the slot was still busy");
        await running;
    }

    [Fact]
    public void Reasoning_is_separated_from_the_answer_on_a_deepseek_r1_model()
    {
        using var model = LlamaModel.Load(fixture.DeepSeekModelPath);
        var reasoning = new ReasoningSettings { Enabled = true, ThinkingBudget = 64 };
        using var engine = NewEngine(model, slots: 2, reasoning: reasoning);
        // the random weights are steered into the R1 output shape by a grammar; the split itself is the engine's
        var shape = new SamplingSettings { Grammar = "root ::= \"<think>\" [a-z ]{3,12} \"</think>\" [ABC]" };
        var prompt = model.Vocabulary.Tokenize(model.ApplyChatTemplate([("user", "Is aspirin an NSAID? Answer A, B or C.")], true, TemplateTime), true, true);
        var result = engine.Generate([new GenerationRequest(prompt, 4) { Sampling = shape, StopSequences = ["\n"] }])[0];

        Assert.Matches("^[ABC]$", result.Text);
        Assert.Matches("^[a-z ]{0,12}$", result.Reasoning);
        Assert.InRange(result.ReasoningTokens, 3, result.Tokens.Count - 1);
        Assert.False(result.ThinkingBudgetExhausted);
        Assert.Equal(GenerationFinishReason.EndOfGeneration, result.FinishReason);
    }

    [Fact]
    public void An_exhausted_thinking_budget_forces_the_close_tag_and_the_answer_follows()
    {
        using var model = LlamaModel.Load(fixture.DeepSeekModelPath);
        // as with a template that opens the reasoning block in the prompt: everything generated is reasoning
        var reasoning = new ReasoningSettings { Enabled = true, ThinkingBudget = 5, StartsInReasoning = true };
        using var engine = NewEngine(model, slots: 1, reasoning: reasoning);
        var prompt = model.Vocabulary.Tokenize(model.ApplyChatTemplate([("user", "Think long.")], true, TemplateTime), true, true);
        var result = engine.Generate([new GenerationRequest(prompt, 3)])[0];

        Assert.True(result.ThinkingBudgetExhausted);
        Assert.True(result.ReasoningTokens >= 5);
        Assert.True(result.Tokens.Count > result.ReasoningTokens || result.FinishReason == GenerationFinishReason.EndOfGeneration);
        Assert.DoesNotContain("</think>", result.Reasoning, StringComparison.Ordinal);
        Assert.DoesNotContain("</think>", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Under_a_grammar_an_exhausted_thinking_budget_ends_the_output_and_says_so()
    {
        using var model = LlamaModel.Load(fixture.DeepSeekModelPath);
        var reasoning = new ReasoningSettings { Enabled = true, ThinkingBudget = 5 };
        using var engine = NewEngine(model, slots: 1, reasoning: reasoning);
        var shape = new SamplingSettings { Grammar = "root ::= \"<think>\" [a-z]{30,60} \"</think>\" [ABC]" };
        var prompt = model.Vocabulary.Tokenize(model.ApplyChatTemplate([("user", "Think long.")], true, TemplateTime), true, true);
        var result = engine.Generate([new GenerationRequest(prompt, 4) { Sampling = shape }])[0];

        Assert.True(result.ThinkingBudgetExhausted);
        Assert.Equal(GenerationFinishReason.ThinkingBudget, result.FinishReason);
        Assert.Equal("", result.Text);
        Assert.True(result.ReasoningTokens >= 5);
    }

    [Fact]
    public void The_engine_reports_token_counts_through_its_meter()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        long generated = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "MedHelm.Inference.Llama" && instrument.Name == "medhelm.llama.generated_tokens")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "model" && (string?)tag.Value == "metered")
                {
                    Interlocked.Add(ref generated, value);
                }
            }
        });
        listener.Start();

        using var engine = new LlamaEngine(model, new LlamaEngineOptions { Context = new LlamaContextSettings { ContextPerSequence = 256, Threads = 2 } }, name: "metered");
        var result = engine.Generate([Request(model, s_prompts[0], 8)])[0];
        Assert.Equal(engine.GeneratedTokens, Interlocked.Read(ref generated));
        Assert.True(generated >= result.Tokens.Count);
    }

    private static GenerationRequest Request(LlamaModel model, string prompt, int maxTokens) =>
        new(model.Vocabulary.Tokenize(prompt, addSpecial: true, parseSpecial: false), maxTokens);

    private static LlamaEngine NewEngine(LlamaModel model, int slots, bool prefixReuse = true, int minPrefix = 32, int contextPerSequence = 512, int batchSize = 512, ReasoningSettings? reasoning = null) =>
        new(model, new LlamaEngineOptions
        {
            Context = new LlamaContextSettings { Sequences = slots, ContextPerSequence = contextPerSequence, BatchSize = batchSize, Threads = 2 },
            PrefixReuse = prefixReuse,
            MinPrefixTokens = minPrefix,
            Reasoning = reasoning ?? ReasoningSettings.Disabled,
        });

    private static GenerationResult GenerateAlone(LlamaModel model, string prompt, int maxTokens, int batchSize = 512)
    {
        using var engine = NewEngine(model, slots: 1, prefixReuse: false, batchSize: batchSize);
        return engine.Generate([Request(model, prompt, maxTokens)])[0];
    }
}
