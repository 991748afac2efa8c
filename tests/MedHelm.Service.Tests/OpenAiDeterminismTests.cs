using System.Net.Http.Json;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Gguf.TestModels;
using MedHelm.Service.Tests.Support;

namespace MedHelm.Service.Tests;

/// <summary>
/// /v1/chat/completions keeps Determinism BatchInvariant's promise (issue 20): a greedy request, and a sampled one with a
/// seed, get the same answer alone and while other requests share the engine's batches. The 12-layer 768 Q8_0 test
/// model: a 2-layer one hides what batching does to the numbers.
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class OpenAiDeterminismTests : IAsyncLifetime
{
    private const string Target = "A 61-year-old woman reports two weeks of exertional dyspnoea and ankle swelling. Name the most useful first test.";

    private static readonly string[] Others =
    [
        "List three causes of microcytic anaemia.",
        "A 30-year-old man has a fever and a stiff neck. What must be excluded first, and how?",
        "Summarise the discharge plan: aspirin daily, statin nightly, cardiology review in six weeks, no driving for one month.",
        "What is the normal range of serum potassium?",
        "A child has a barking cough worse at night. Most likely diagnosis?",
        "Explain in two sentences why metformin is held before iodinated contrast in some patients.",
        "Give the CURB-65 criteria.",
    ];

    private readonly TempFolder _home = new("medhelm-openai-determinism-");
    private TestService _service = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 12, Embd = 768, Quant = TestModelQuant.Q8_0, Seed = 11 }, _home.File("m.gguf"));
        _service = TestService.WithRealModels(_home, [("Models:m:File", _home.File("m.gguf")), ("Models:m:Sequences", "8"), ("Models:m:ContextPerSequence", "512")]);
        _client = await _service.ClientAsync(AccessRole.Operator);
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        _home.Dispose();
    }

    private static Dictionary<string, object?> Request(string question, int maxTokens, double temperature = 0, long? seed = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["model"] = "m",
            ["messages"] = new object[] { new { role = "user", content = question } },
            ["max_tokens"] = maxTokens,
            ["temperature"] = temperature,
        };
        if (seed is { } s)
        {
            body["seed"] = s;
        }

        return body;
    }

    private async Task<string> AnswerAsync(Dictionary<string, object?> body)
    {
        using var response = await _client.PostAsJsonAsync("/v1/chat/completions", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    /// <summary>The target request sent while the other requests are in flight, started <paramref name="after"/> of them first.</summary>
    private async Task<string> AnswerUnderLoadAsync(Dictionary<string, object?> target, int after)
    {
        var others = Others.Select((q, i) => AnswerAsync(Request(q, 12 + (i * 5)))).ToList();
        if (after > 0)
        {
            await Task.WhenAny(others.Take(after)); // the engine is busy with the others' prompts and answers
        }

        var answer = await AnswerAsync(target);
        await Task.WhenAll(others);
        return answer;
    }

    [Fact]
    public async Task Greedy_and_seeded_answers_are_the_same_alone_and_beside_other_requests()
    {
        var greedy = Request(Target, 24);
        var seeded = Request(Target, 24, temperature: 0.9, seed: 1234);
        var greedyAlone = await AnswerAsync(greedy);
        var seededAlone = await AnswerAsync(seeded);
        Assert.NotEqual(string.Empty, greedyAlone);

        Assert.Equal(greedyAlone, await AnswerUnderLoadAsync(greedy, after: 0));
        Assert.Equal(greedyAlone, await AnswerUnderLoadAsync(greedy, after: 2));
        Assert.Equal(seededAlone, await AnswerUnderLoadAsync(seeded, after: 0));
        Assert.Equal(seededAlone, await AnswerUnderLoadAsync(seeded, after: 3));

        // the seed is what repeats the sample: another seed gives another answer (a random-weight model's nearly flat
        // distribution makes 24 identical draws out of the question)
        Assert.NotEqual(seededAlone, await AnswerAsync(Request(Target, 24, temperature: 0.9, seed: 99)));
    }
}
