using System.Text.Json;
using MedHelm.Inference.OpenAI.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedHelm.Inference.OpenAI.Tests;

public sealed class HostedChatClientTests : IDisposable
{
    private const string Completion = """
        {"id":"c1","model":"served-model","choices":[{"index":0,"message":{"role":"assistant","content":"B","reasoning_content":"The abstract says no."},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":42,"completion_tokens":7,"total_tokens":49,"completion_tokens_details":{"reasoning_tokens":6}}}
        """;

    private readonly EgressBoundary _boundary = new(_ => false, (_, _) => ValueTask.CompletedTask);

    public void Dispose() => _boundary.Dispose();

    private IChatClient Client(LoopbackServer server, int retries = 2) => Client(new OpenAICompatibleOptions
    {
        BaseAddress = server.BaseAddress, Model = "med-model", ApiKey = "secret-key", MaxRetries = retries, RetryDelay = TimeSpan.FromMilliseconds(10),
    });

    private IChatClient Client(OpenAICompatibleOptions options) => HostedChatClient.Create(options, _boundary.Handler, NullLogger.Instance);

    [Fact]
    public async Task A_completion_is_read_with_its_reasoning_usage_and_finish_reason()
    {
        using var server = new LoopbackServer();
        server.Respond(200, Completion);
        using var client = Client(server);
        var response = await client.GetResponseAsync(
            [new ChatMessage(ChatRole.System, "Answer with a letter."), new ChatMessage(ChatRole.User, "Is it safe?")],
            new ChatOptions { MaxOutputTokens = 5, Temperature = 0, Seed = 7, StopSequences = ["\n"] });

        Assert.Equal("B", response.Text);
        Assert.Equal("The abstract says no.", response.Messages[0].Contents.OfType<TextReasoningContent>().Single().Text);
        Assert.Equal(42, response.Usage!.InputTokenCount);
        Assert.Equal(7, response.Usage.OutputTokenCount);
        Assert.Equal(6, response.Usage.ReasoningTokenCount);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("served-model", response.ModelId);

        var sent = Assert.Single(server.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal("Bearer secret-key", sent.Authorization);
        using var body = JsonDocument.Parse(sent.Body);
        Assert.Equal("med-model", body.RootElement.GetProperty("model").GetString());
        Assert.Equal(5, body.RootElement.GetProperty("max_completion_tokens").GetInt32());
        Assert.Equal(0, body.RootElement.GetProperty("temperature").GetDouble());
        Assert.Equal(7, body.RootElement.GetProperty("seed").GetInt64());
        Assert.Equal("\n", body.RootElement.GetProperty("stop")[0].GetString());
        Assert.Equal("system", body.RootElement.GetProperty("messages")[0].GetProperty("role").GetString());
    }

    [Fact]
    public async Task A_json_schema_response_format_is_sent()
    {
        using var server = new LoopbackServer();
        server.Respond(200, Completion);
        using var client = Client(server);
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"score":{"type":"integer"}},"required":["score"]}""").RootElement;
        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "rate")], new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "verdict") });
        using var body = JsonDocument.Parse(Assert.Single(server.Requests).Body);
        var format = body.RootElement.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("verdict", format.GetProperty("json_schema").GetProperty("name").GetString());
        Assert.Equal("integer", format.GetProperty("json_schema").GetProperty("schema").GetProperty("properties").GetProperty("score").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Server_errors_are_retried_and_client_errors_are_not()
    {
        using var server = new LoopbackServer();
        server.Respond(503, "{}");
        server.Respond(429, "{}", headers: new Dictionary<string, string> { ["Retry-After"] = "0" });
        server.Respond(200, Completion);
        using var client = Client(server);
        var ok = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]);
        Assert.Equal("B", ok.Text);
        Assert.Equal(3, server.Requests.Count);

        server.Respond(400, """{"error":"bad"}""");
        var e = await Assert.ThrowsAsync<HostedEndpointException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "PATIENT-NOTE-TEXT")]));
        Assert.Equal(400, e.StatusCode);
        Assert.Equal(4, server.Requests.Count);
        Assert.DoesNotContain("PATIENT-NOTE-TEXT", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retries_are_bounded()
    {
        using var server = new LoopbackServer();
        for (var i = 0; i < 5; i++)
        {
            server.Respond(500, "{}");
        }

        using var client = Client(server, retries: 2);
        var e = await Assert.ThrowsAsync<HostedEndpointException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));
        Assert.Contains("after 3 attempt(s)", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task No_retries_configured_means_one_attempt()
    {
        using var server = new LoopbackServer();
        server.Respond(503, "{}");
        using var client = Client(server, retries: 0);
        var e = await Assert.ThrowsAsync<HostedEndpointException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));
        Assert.Equal(503, e.StatusCode);
        Assert.Contains("after 1 attempt(s)", e.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_clear_error()
    {
        using var server = new LoopbackServer();
        server.Respond(200, "<html>proxy login</html>", "text/html");
        using var client = Client(server);
        var e = await Assert.ThrowsAsync<HostedEndpointException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));
        Assert.Contains("not JSON", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_reads_server_sent_events_with_usage()
    {
        using var server = new LoopbackServer();
        server.Respond(200, string.Join("\n\n",
            """data: {"id":"s","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"think"}}]}""",
            """data: {"id":"s","choices":[{"index":0,"delta":{"content":"Hel"}}]}""",
            """data: {"id":"s","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"length"}]}""",
            """data: {"id":"s","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}""",
            "data: [DONE]", ""), "text/event-stream");
        using var client = Client(server);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "q")]))
        {
            updates.Add(u);
        }

        Assert.Equal("Hello", string.Concat(updates.Select(u => u.Text)));
        Assert.Equal([ChatFinishReason.Length], updates.Select(u => u.FinishReason).OfType<ChatFinishReason>().Distinct());
        Assert.Equal(2, updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single().Details.OutputTokenCount);
        Assert.Equal("think", updates.SelectMany(u => u.Contents).OfType<TextReasoningContent>().Single().Text);
        using var body = JsonDocument.Parse(Assert.Single(server.Requests).Body);
        Assert.True(body.RootElement.GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_after_its_retries()
    {
        int port;
        using (var server = new LoopbackServer())
        {
            port = server.Port;
        }

        using var client = Client(new OpenAICompatibleOptions
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/v1"), Model = "m", MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(5),
        });
        var e = await Assert.ThrowsAsync<HostedEndpointException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));
        Assert.Null(e.StatusCode);
        Assert.Contains("after 2 attempt(s)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_that_is_not_loopback_or_an_enabled_endpoint_is_refused_before_a_socket_opens_and_reported()
    {
        var refused = new List<EgressAttempt>();
        using var boundary = new EgressBoundary(host => host == "llm.hospital.local", (attempt, _) =>
        {
            refused.Add(attempt);
            return ValueTask.CompletedTask;
        });
        using var client = HostedChatClient.Create(
            new OpenAICompatibleOptions { BaseAddress = new Uri("http://203.0.113.9:8080/v1"), Model = "m", MaxRetries = 3, RetryDelay = TimeSpan.FromMilliseconds(5) },
            boundary.Handler, NullLogger.Instance);

        var e = await Assert.ThrowsAsync<HostedEndpointException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "PATIENT-NOTE-TEXT")]));

        Assert.Equal(new EgressAttempt("203.0.113.9", 8080), Assert.Single(refused)); // refused once: a refusal is not retried
        Assert.Contains("network boundary refused a connection to 203.0.113.9:8080", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PATIENT-NOTE-TEXT", e.Message, StringComparison.Ordinal);
        Assert.True(boundary.Permits("llm.hospital.local"));
        Assert.True(boundary.Permits("127.0.0.1"));
        Assert.True(boundary.Permits("[::1]"));
        Assert.False(boundary.Permits("example.com"));
    }

    [Fact]
    public async Task A_json_schema_answer_comes_back_as_the_text_the_server_sent()
    {
        using var server = new LoopbackServer();
        server.Respond(200, """
            {"id":"c2","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"{\"score\":4,\"explanation\":\"ok\"}"},"finish_reason":"stop"}]}
            """);
        using var client = Client(server);
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"score":{"type":"integer"}},"required":["score"]}""").RootElement;
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "rate")], new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "verdict") });
        using var verdict = JsonDocument.Parse(response.Text);
        Assert.Equal(4, verdict.RootElement.GetProperty("score").GetInt32());
        Assert.Empty(response.Messages[0].Contents.OfType<TextReasoningContent>());
        using var body = JsonDocument.Parse(Assert.Single(server.Requests).Body);
        Assert.True(body.RootElement.GetProperty("response_format").GetProperty("json_schema").GetProperty("strict").GetBoolean());
    }
}
