using MedHelm.Application.Errors;
using MedHelm.Application.Hosting;
using MedHelm.Application.Options;
using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Embeddings;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MedHelm.Evaluation.Files;
using MedHelm.Inference.Worker;

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
    string Backend, string? LlamaCppVersion, int Threads, IReadOnlyList<string> Devices, string Machine, string Gpus)
{
    /// <summary>Per Determinism mode, the CPU kernels its local models run on (<see cref="RuntimeFolder.Describe"/>); null off the CPU.</summary>
    public IReadOnlyDictionary<Inference.Llama.Generation.DeterminismMode, string>? CpuKernels { get; init; }

    /// <summary>The Determinism modes whose CPU backend computes flash attention batch-invariantly (<see cref="RuntimeFolder.HasInvariantFlashAttention"/>).</summary>
    public IReadOnlySet<Inference.Llama.Generation.DeterminismMode> InvariantFlashAttention { get; init; } = new HashSet<Inference.Llama.Generation.DeterminismMode>();

    /// <summary>The llama.cpp settings a local model of these options runs with on this engine.</summary>
    public Inference.Llama.Generation.DeterminismProfile Profile(Options.LocalModelOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.DeterminismProfile().OnKernels(InvariantFlashAttention.Contains(settings.Determinism));
    }
}

/// <summary>
/// The one place that turns a model argument into a loaded model: a local GGUF file into the batched llama.cpp engine,
/// a hosted endpoint into its client (after its data policy); both handed out through the <see cref="ModelClientPipeline"/>. It decides how many local models are in memory at once.
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

    /// <summary>
    /// BERTScore's token embedder, with its tokenizer: an ONNX encoder export (a .onnx file, read with the BertScore
    /// settings) or a BERT-family GGUF model; any other model is refused (<see cref="Errors.RequestValidationException"/>)
    /// before it is loaded.
    /// </summary>
    Task<ModelLease<ITokenEmbedder>> LeaseEmbedderAsync(string model, CancellationToken cancellationToken);

    /// <summary>A model with a pooling type (BERT family) as a sentence-embedding generator: one vector per text.</summary>
    Task<ModelLease<IEmbeddingGenerator<string, Embedding<float>>>> LeaseEmbeddingGeneratorAsync(string model, CancellationToken cancellationToken);
}

/// <summary>Serving settings for a model given as a file (not a Models entry).</summary>
/// <param name="Sequences">Sequences decoded together.</param>
/// <param name="ContextPerSequence">Context tokens per sequence.</param>
public sealed record ModelDefaults(int Sequences = 1, int ContextPerSequence = 4096);

/// <summary>
/// Loads models in this process. Leases of the same file and settings share one loaded model; how many stay in memory
/// and for how long is the <see cref="ModelLoaderOptions"/> budget (<see cref="ResidentModelCache"/>).
/// </summary>
public sealed class InProcessModelLoader : IModelLoader, IResidentModels, IDisposable
{
    private readonly ModelResolver _resolver;
    private readonly MedHelmPaths _paths;
    private readonly LlamaRuntimeOptions _runtime;
    private readonly ILoggerFactory _loggers;
    private readonly ResidentModelCache _cache;
    private readonly BertScoreOptions _bertScore;

    /// <summary>Texts embedded in one batch by a sentence-embedding generator, at most.</summary>
    public const int MaxEmbeddingSequences = 8;

    /// <summary>Tokens per text of a sentence-embedding generator, at most (the BERT family's trained context).</summary>
    public const int MaxEmbeddingContext = 512;
    private readonly ModelPlacement _placement;
    private readonly IReadOnlyDictionary<string, string>? _workerEnvironment;
    private readonly RuntimeSelection _selection;
    private int _warnedStandardKernels;

    /// <summary>Creates the loader with the <see cref="ModelLoaderOptions"/> budget.</summary>
    public InProcessModelLoader(
        ModelResolver resolver, MedHelmPaths paths, IOptions<LlamaRuntimeOptions> runtime, IOptions<ModelLoaderOptions> options, ILoggerFactory loggers,
        TimeProvider? time = null, IOptions<BertScoreOptions>? bertScore = null)
    {
        _bertScore = bertScore?.Value ?? new BertScoreOptions();
        _resolver = resolver;
        _paths = paths;
        _runtime = runtime.Value;
        _loggers = loggers;
        var budget = options.Value;
        _placement = budget.Placement ?? ModelPlacement.Process;
        _workerEnvironment = budget.WorkerEnvironment;
        _selection = new RuntimeSelection(_runtime, paths.Home, _placement, resolver.LocalModels);
        _cache = new ResidentModelCache(budget.MaxLoadedModels, budget.MemoryBudgetMiB * 1024 * 1024, budget.KeepLoaded ?? false, time ?? TimeProvider.System);
    }

    /// <inheritdoc />
    public IReadOnlyList<LoadedModelInfo> Loaded => _cache.Loaded;

    /// <summary>
    /// Loads llama.cpp from the folder this process uses (idempotent): the configured backend's, or the batch-invariant
    /// CPU backend for BatchInvariant models (<see cref="RuntimeSelection"/>); <paramref name="mode"/> overrides the choice.
    /// </summary>
    public LlamaRuntimeInfo InitializeRuntime(Inference.Llama.Generation.DeterminismMode? mode = null)
    {
        var folder = _selection.ForProcess(mode);
        return LlamaRuntime.Initialize(folder.Path, folder.Backend, _loggers.CreateLogger("MedHelm.LlamaCpp"), _runtime.VerboseNativeLog);
    }

    /// <inheritdoc />
    public EngineDescription DescribeEngine()
    {
        var runtime = InitializeRuntime();
        var kernels = _selection.Describe(runtime);
        // warned only where a configured model asks for invariant kernels (a Fastest-only configuration is not told)
        if (_selection.InvariantKernelsWanted && kernels?[Inference.Llama.Generation.DeterminismMode.BatchInvariant] is { } invariant
            && invariant.StartsWith("standard", StringComparison.Ordinal) && Interlocked.Exchange(ref _warnedStandardKernels, 1) == 0)
        {
            _loggers.CreateLogger("MedHelm.LlamaCpp").LogWarning("Determinism BatchInvariant runs on {Kernels}", invariant);
        }

        return new EngineDescription(
            runtime.Backend, runtime.LlamaCppVersion, _runtime.EffectiveThreads,
            runtime.Devices.Select(d => $"{d.Description} [{d.Type}]").ToArray(),
            Hosting.Provenance.Machine(runtime), Hosting.Provenance.Gpus(runtime))
        {
            CpuKernels = kernels,
            InvariantFlashAttention = _selection.InvariantFlashAttention(),
        };
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

        var (client, lease) = await AcquireChatAsync(_resolver.Resolve(model, defaults.Sequences, defaults.ContextPerSequence), name, pin: false, cancellationToken)
            .ConfigureAwait(false);
        var composed = _resolver.Pipeline.Local(client);
        return new ModelLease<IChatClient>(composed, Concurrency(client), composed, lease);
    }

    /// <inheritdoc />
    public async Task<LoadedModelInfo> LoadAsync(string model, string name, ModelDefaults defaults, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        if (_resolver.IsEndpoint(model))
        {
            throw new RequestValidationException($"'{model}' is a hosted endpoint; only local models are loaded into memory.");
        }

        var resolved = _resolver.Resolve(model, defaults.Sequences, defaults.ContextPerSequence);
        var (_, lease) = await AcquireChatAsync(resolved, name, pin: true, cancellationToken).ConfigureAwait(false);
        lease.Dispose();
        return _cache.Loaded.First(m => string.Equals(m.FileName, System.IO.Path.GetFileName(resolved.Path), StringComparison.Ordinal) && m.Kind == "chat");
    }

    /// <inheritdoc />
    public UnloadOutcome Unload(string name) => _cache.Unload(name);

    /// <inheritdoc />
    public async Task<ModelLease<ITokenEmbedder>> LeaseEmbedderAsync(string model, CancellationToken cancellationToken)
    {
        var resolved = _resolver.Resolve(model);
        var label = resolved.Path == System.IO.Path.GetFullPath(model) ? "BERTScore model" : $"BERTScore model '{model}'";
        if (OnnxEncoders.IsOnnx(resolved.Path))
        {
            // ONNX Runtime holds the encoder outside the llama.cpp memory budget (a BERT-sized model, one at a time)
            var onnx = OnnxEncoders.Open(OnnxEncoders.Settings(resolved.Path, _bertScore, _paths), label);
            return new ModelLease<ITokenEmbedder>(onnx, 1, onnx);
        }

        EmbeddingModels.EnsureEncoder(resolved.Path, label);
        var (embedder, lease) = await _cache.AcquireAsync(
            Key("embedding", resolved, resolved.Name), pin: false,
            () => Load(resolved.Path, resolved.Settings, loaded => new LlamaTokenEmbedder(loaded, threads: _runtime.EffectiveThreads, ownsModel: true)),
            cancellationToken).ConfigureAwait(false);
        return new ModelLease<ITokenEmbedder>(embedder, 1, lease);
    }

    /// <inheritdoc />
    public async Task<ModelLease<IEmbeddingGenerator<string, Embedding<float>>>> LeaseEmbeddingGeneratorAsync(string model, CancellationToken cancellationToken)
    {
        var resolved = _resolver.Resolve(model);
        var (generator, lease) = await _cache.AcquireAsync<IEmbeddingGenerator<string, Embedding<float>>>(
            Key("pooled", resolved, resolved.Name), pin: false,
            () => Load(resolved.Path, resolved.Settings, loaded => new LlamaEmbeddingGenerator(
                loaded,
                Math.Min(resolved.Settings.Sequences, MaxEmbeddingSequences),
                Math.Min(resolved.Settings.ContextPerSequence, MaxEmbeddingContext),
                _runtime.EffectiveThreads,
                ownsModel: true)),
            cancellationToken).ConfigureAwait(false);
        return new ModelLease<IEmbeddingGenerator<string, Embedding<float>>>(generator, 1, lease);
    }

    /// <summary>Releases every model in memory.</summary>
    public void Dispose() => _cache.Dispose();

    private Task<(IChatClient Model, IDisposable Lease)> AcquireChatAsync(ResolvedModel resolved, string name, bool pin, CancellationToken cancellationToken)
    {
        var chat = new LlamaChatClientOptions { ModelName = name, Engine = resolved.Settings.ToEngineOptions(_runtime.EffectiveThreads) };
        return _cache.AcquireAsync<IChatClient>(
            Key("chat", resolved, name), pin,
            _placement == ModelPlacement.Worker
                ? () => StartWorker(resolved, chat)
                : () => Load(resolved.Path, resolved.Settings, loaded => new LlamaChatClient(loaded, chat, _loggers.CreateLogger("MedHelm.Generation"), ownsModel: true)),
            cancellationToken);
    }

    /// <summary>Requests a chat model serves at once: its engine's sequences, in this process or in its worker.</summary>
    private static int Concurrency(IChatClient client) => client switch
    {
        LlamaChatClient local => local.Context.Sequences,
        EngineWorkerClient worker => worker.Sequences,
        _ => 1,
    };

    /// <summary>Starts the model's engine worker process and waits until it has loaded the model.</summary>
    private EngineWorkerClient StartWorker(ResolvedModel resolved, LlamaChatClientOptions chat)
    {
        // Key() refused a special file already; a malformed file is refused here, with the same error as in process, before a worker is started for it
        MedHelm.Gguf.GgufModelValidator.Validate(MedHelm.Gguf.GgufReader.Read(resolved.Path));
        var folder = _selection.ForModel(resolved.Settings.Determinism);
        var config = new EngineWorkerConfig(
            folder.Path, folder.Backend, resolved.Path, resolved.Settings.ToModelSettings(), chat, _runtime.VerboseNativeLog);
        var start = EngineWorkerLocator.StartInfo(chat.ModelName ?? resolved.Name, config.ToJson(), _workerEnvironment);
        return EngineWorkerClient.StartAsync(start, _loggers.CreateLogger("MedHelm.EngineWorker"), CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>The cache key of a model; refuses a special file (FIFO, device) first, for every placement and kind.</summary>
    private static ModelKey Key(string kind, ResolvedModel resolved, string name)
    {
        RegularFiles.EnsureRegular(resolved.Path, "GGUF model file");
        var settings = System.Text.Json.JsonSerializer.Serialize(resolved.Settings);
        return new ModelKey($"{kind}\n{resolved.Path}\n{settings}", name, System.IO.Path.GetFileName(resolved.Path), kind, new FileInfo(resolved.Path).Length);
    }

    /// <summary>Loads a GGUF file and wraps it; the model is released when wrapping fails.</summary>
    private TClient Load<TClient>(string path, LocalModelOptions settings, Func<LlamaModel, TClient> wrap)
    {
        InitializeRuntime(); // the file was checked to be a regular file by Key(), before any lease
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

/// <summary>Where a chat model's engine runs.</summary>
public enum ModelPlacement
{
    /// <summary>In the host's process.</summary>
    Process,

    /// <summary>In a worker process of its own (MedHelm.Engine.Worker).</summary>
    Worker,
}

/// <summary>The <c>ModelLoader</c> section: how many local models may be in memory at once.</summary>
public sealed class ModelLoaderOptions
{
    /// <summary>The section name.</summary>
    public const string SectionName = "ModelLoader";

    /// <summary>Local models loaded at once (a run loads one model, then each judge in turn; a service may keep more).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 64)]
    public int MaxLoadedModels { get; set; } = 1;

    /// <summary>
    /// The sum of the GGUF file sizes (the weights; each model's KV cache comes on top) of the local models in memory at
    /// once, in MiB; 0: only <see cref="MaxLoadedModels"/> counts.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0L, 64L * 1024 * 1024)]
    public long MemoryBudgetMiB { get; set; }

    /// <summary>
    /// Keep an idle model in memory until its room is needed (the next run or request on it starts at once). Default:
    /// on in the service, off in the CLI (whose process ends with its run).
    /// </summary>
    public bool? KeepLoaded { get; set; }

    /// <summary>
    /// Where chat models run: <c>Process</c> (in this process) or <c>Worker</c> (each model in an engine worker process of
    /// its own: an abort in llama.cpp ends that worker and fails its requests in flight, not the host). Default: Worker in
    /// the service, Process in the CLI (whose process ends with its run anyway).
    /// </summary>
    public ModelPlacement? Placement { get; set; }

    /// <summary>Extra environment variables of engine workers (tests set their abort switch here).</summary>
    public Dictionary<string, string>? WorkerEnvironment { get; set; }
}
