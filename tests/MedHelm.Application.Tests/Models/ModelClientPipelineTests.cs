using MedHelm.Application.Errors;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Core.Catalog;
using MedHelm.Inference.OpenAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace MedHelm.Application.Tests.Models;

/// <summary>The one composition of model clients: policy and egress per request for hosted ones, logging without text.</summary>
public sealed class ModelClientPipelineTests : IDisposable
{
    private readonly EgressBoundary _boundary = new(host => host == "llm.hospital.local", (_, _) => ValueTask.CompletedTask);

    public void Dispose() => _boundary.Dispose();

    private static EndpointsOptions Endpoints(string url = "https://llm.hospital.local/v1") => new()
    {
        Enabled = true,
        Items = { ["cloud"] = new EndpointOptions { BaseUrl = url, Model = "m", AllowPatientData = true } },
    };

    [Fact]
    public async Task The_data_policy_is_checked_again_on_every_request_of_a_hosted_client()
    {
        var endpoints = Endpoints();
        var inner = ScriptedChatClient.Constant("A");
        using var client = new ModelClientPipeline(new CollectingLoggerFactory(), _boundary).Hosted(inner, endpoints, "cloud", AccessTier.Private);

        Assert.Equal("A", (await client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")])).Text);
        endpoints.Items["cloud"].AllowPatientData = false; // withdrawn while the client is in use
        var e = await Assert.ThrowsAsync<PolicyViolationException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));

        Assert.Contains("Endpoints:Items:cloud:AllowPatientData", e.Message, StringComparison.Ordinal);
        Assert.Single(inner.Calls); // the refused request never reached the endpoint
    }

    [Fact]
    public async Task A_hosted_client_whose_host_is_outside_the_boundary_is_refused_before_it_sends()
    {
        var inner = ScriptedChatClient.Constant("A");
        using var client = new ModelClientPipeline(new CollectingLoggerFactory(), _boundary)
            .Hosted(inner, Endpoints("https://other.example/v1"), "cloud", AccessTier.Public);

        var e = await Assert.ThrowsAsync<PolicyViolationException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));

        Assert.Contains("other.example", e.Message, StringComparison.Ordinal);
        Assert.Empty(inner.Calls);
    }

    [Fact]
    public async Task Model_calls_are_logged_without_message_text_or_exception_messages_at_any_level()
    {
        var loggers = new CollectingLoggerFactory();
        var failing = new ScriptedChatClient((_, _) => throw new InvalidOperationException("PATIENT-NOTE-TEXT in an exception"));
        using var ok = new ModelClientPipeline(loggers, _boundary).Local(ScriptedChatClient.Constant("ANSWER-TEXT"));
        using var bad = new ModelClientPipeline(loggers, _boundary).Local(failing);

        await ok.GetResponseAsync([new ChatMessage(ChatRole.User, "PATIENT-NOTE-TEXT")]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => bad.GetResponseAsync([new ChatMessage(ChatRole.User, "PATIENT-NOTE-TEXT")]));

        var text = loggers.Logger.AllText();
        Assert.NotEmpty(loggers.Logger.Entries);
        Assert.Contains(nameof(InvalidOperationException), text, StringComparison.Ordinal);
        Assert.DoesNotContain("PATIENT-NOTE-TEXT", text, StringComparison.Ordinal);
        Assert.DoesNotContain("ANSWER-TEXT", text, StringComparison.Ordinal);
    }

    /// <summary>Hands one <see cref="CollectingLogger"/> (every level, with each exception) to every category.</summary>
    private sealed class CollectingLoggerFactory : ILoggerFactory
    {
        public CollectingLogger Logger { get; } = new();

        public ILogger CreateLogger(string categoryName) => Logger;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }
}
