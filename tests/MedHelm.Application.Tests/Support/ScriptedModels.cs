using System.Collections.Concurrent;
using MedHelm.Application.Models;
using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using Microsoft.Extensions.AI;

namespace MedHelm.Application.Tests.Support;

/// <summary>Scripted chat clients for runs.</summary>
public static class Scripted
{
    /// <summary>A client answering each prompt with <paramref name="answer"/>(prompt, call number from 1); it may throw.</summary>
    public static ScriptedChatClient Chat(Func<string, int, string> answer)
    {
        var calls = 0;
        return new ScriptedChatClient((prompt, _) =>
            Task.FromResult(ScriptedChatClient.Response(answer(prompt, Interlocked.Increment(ref calls)), 10, 1)));
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

    /// <summary>Opens BERTScore's encoder from its path (a real one: the GGUF path is covered by the CLI tests).</summary>
    public Func<string, ITokenEmbedder>? Embedder { get; set; }

    public Task<ModelLease<ITokenEmbedder>> LeaseEmbedderAsync(string model, CancellationToken cancellationToken)
    {
        var embedder = Embedder?.Invoke(model) ?? throw new NotSupportedException("no BERTScore encoder for the scripted loader");
        Leases.Enqueue(("bertscore:" + Path.GetFileName(model), AccessTier.Public));
        return Task.FromResult(new ModelLease<ITokenEmbedder>(embedder, 1, (IDisposable)embedder));
    }

    public Task<ModelLease<IEmbeddingGenerator<string, Embedding<float>>>> LeaseEmbeddingGeneratorAsync(string model, CancellationToken cancellationToken) =>
        throw new NotSupportedException("sentence embeddings need a real embedding model (covered by the service tests).");

    private sealed class Release(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
