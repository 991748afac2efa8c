using MedHelm.Application.Hosting;
using MedHelm.Application.Options;
using MedHelm.Core.Catalog;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Embeddings;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MedHelm.Evaluation.Files;

namespace MedHelm.Application.Models;

/// <summary>
/// A model handed out by an <see cref="IModelLoader"/>: its client, how many requests it takes at once, and what is
/// released (the model's memory, its slot in the loader's budget) when the lease is disposed.
/// </summary>
/// <typeparam name="TClient">The client type.</typeparam>
public sealed class ModelLease<TClient> : IDisposable
{
    private readonly IDisposable[] _owned;
    private int _disposed;

    /// <summary>A lease over <paramref name="client"/>; <paramref name="owned"/> are disposed in order when it ends.</summary>
    public ModelLease(TClient client, int concurrency, params IDisposable[] owned)
    {
        Client = client;
        Concurrency = concurrency;
        _owned = owned;
    }

    /// <summary>The model's client.</summary>
    public TClient Client { get; }

    /// <summary>Requests it serves at once (a local model's sequences, an endpoint's MaxConcurrency).</summary>
    public int Concurrency { get; }

    /// <summary>Releases the model.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }
}

/// <summary>What a run records about the engine that served its local models.</summary>
/// <param name="Backend">The llama.cpp backend folder (cpu, cuda, native), or "none".</param>
/// <param name="LlamaCppVersion">The pinned llama.cpp version, or null.</param>
/// <param name="Threads">CPU threads per engine.</param>
/// <param name="Devices">Devices as "description [type]".</param>
/// <param name="Machine">Host, OS, cores, runtime and devices.</param>
/// <param name="Gpus">The GPUs with their memory, or "none".</param>
public sealed record EngineDescription(
    string Backend, string? LlamaCppVersion, int Threads, IReadOnlyList<string> Devices, string Machine, string Gpus);

/// <summary>
/// The one place that turns a model argument into a loaded model: a local GGUF file into the batched llama.cpp engine,
/// a hosted endpoint into its client (after its data policy). It decides how many local models are in memory at once.
/// This is the seam where a service plugs in engines that run in worker processes.
/// </summary>
public interface IModelLoader
{
    /// <summary>Loads the engine runtime (once) and describes it.</summary>
    EngineDescription DescribeEngine();

    /// <summary>
    /// A chat model for <paramref name="model"/> (a Models or Endpoints name, or a GGUF file), named
    /// <paramref name="name"/>, that may see data of <paramref name="tier"/>. Waits while the memory budget is full.
    /// </summary>
    Task<ModelLease<IChatClient>> LeaseChatAsync(string model, string name, AccessTier tier, ModelDefaults defaults, CancellationToken cancellationToken);

    /// <summary>A BERT-family embedding model for BERTScore, with its tokenizer.</summary>
    Task<ModelLease<LlamaTokenEmbedder>> LeaseEmbedderAsync(string model, CancellationToken cancellationToken);

    /// <summary>A model with a pooling type (BERT family) as a sentence-embedding generator: one vector per text.</summary>
    Task<ModelLease<IEmbeddingGenerator<string, Embedding<float>>>> LeaseEmbeddingGeneratorAsync(string model, CancellationToken cancellationToken);
}

/// <summary>Serving settings for a model given as a file (not a Models entry).</summary>
/// <param name="Sequences">Sequences decoded together.</param>
/// <param name="ContextPerSequence">Context tokens per sequence.</param>
public sealed record ModelDefaults(int Sequences = 1, int ContextPerSequence = 4096);

/// <summary>
/// Loads models in this process. A local model is loaded once and shared: every lease of the same model (a run, its
/// judges, the service's OpenAI-compatible requests) gets the same client and engine, so their requests are decoded in
/// the same batches. A model whose leases have all ended stays loaded until its slot in the memory budget is needed
/// for another model, or the loader is disposed.
/// </summary>
public sealed partial class InProcessModelLoader : IModelLoader, IDisposable
{
    private readonly ModelResolver _resolver;
    private readonly MedHelmPaths _paths;
    private readonly LlamaRuntimeOptions _runtime;
    private readonly ILoggerFactory _loggers;
    private readonly SemaphoreSlim _budget;

    /// <summary>Texts embedded in one batch by a sentence-embedding generator, at most.</summary>
    public const int MaxEmbeddingSequences = 8;

    /// <summary>Tokens per text of a sentence-embedding generator, at most (the BERT family's trained context).</summary>
    public const int MaxEmbeddingContext = 512;

    /// <summary>Creates the loader; <see cref="ModelLoaderOptions.MaxLoadedModels"/> local models are in memory at once.</summary>
    public InProcessModelLoader(
        ModelResolver resolver, MedHelmPaths paths, IOptions<LlamaRuntimeOptions> runtime, IOptions<ModelLoaderOptions> options, ILoggerFactory loggers)
    {
        _resolver = resolver;
        _paths = paths;
        _runtime = runtime.Value;
        _loggers = loggers;
        _budget = new SemaphoreSlim(options.Value.MaxLoadedModels, options.Value.MaxLoadedModels);
    }

    /// <summary>Loads llama.cpp from the configured backend folder (idempotent).</summary>
    public LlamaRuntimeInfo InitializeRuntime() =>
        LlamaRuntime.Initialize(_runtime.BackendFolder(_paths.Home), _runtime.Backend, _loggers.CreateLogger("MedHelm.LlamaCpp"), _runtime.VerboseNativeLog);

    /// <inheritdoc />
    public EngineDescription DescribeEngine()
    {
        var runtime = InitializeRuntime();
        return new EngineDescription(
            runtime.Backend, runtime.LlamaCppVersion, _runtime.EffectiveThreads,
            runtime.Devices.Select(d => $"{d.Description} [{d.Type}]").ToArray(),
            Hosting.Provenance.Machine(runtime), Hosting.Provenance.Gpus(runtime));
    }

    /// <inheritdoc />
    public async Task<ModelLease<IChatClient>> LeaseChatAsync(string model, string name, AccessTier tier, ModelDefaults defaults, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        if (_resolver.IsEndpoint(model))
        {
            var hosted = _resolver.CreateHostedClient(model, tier);
            return new ModelLease<IChatClient>(hosted, _resolver.Endpoints.Items[model].MaxConcurrency, hosted);
        }

        var resolved = _resolver.Resolve(model, defaults.Sequences, defaults.ContextPerSequence);
        var (client, release) = await AcquireAsync(SharedKey("chat", resolved, name), () => Load(resolved.Path, resolved.Settings, loaded => new LlamaChatClient(
            loaded,
            new LlamaChatClientOptions { ModelName = name, Engine = resolved.Settings.ToEngineOptions(_runtime.EffectiveThreads) },
            _loggers.CreateLogger("MedHelm.Generation"),
            ownsModel: true)), cancellationToken).ConfigureAwait(false);
        return new ModelLease<IChatClient>(client, client.Context.Sequences, release);
    }

    /// <inheritdoc />
    public async Task<ModelLease<LlamaTokenEmbedder>> LeaseEmbedderAsync(string model, CancellationToken cancellationToken)
    {
        var resolved = _resolver.Resolve(model);
        var (embedder, release) = await AcquireAsync(SharedKey("tokens", resolved, resolved.Name), () => Load(
            resolved.Path, resolved.Settings, loaded => new LlamaTokenEmbedder(loaded, threads: _runtime.EffectiveThreads, ownsModel: true)), cancellationToken).ConfigureAwait(false);
        return new ModelLease<LlamaTokenEmbedder>(embedder, 1, release);
    }

    /// <inheritdoc />
    public async Task<ModelLease<IEmbeddingGenerator<string, Embedding<float>>>> LeaseEmbeddingGeneratorAsync(string model, CancellationToken cancellationToken)
    {
        var resolved = _resolver.Resolve(model);
        var (generator, release) = await AcquireAsync(SharedKey("pooled", resolved, resolved.Name), () => Load(
            resolved.Path, resolved.Settings, loaded => new LlamaEmbeddingGenerator(
                loaded,
                Math.Min(resolved.Settings.Sequences, MaxEmbeddingSequences),
                Math.Min(resolved.Settings.ContextPerSequence, MaxEmbeddingContext),
                _runtime.EffectiveThreads,
                ownsModel: true)), cancellationToken).ConfigureAwait(false);
        return new ModelLease<IEmbeddingGenerator<string, Embedding<float>>>(generator, 1, release);
    }

    /// <summary>Loads a GGUF file and wraps it; the model is released when wrapping fails.</summary>
    private TClient Load<TClient>(string path, LocalModelOptions settings, Func<LlamaModel, TClient> wrap)
    {
        RegularFiles.EnsureRegular(path, "GGUF model file");
        var loaded = LlamaModel.Load(path, settings.ToModelSettings(), _loggers.CreateLogger("MedHelm.Models"));
        try
        {
            return wrap(loaded);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }
}

/// <summary>The <c>ModelLoader</c> section: how many local models may be in memory at once.</summary>
public sealed class ModelLoaderOptions
{
    /// <summary>The section name.</summary>
    public const string SectionName = "ModelLoader";

    /// <summary>Local models loaded at once (a run loads one model, then each judge in turn; a service may keep more).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 64)]
    public int MaxLoadedModels { get; set; } = 1;
}
