using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using MedHelm.Application.Models;
using MedHelm.Core.Catalog;
using MedHelm.Inference.Llama.Embeddings;
using Microsoft.Extensions.AI;

namespace MedHelm.Application.Tests.Support;

/// <summary>A chat client that answers every prompt through a function and counts its calls.</summary>
public sealed class ScriptedChat(Func<string, int, string> answer) : IChatClient
{
    private int _calls;

    /// <summary>Calls answered or failed so far.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var call = Interlocked.Increment(ref _calls);
        var text = answer(string.Join("\n", messages.Select(m => m.Text)), call);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 1 },
        });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

/// <summary>
/// An <see cref="IModelLoader"/> that hands out scripted clients by model name instead of loading GGUF files: the
/// application layer above the engine, tested without llama.cpp.
/// </summary>
public sealed class ScriptedModelLoader : IModelLoader
{
    private readonly ConcurrentDictionary<string, IChatClient> _clients = new(StringComparer.Ordinal);

    /// <summary>The leases handed out, by model name (a judge leased twice counts twice).</summary>
    public ConcurrentQueue<(string Name, AccessTier Tier)> Leases { get; } = new();

    /// <summary>Leases not yet disposed.</summary>
    public int Open => Volatile.Read(ref _open);

    private int _open;

    /// <summary>Serves <paramref name="client"/> under <paramref name="name"/>.</summary>
    public ScriptedModelLoader With(string name, IChatClient client)
    {
        _clients[name] = client;
        return this;
    }

    public EngineDescription DescribeEngine() => new("scripted", null, 1, [], "test machine", "none");

    public Task<ModelLease<IChatClient>> LeaseChatAsync(string model, string name, AccessTier tier, ModelDefaults defaults, CancellationToken cancellationToken)
    {
        if (!_clients.TryGetValue(name, out var client))
        {
            throw new InvalidOperationException($"no scripted client for '{name}'");
        }

        Leases.Enqueue((name, tier));
        Interlocked.Increment(ref _open);
        return Task.FromResult(new ModelLease<IChatClient>(client, 1, new Release(() => Interlocked.Decrement(ref _open))));
    }

    public Task<ModelLease<LlamaTokenEmbedder>> LeaseEmbedderAsync(string model, CancellationToken cancellationToken) =>
        throw new NotSupportedException("BERTScore needs a real embedding model (covered by the CLI tests).");

    private sealed class Release(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
