using MedHelm.Application.Tests.Support;
using MedHelm.Application.Runs;
using MedHelm.Gguf.TestModels;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.ChatTemplates;
using MedHelm.Inference.Llama.Models;

namespace MedHelm.Application.Tests.Runs;

/// <summary>The run's chat-template time and how the rendering enters the ledger key.</summary>
public sealed class ChatTemplateRunTests : IDisposable
{
    private static readonly DateTimeOffset Stored = new(2026, 3, 7, 10, 0, 0, TimeSpan.Zero);
    private readonly TempFolder _folder = new("medhelm-chat-template-run-");

    [Fact]
    public void The_stored_time_wins_then_the_runs_start_then_now_to_the_second()
    {
        var manifest = RunManifestJson.Parse("r", """{"plan":{"suite":null,"benchmarks":[],"models":[],"jury":[],"max_instances":null,"mode":"helm"},"manifest_version":3,"chat_template_time":"2026-03-07T10:00:00+00:00"}""");
        var started = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var now = new DateTimeOffset(2026, 12, 5, 11, 22, 33, 456, TimeSpan.Zero);
        Assert.Equal(Stored, ChatTemplateRun.Time(manifest, started, now));
        Assert.Equal(started, ChatTemplateRun.Time(manifest! with { ChatTemplateTime = null }, started, now));
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 11, 22, 33, TimeSpan.Zero), ChatTemplateRun.Time(null, null, now));
    }

    [Fact]
    public void A_client_that_is_not_a_local_model_keeps_the_extras()
    {
        var extras = new Dictionary<string, string> { ["reasoning"] = "on" };
        Assert.Same(extras, ChatTemplateRun.DecodingExtras(extras, ScriptedChatClient.Constant("x"), Stored));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_local_model_adds_the_renderer_and_the_date_only_when_its_template_reads_it(bool readsDate)
    {
        TestLlamaRuntime.Initialize();
        var path = _folder.File($"m-{readsDate}.gguf");
        TestModelFactory.Write(new TestModelSpec
        {
            Layers = 1,
            Embd = 32,
            ChatTemplate = readsDate ? null : "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}",
        }, path);
        using var client = new LlamaChatClient(LlamaModel.Load(path), ownsModel: true);
        var extras = ChatTemplateRun.DecodingExtras(new Dictionary<string, string>(), client, Stored);
        Assert.Equal(ChatTemplate.RendererVersion, extras["chat_template_renderer"]);
        Assert.Equal(readsDate ? "2026-03-07" : null, extras.GetValueOrDefault("chat_template_date"));
    }

    public void Dispose() => _folder.Dispose();
}
