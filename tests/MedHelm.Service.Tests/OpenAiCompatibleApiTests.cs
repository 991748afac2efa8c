using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MedHelm.Application.Models;
using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Gguf.TestModels;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Models;
using MedHelm.Service.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace MedHelm.Service.Tests;

/// <summary>One service with real generated models (a llama chat model, a DeepSeek-R1 one and a BERT one) for the /v1 tests.</summary>
public sealed class OpenAiModelsFixture : IAsyncLifetime
{
    public const int BertDimension = 64;

    private readonly TempFolder _home = new("medhelm-openai-");

    public TestService Service { get; private set; } = null!;

    public HttpClient Operator { get; private set; } = null!;

    public string ChatModelPath => _home.File("chat.gguf");

    public async Task InitializeAsync()
    {
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 2, Embd = 64, Seed = 7 }, _home.File("chat.gguf"));
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.DeepSeekR1, Layers = 2, Embd = 64, Seed = 3 }, _home.File("r1.gguf"));
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Bert, Layers = 2, Embd = BertDimension, Seed = 9 }, _home.File("bert.gguf"));
        Service = TestService.WithRealModels(_home, OpenAiTestModels.Settings(_home));
        Operator = await Service.ClientAsync(AccessRole.Operator);
    }

    public async Task DisposeAsync()
    {
        await Service.DisposeAsync();
        _home.Dispose();
    }
}

/// <summary>The Models section of the /v1 tests.</summary>
internal static class OpenAiTestModels
{
    public static (string Key, string Value)[] Settings(TempFolder home) =>
    [
        ("Models:tiny:File", home.File("chat.gguf")), ("Models:tiny:Sequences", "4"), ("Models:tiny:ContextPerSequence", "1024"),
        ("Models:r1:File", home.File("r1.gguf")), ("Models:r1:Sequences", "2"), ("Models:r1:ContextPerSequence", "512"),
        ("Models:r1:Reasoning:Enabled", "true"), ("Models:r1:Reasoning:ThinkingBudget", "24"), ("Models:r1:Reasoning:StartsInReasoning", "true"),
        ("Models:bert:File", home.File("bert.gguf")), ("Models:bert:Sequences", "4"), ("Models:bert:ContextPerSequence", "256"),
    ];
}

[Trait("Category", TestCategories.Slow)]
public sealed class OpenAiCompatibleApiTests(OpenAiModelsFixture fixture) : IClassFixture<OpenAiModelsFixture>
{
    private const string Question = "A 54-year-old man has chest pain on exertion. What is the most likely diagnosis?";

    private static object Chat(int maxTokens, object? extra = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["model"] = "tiny",
            ["messages"] = new object[] { new { role = "system", content = "Answer briefly." }, new { role = "user", content = Question } },
            ["max_tokens"] = maxTokens,
        };
        foreach (var property in extra?.GetType().GetProperties() ?? [])
        {
            body[property.Name] = property.GetValue(extra);
        }

        return body;
    }

    [Fact]
    public async Task The_model_list_names_each_served_model_with_its_kind()
    {
        var viewer = await fixture.Service.ClientAsync(AccessRole.Viewer);
        var list = await viewer.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Equal("list", list.GetProperty("object").GetString());
        var kinds = list.GetProperty("data").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("kind").GetString());
        Assert.Equal("chat", kinds["tiny"]);
        Assert.Equal("chat", kinds["r1"]);
        Assert.Equal("embedding", kinds["bert"]);
        Assert.Equal("model", (await viewer.GetFromJsonAsync<JsonElement>("/v1/models/tiny")).GetProperty("object").GetString());
        await AssertErrorAsync(await viewer.GetAsync("/v1/models/nope"), HttpStatusCode.NotFound, "model");
    }

    [Fact]
    public async Task Greedy_streaming_and_non_streaming_give_the_same_text_and_usage_counts_the_tokenizers_tokens()
    {
        var whole = await PostAsync(Chat(12));
        var text = Content(whole);
        Assert.Equal("chat.completion", whole.GetProperty("object").GetString());
        Assert.Equal("tiny", whole.GetProperty("model").GetString());

        var (streamed, finish, usage, events) = await StreamAsync(Chat(12, new { stream = true, stream_options = new { include_usage = true } }));
        Assert.Equal(text, streamed);
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), finish);
        Assert.True(events > 2, $"only {events} events");

        // the served model is the loader's: a lease now is the model that answered (one loaded copy, its leases shared)
        var loader = fixture.Service.Services.GetRequiredService<IModelLoader>();
        using (await loader.LeaseChatAsync("tiny", "tiny", AccessTier.Private, new ModelDefaults(), CancellationToken.None))
        {
            var resident = ((IResidentModels)loader).Loaded.Where(m => m.FileName == "chat.gguf" && m.Kind == "chat").ToArray();
            Assert.Single(resident);
        }

        // usage counts what the model's tokenizer makes of the conversation rendered with its own template
        loader.DescribeEngine(); // llama.cpp in this process as the service loads it (its log to the service's logger)
        using var client = new LlamaChatClient(LlamaModel.Load(fixture.ChatModelPath), ownsModel: true);
        var promptTokens = client.TokenizeConversation([new ChatMessage(ChatRole.System, "Answer briefly."), new ChatMessage(ChatRole.User, Question)]).Length;
        var counted = whole.GetProperty("usage");
        Assert.Equal(promptTokens, counted.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(counted.GetProperty("prompt_tokens").GetInt32() + counted.GetProperty("completion_tokens").GetInt32(), counted.GetProperty("total_tokens").GetInt32());
        Assert.Equal(counted.GetRawText(), usage.GetRawText());
    }

    [Fact]
    public async Task Max_tokens_ends_the_answer_with_finish_reason_length()
    {
        foreach (var field in new[] { "max_tokens", "max_completion_tokens" })
        {
            var body = (Dictionary<string, object?>)Chat(4);
            body.Remove("max_tokens");
            body[field] = 4;
            var response = await PostAsync(body);
            Assert.Equal("length", response.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
            Assert.Equal(4, response.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }

        // llama-server's ignore_eos: exactly max_tokens tokens, whatever the model samples
        var forced = await PostAsync(Chat(20, new { ignore_eos = true }));
        Assert.Equal(20, forced.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", forced.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task A_stop_sequence_ends_the_answer_before_it_with_finish_reason_stop()
    {
        var text = Content(await PostAsync(Chat(24)));
        Assert.True(text.Length >= 12, $"the greedy answer is too short to cut: {text.Length} characters");
        var at = Enumerable.Range(4, text.Length - 8).First(i => !char.IsWhiteSpace(text[i]) && text.IndexOf(text.Substring(i, 3), StringComparison.Ordinal) == i);
        var stop = text.Substring(at, 3);

        foreach (var form in new object[] { stop, new[] { "\u0001never", stop } })
        {
            var cut = await PostAsync(Chat(24, new { stop = form }));
            Assert.Equal(text[..at], Content(cut));
            Assert.Equal("stop", cut.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        }

        var (streamed, finish, _, _) = await StreamAsync(Chat(24, new { stop, stream = true }));
        Assert.Equal(text[..at], streamed);
        Assert.Equal("stop", finish);
    }

    [Fact]
    public async Task A_json_schema_response_format_gives_json_the_schema_accepts()
    {
        var schema = new
        {
            type = "object",
            properties = new
            {
                diagnosis = new { type = "string", maxLength = 12 },
                urgency = new { type = "integer", minimum = 1, maximum = 5 },
                admit = new { type = "boolean" },
                tests = new { type = "array", items = new { @enum = new[] { "ecg", "troponin", "xray" } }, minItems = 1, maxItems = 2 },
                note = new { type = new[] { "string", "null" }, maxLength = 4 },
            },
            required = new[] { "diagnosis", "urgency", "admit", "tests" },
            additionalProperties = false,
        };
        var response = await PostAsync(Chat(120, new { response_format = new { type = "json_schema", json_schema = new { name = "triage", schema } } }));
        Assert.Equal("stop", response.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        using var answer = JsonDocument.Parse(Content(response));
        var root = answer.RootElement;
        Assert.InRange(root.GetProperty("diagnosis").GetString()!.Length, 0, 12);
        Assert.InRange(root.GetProperty("urgency").GetInt32(), 1, 5);
        Assert.True(root.GetProperty("admit").ValueKind is JsonValueKind.True or JsonValueKind.False);
        Assert.InRange(root.GetProperty("tests").GetArrayLength(), 1, 2);
        Assert.All(root.GetProperty("tests").EnumerateArray(), t => Assert.Contains(t.GetString(), new[] { "ecg", "troponin", "xray" }));
        Assert.All(root.EnumerateObject(), p => Assert.Contains(p.Name, new[] { "diagnosis", "urgency", "admit", "tests", "note" }));
        if (root.TryGetProperty("note", out var note) && note.ValueKind == JsonValueKind.String)
        {
            Assert.InRange(note.GetString()!.Length, 0, 4);
        }

        var json = await PostAsync(Chat(40, new { response_format = new { type = "json_object" } }));
        Assert.StartsWith("{", Content(json), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_reasoning_of_an_R1_model_comes_back_as_reasoning_content()
    {
        var body = (Dictionary<string, object?>)Chat(10);
        body["model"] = "r1";
        var response = await PostAsync(body);
        var message = response.GetProperty("choices")[0].GetProperty("message");
        Assert.True(message.TryGetProperty("reasoning_content", out var reasoning), message.GetRawText());
        Assert.False(string.IsNullOrEmpty(reasoning.GetString()));
        Assert.DoesNotContain("<think>", message.GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("</think>", message.GetProperty("content").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"messages": [{"role": "user", "content": "CANARY-7f3a"}]}""", HttpStatusCode.BadRequest, "model")]
    [InlineData("""{"model": "tiny"}""", HttpStatusCode.BadRequest, "messages")]
    [InlineData("""{"model": "tiny", "messages": [{"role": "wizard", "content": "CANARY-7f3a"}]}""", HttpStatusCode.BadRequest, "messages[0].role")]
    [InlineData("""{"model": "tiny", "messages": [{"role": "user", "content": "CANARY-7f3a"}], "temperature": "hot"}""", HttpStatusCode.BadRequest, "temperature")]
    [InlineData("""{"model": "tiny", "messages": [{"role": "user", "content": "CANARY-7f3a"}], "temperature": 7}""", HttpStatusCode.BadRequest, "temperature")]
    [InlineData("""{"model": "tiny", "messages": [{"role": "user", "content": "CANARY-7f3a"}], "max_tokens": 0}""", HttpStatusCode.BadRequest, "max_tokens")]
    [InlineData("""{"model": "tiny", "messages": [{"role": "user", "content": "CANARY-7f3a"}], "stop": [1, 2]}""", HttpStatusCode.BadRequest, "stop")]
    [InlineData("""{"model": "tiny", "messages": [{"role": "user", "content": "CANARY-7f3a"}], "n": 2}""", HttpStatusCode.BadRequest, "n")]
    [InlineData("""{"model": "tiny", "messages": [{"role": "user", "content": "CANARY-7f3a"}], "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "string", "pattern": "^a+$"}}}}""", HttpStatusCode.BadRequest, "response_format")]
    [InlineData("""{"model": "no-such-model", "messages": [{"role": "user", "content": "CANARY-7f3a"}]}""", HttpStatusCode.NotFound, "model")]
    [InlineData("""{"model": "bert", "messages": [{"role": "user", "content": "CANARY-7f3a"}]}""", HttpStatusCode.BadRequest, "model")]
    [InlineData("""{"model": "tiny", "messages": [{"role": "user", "content": "CANARY-7f3a"}""", HttpStatusCode.BadRequest, null)]
    public async Task A_bad_request_gets_OpenAIs_error_shape_without_echo(string body, HttpStatusCode status, string? param)
    {
        var response = await fixture.Operator.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        var error = await AssertErrorAsync(response, status, param);
        if (param == "response_format")
        {
            Assert.Contains("'pattern'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Access_follows_the_roles_and_errors_keep_OpenAIs_shape()
    {
        var request = JsonContent.Create(Chat(2));
        await AssertErrorAsync(await fixture.Service.Anonymous().PostAsync("/v1/chat/completions", request), HttpStatusCode.Unauthorized, null);
        var viewer = await fixture.Service.ClientAsync(AccessRole.Viewer);
        await AssertErrorAsync(await viewer.PostAsync("/v1/chat/completions", JsonContent.Create(Chat(2))), HttpStatusCode.Forbidden, null);
        await AssertErrorAsync(await viewer.PostAsync("/v1/embeddings", JsonContent.Create(new { model = "bert", input = "x" })), HttpStatusCode.Forbidden, null);
        await AssertErrorAsync(
            await fixture.Operator.PostAsync("/v1/chat/completions", new StringContent("{}", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType, null);
    }

    [Fact]
    public async Task Embeddings_have_the_models_dimension_and_are_deterministic()
    {
        string[] texts = ["chest pain on exertion", "no", "chest pain on exertion"];
        var first = await PostAsync(new { model = "bert", input = texts }, "/v1/embeddings");
        var again = await PostAsync(new { model = "bert", input = texts[0] }, "/v1/embeddings");
        var vectors = first.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        Assert.Equal(3, vectors.Length);
        Assert.All(vectors, v => Assert.Equal(OpenAiModelsFixture.BertDimension, v.Length));
        Assert.Equal(new[] { 0, 1, 2 }, first.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("index").GetInt32()));
        var alone = again.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        for (var i = 0; i < alone.Length; i++)
        {
            Assert.Equal(vectors[0][i], vectors[2][i], 1e-4f);
            Assert.Equal(vectors[0][i], alone[i], 1e-4f);
        }

        Assert.NotEqual(vectors[0], vectors[1]);
        Assert.True(first.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 3);
        await AssertErrorAsync(await fixture.Operator.PostAsJsonAsync("/v1/embeddings", new { model = "tiny", input = "x" }), HttpStatusCode.BadRequest, "model");
        await AssertErrorAsync(await fixture.Operator.PostAsJsonAsync("/v1/embeddings", new { model = "bert", input = new[] { 1, 2 } }), HttpStatusCode.BadRequest, "input");
        var tooLong = await AssertErrorAsync(
            await fixture.Operator.PostAsJsonAsync("/v1/embeddings", new { model = "bert", input = string.Join(' ', Enumerable.Repeat("CANARY-7f3a", 300)) }),
            HttpStatusCode.BadRequest,
            "input");
        Assert.Equal("context_length_exceeded", tooLong.GetProperty("code").GetString());
    }

    private async Task<JsonElement> PostAsync(object body, string path = "/v1/chat/completions")
    {
        var response = await fixture.Operator.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string Content(JsonElement completion) =>
        completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;

    /// <summary>Reads a server-sent event stream: the concatenated content, the finish reason, the usage and the number of events.</summary>
    private async Task<(string Text, string? Finish, JsonElement Usage, int Events)> StreamAsync(object body)
    {
        using var response = await fixture.Operator.PostAsJsonAsync("/v1/chat/completions", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.StartsWith("data: ", l, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", lines[^1]);
        var text = new StringBuilder();
        string? finish = null;
        var usage = default(JsonElement);
        foreach (var line in lines[..^1])
        {
            var chunk = JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
            Assert.Equal("chat.completion.chunk", chunk.GetProperty("object").GetString());
            if (chunk.TryGetProperty("usage", out var u))
            {
                usage = u;
            }

            foreach (var choice in chunk.GetProperty("choices").EnumerateArray())
            {
                text.Append(choice.GetProperty("delta").TryGetProperty("content", out var c) ? c.GetString() : "");
                finish = choice.GetProperty("finish_reason").GetString() ?? finish;
            }
        }

        return (text.ToString(), finish, usage, lines.Length);
    }

    /// <summary>Asserts OpenAI's error shape (exactly message, type, param, code), the status and param, no stack trace and no echo.</summary>
    internal static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? param)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error").Clone();
        Assert.Equal(new[] { "message", "type", "param", "code" }, error.EnumerateObject().Select(p => p.Name));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.DoesNotContain("CANARY-7f3a", text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        return error;
    }
}
