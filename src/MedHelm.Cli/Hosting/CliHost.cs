using MedHelm.Inference.Llama.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MedHelm.Cli.Hosting;

/// <summary>The composed services for one command invocation.</summary>
internal sealed class CliHost : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private CliHost(string home, ServiceProvider provider)
    {
        Home = home;
        _provider = provider;
    }

    public string Home { get; }

    public static CliHost Start(bool verbose)
    {
        var home = MedHelmHome.Resolve();
        var configuration = ServiceCollectionExtensions.BuildMedHelmConfiguration(home);
        var services = new ServiceCollection()
            .AddMedHelmOptions(configuration)
            .AddMedHelmLogging(configuration, verbose);
        var provider = services.BuildServiceProvider();
        provider.ValidateMedHelmOptions();
        return new CliHost(home, provider);
    }

    public T Options<T>() where T : class => _provider.GetRequiredService<IOptions<T>>().Value;

    public ILogger Logger(string category) => _provider.GetRequiredService<ILoggerFactory>().CreateLogger(category);

    public string ResolvePath(string path) => MedHelmHome.ResolvePath(Home, path);

    /// <summary>The results database file (Storage:DataFolder / Storage:DatabaseFile), which may not exist yet.</summary>
    public string DatabasePath
    {
        get
        {
            var storage = Options<StorageOptions>();
            return System.IO.Path.Combine(ResolvePath(storage.DataFolder), storage.DatabaseFile);
        }
    }

    /// <summary>
    /// Resolves <c>--model</c>: a name from the Models section (its file and settings), or a GGUF path
    /// (default settings: all layers on the GPU when there is one, <paramref name="defaultSequences"/> slots).
    /// </summary>
    public (string Name, string Path, LocalModelOptions Settings) ResolveModel(string nameOrPath, int defaultSequences = 1, int defaultContext = 4096)
    {
        var models = Options<Dictionary<string, LocalModelOptions>>();
        if (models.TryGetValue(nameOrPath, out var configured))
        {
            return (nameOrPath, ResolvePath(configured.File), configured);
        }

        var path = System.IO.Path.GetFullPath(nameOrPath);
        if (!File.Exists(path))
        {
            var known = models.Count == 0 ? "none are configured" : $"configured: {string.Join(", ", models.Keys)}";
            throw new FileNotFoundException($"The model file {path} does not exist, and '{nameOrPath}' is not a model name in appsettings.json ({known}).");
        }

        return (System.IO.Path.GetFileNameWithoutExtension(path), path, new LocalModelOptions { File = path, Sequences = defaultSequences, ContextPerSequence = defaultContext });
    }

    /// <summary>True when <paramref name="name"/> is a hosted endpoint of the Endpoints section.</summary>
    public bool IsEndpoint(string name) => Options<EndpointsOptions>().Items.ContainsKey(name);

    /// <summary>
    /// A chat client for a hosted endpoint, after checking that endpoints are enabled and that this one may receive
    /// data of <paramref name="tier"/>.
    /// </summary>
    public Microsoft.Extensions.AI.IChatClient CreateHostedClient(string name, Core.Catalog.AccessTier tier)
    {
        var endpoints = Options<EndpointsOptions>();
        HostedDataPolicy.EnsureAllowed(endpoints, name, tier);
        var endpoint = endpoints.Items[name];
        var key = endpoint.ApiKeyEnvironmentVariable is { Length: > 0 } variable ? Environment.GetEnvironmentVariable(variable) : null;
        if (endpoint.ApiKeyEnvironmentVariable is { Length: > 0 } && string.IsNullOrEmpty(key))
        {
            throw new ArgumentException($"The endpoint '{name}' reads its API key from ${endpoint.ApiKeyEnvironmentVariable}, which is not set.");
        }

        return new Inference.OpenAI.OpenAICompatibleChatClient(
            new Inference.OpenAI.OpenAICompatibleOptions
            {
                BaseAddress = new Uri(endpoint.BaseUrl),
                Model = endpoint.Model,
                ApiKey = key,
                Timeout = TimeSpan.FromSeconds(endpoint.TimeoutSeconds),
                MaxRetries = endpoint.MaxRetries,
            },
            logger: Logger("MedHelm.Hosted"));
    }

    /// <summary>Loads llama.cpp from the configured backend folder.</summary>
    public LlamaRuntimeInfo InitializeLlama()
    {
        var options = Options<LlamaRuntimeOptions>();
        return LlamaRuntime.Initialize(options.BackendFolder(Home), options.Backend, Logger("MedHelm.LlamaCpp"), options.VerboseNativeLog);
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
