using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Tests.Support;
using MedHelm.Core.Catalog;
using MedHelm.Gguf.TestModels;
using MedHelm.Inference.Llama.Chat;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace MedHelm.Application.Tests.Models;

/// <summary>The model loader over the real llama.cpp runtime: leases, and the memory budget that decides how many models are loaded at once.</summary>
public sealed class InProcessModelLoaderTests
{
    private static InProcessModelLoader Loader(string home, int maxLoaded, bool keepLoaded = false)
    {
        var paths = new MedHelmPaths(home, new StorageOptions());
        var resolver = new ModelResolver(paths, MsOptions.Create(new Dictionary<string, LocalModelOptions>()), MsOptions.Create(new EndpointsOptions()), NullLoggerFactory.Instance);
        var runtime = TestLlamaRuntime.Options;
        return new InProcessModelLoader(resolver, paths, MsOptions.Create(runtime), MsOptions.Create(new ModelLoaderOptions { MaxLoadedModels = maxLoaded, KeepLoaded = keepLoaded }), NullLoggerFactory.Instance);
    }

    [Fact]
    public async Task A_second_model_waits_until_the_first_lease_is_given_back_when_the_budget_holds_one()
    {
        using var home = new TempFolder();
        var first = home.PathOf("first.gguf");
        var second = home.PathOf("second.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 32, Seed = 1 }, first);
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 32, Seed = 2 }, second);
        using var loader = Loader(home.Path, maxLoaded: 1);
        var defaults = new ModelDefaults(Sequences: 2, ContextPerSequence: 512);

        var lease = await loader.LeaseChatAsync(first, "first", AccessTier.Private, defaults, CancellationToken.None);
        Assert.Equal(2, lease.Concurrency);
        var waiting = loader.LeaseChatAsync(second, "second", AccessTier.Private, defaults, CancellationToken.None);
        Assert.False(waiting.IsCompleted); // the budget is full: nothing is loaded until the first model is released

        using var cancelled = new CancellationTokenSource();
        var third = loader.LeaseChatAsync(second, "third", AccessTier.Private, defaults, cancelled.Token);
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third);

        lease.Dispose();
        lease.Dispose(); // giving a lease back twice releases one slot only
        using var next = await waiting.WaitAsync(TestTimeouts.Scale(TimeSpan.FromSeconds(60)));
        Assert.NotNull(next.Client);
    }

    [Fact]
    public async Task A_BERTScore_model_that_is_not_an_encoder_is_refused_from_its_header_before_loading()
    {
        using var home = new TempFolder();
        var chat = home.PathOf("chat.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 32 }, chat);
        using var loader = Loader(home.Path, maxLoaded: 1);

        var e = await Assert.ThrowsAsync<Errors.RequestValidationException>(() => loader.LeaseEmbedderAsync(chat, CancellationToken.None));

        Assert.StartsWith($"BERTScore model: {chat} is a 'llama' model, not a BERT-family embedding model", e.Message, StringComparison.Ordinal);
        Assert.Empty(loader.Loaded);
        var notGguf = home.Write("notes.gguf", "not a model");
        var bad = await Assert.ThrowsAsync<Errors.RequestValidationException>(() => loader.LeaseEmbedderAsync(notGguf, CancellationToken.None));
        Assert.Contains("is not a usable GGUF model", bad.Message, StringComparison.Ordinal);
        var pipe = NamedPipes.Create(home.PathOf("pipe.gguf"));
        Assert.Contains("is a named pipe", (await Assert.ThrowsAsync<Errors.RequestValidationException>(() => loader.LeaseEmbedderAsync(pipe, CancellationToken.None))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_model_is_not_found_and_takes_no_slot()
    {
        using var home = new TempFolder();
        using var loader = Loader(home.Path, maxLoaded: 1);
        await Assert.ThrowsAsync<Errors.NotFoundException>(() =>
            loader.LeaseChatAsync(home.PathOf("missing.gguf"), "missing", AccessTier.Public, new ModelDefaults(), CancellationToken.None));
        var model = home.PathOf("m.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 32 }, model);
        using var lease = await loader.LeaseChatAsync(model, "m", AccessTier.Public, new ModelDefaults(1, 512), CancellationToken.None);
        Assert.Equal(1, lease.Concurrency);
    }

    [Fact]
    public async Task A_kept_model_serves_the_next_lease_without_loading_again_and_unloads_on_request()
    {
        using var home = new TempFolder();
        var file = home.PathOf("kept.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 32 }, file);
        using var loader = Loader(home.Path, maxLoaded: 1, keepLoaded: true);
        var defaults = new ModelDefaults(1, 512);

        var loaded = await loader.LoadAsync(file, "kept", defaults, CancellationToken.None);
        Assert.Equal(("kept", "kept.gguf", "chat", 0, true), (loaded.Name, loaded.FileName, loaded.Kind, loaded.Leases, loaded.Pinned));
        Assert.Equal(new FileInfo(file).Length, loaded.SizeBytes);

        IChatClient first;
        using (var lease = await loader.LeaseChatAsync(file, "run-name", AccessTier.Public, defaults, CancellationToken.None))
        {
            first = lease.Client.GetService<LlamaChatClient>()!;
            Assert.Equal(1, Assert.Single(loader.Loaded).Leases);
            // composed by the one pipeline every host uses: logging and OpenTelemetry around the engine
            Assert.NotNull(lease.Client.GetService<LoggingChatClient>());
            Assert.NotNull(lease.Client.GetService<OpenTelemetryChatClient>());
        }

        using (var again = await loader.LeaseChatAsync(file, "run-name", AccessTier.Public, defaults, CancellationToken.None))
        {
            Assert.Same(first, again.Client.GetService<LlamaChatClient>()); // still in memory: the same engine, undisposed by the first lease's pipeline
        }

        Assert.Equal(UnloadOutcome.Unloaded, loader.Unload("kept"));
        Assert.Empty(loader.Loaded);
        Assert.Equal(UnloadOutcome.NotLoaded, loader.Unload("kept"));
    }
}
