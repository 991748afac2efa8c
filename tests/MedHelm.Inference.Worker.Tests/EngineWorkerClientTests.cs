using MedHelm.Gguf;
using MedHelm.Gguf.TestModels;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedHelm.Inference.Worker.Tests;

/// <summary>
/// The real worker process (MedHelm.Engine.Worker, built beside the tests) over the real llama.cpp runtime and a
/// generated model: the same answers as in process, streaming, and a worker that llama.cpp aborts failing only its requests.
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class EngineWorkerClientTests : IDisposable
{
    private static readonly string BackendFolder = Path.Combine(RepositoryPaths.Root, "runtimes", "llama", "cpu");
    private readonly TempFolder _folder = new("medhelm-worker-tests-");
    private readonly string _model;

    public EngineWorkerClientTests()
    {
        _model = _folder.PathOf("worker.gguf");
        TestModelFactory.Write(Spec, _model);
    }

    private static TestModelSpec Spec => new() { Kind = TestModelKind.Llama, Layers = 2, Embd = 64, Seed = 11 };

    private static LlamaChatClientOptions Chat => new()
    {
        ModelName = "worker",
        Engine = new LlamaEngineOptions { Context = new LlamaContextSettings { Sequences = 2, ContextPerSequence = 512, Threads = 1 } },
        ChatTemplateTime = new DateTimeOffset(2026, 3, 7, 0, 0, 0, TimeSpan.Zero),
    };

    private EngineWorkerStartInfo Start(IReadOnlyDictionary<string, string>? environment = null, string? model = null) => new(
        Path.Combine(AppContext.BaseDirectory, "MedHelm.Engine.Worker"), [], "worker",
        new EngineWorkerConfig(BackendFolder, "cpu", model ?? _model, new LlamaModelSettings(), Chat).ToJson(), environment);

    private static List<ChatMessage> Prompt(int i) => [new(ChatRole.User, $"Question {i}: which option is right? Answer with one letter.")];

    /// <summary>A prompt holding the byte the crafted model has no token for.</summary>
    private static List<ChatMessage> Tripping => [new(ChatRole.User, $"Question 2: which option is {CraftedAbortModel.Trigger}right\u201D?")];

    private static ChatOptions Greedy => new() { MaxOutputTokens = 12, Temperature = 0 };

    [Fact]
    public async Task A_worker_answers_as_the_same_model_in_process_token_for_token()
    {
        using var worker = await EngineWorkerClient.StartAsync(Start(), NullLogger.Instance, CancellationToken.None);
        Assert.Equal(2, worker.Sequences);
        Assert.NotNull(worker.GetService(typeof(ChatTemplateInfo)));

        LlamaRuntime.Initialize(BackendFolder, "cpu", NullLogger.Instance);
        using var local = new LlamaChatClient(LlamaModel.Load(_model), Chat, ownsModel: true);
        for (var i = 0; i < 4; i++)
        {
            var remote = await worker.GetResponseAsync(Prompt(i), Greedy);
            var here = await local.GetResponseAsync(Prompt(i), Greedy);
            Assert.Equal(here.Text, remote.Text);
            Assert.Equal(here.Usage!.InputTokenCount, remote.Usage!.InputTokenCount);
            Assert.Equal(here.Usage.OutputTokenCount, remote.Usage.OutputTokenCount);
            Assert.Equal(here.FinishReason, remote.FinishReason);
            Assert.Equal(here.AdditionalProperties!["finish_detail"], remote.AdditionalProperties!["finish_detail"]);
            Assert.IsType<long>(remote.AdditionalProperties["reasoning_tokens"]);
        }

        var streamed = new System.Text.StringBuilder();
        await foreach (var update in worker.GetStreamingResponseAsync(Prompt(0), Greedy))
        {
            streamed.Append(update.Text);
        }

        Assert.Equal((await local.GetResponseAsync(Prompt(0), Greedy)).Text, streamed.ToString());
    }

    [Fact]
    public async Task A_worker_whose_model_makes_llama_cpp_abort_fails_only_its_requests_a_new_one_serves_the_next_and_repeated_crashes_stop_restarts()
    {
        var crafted = _folder.PathOf("crafted.gguf");
        CraftedAbortModel.Write(Spec, crafted);
        var refused = Assert.Throws<GgufFormatException>(() => GgufModelValidator.Validate(GgufReader.Read(crafted))); // the validator alone stops it
        Assert.Contains("<0x9C>", refused.Message, StringComparison.Ordinal);

        using var worker = await EngineWorkerClient.StartAsync(Start(CraftedAbortModel.Switch(crafted, _model)) with { MaxCrashes = 2 }, NullLogger.Instance, CancellationToken.None);
        var first = worker.ProcessId;
        Assert.NotEmpty((await worker.GetResponseAsync(Prompt(1), Greedy)).Text); // text without the byte is served

        var error = await Assert.ThrowsAsync<EngineWorkerExitedException>(() => worker.GetResponseAsync(Tripping, Greedy));
        Assert.Contains("code 134 (SIGABRT", error.Message, StringComparison.Ordinal);
        Assert.Contains("_Map_base::at", error.Message, StringComparison.Ordinal); // libstdc++ std::out_of_range from unordered_map::at in llama_vocab::byte_to_token // std::terminate: llama_vocab::byte_to_token threw
        Assert.Contains("'worker'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Question", error.Message, StringComparison.Ordinal); // no prompt text

        Assert.NotEmpty((await worker.GetResponseAsync(Prompt(3), Greedy)).Text); // a new worker
        Assert.NotEqual(first, worker.ProcessId);
        await Assert.ThrowsAsync<EngineWorkerExitedException>(() => worker.GetResponseAsync(Tripping, Greedy));
        var crashing = await Assert.ThrowsAsync<EngineWorkerCrashingException>(() => worker.GetResponseAsync(Prompt(5), Greedy));
        Assert.Contains("crashed 2 times", crashing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_test_only_switch_is_refused_without_its_guard()
    {
        var environment = CraftedAbortModel.Switch(_folder.PathOf("crafted.gguf"), _model);
        environment.Remove("MEDHELM_TEST_ONLY_SWITCHES");
        var error = await Assert.ThrowsAsync<EngineWorkerExitedException>(() => EngineWorkerClient.StartAsync(Start(environment), NullLogger.Instance, CancellationToken.None));
        Assert.Contains("code 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("test-only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_that_cannot_load_its_model_says_why_and_leaves_nothing_running()
    {
        var truncated = _folder.PathOf("truncated.gguf");
        File.WriteAllBytes(truncated, File.ReadAllBytes(_model)[..4096]);
        var error = await Assert.ThrowsAsync<EngineWorkerExitedException>(() => EngineWorkerClient.StartAsync(Start(model: truncated), NullLogger.Instance, CancellationToken.None));
        Assert.Contains("code 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("did not load", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_request_ends_it_and_the_worker_serves_the_next()
    {
        using var worker = await EngineWorkerClient.StartAsync(Start(), NullLogger.Instance, CancellationToken.None);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => worker.GetResponseAsync(Prompt(1), new ChatOptions { MaxOutputTokens = 400 }, cancelled.Token));
        Assert.NotEmpty((await worker.GetResponseAsync(Prompt(2), Greedy)).Text);
    }

    public void Dispose() => _folder.Dispose();
}
