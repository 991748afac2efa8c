using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Ports;
using MedHelm.Hosting;
using MedHelm.Hosting.Logging;
using MedHelm.Inference.Llama.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MedHelm.Cli.Hosting;

/// <summary>The composed services for one command invocation (<see cref="MedHelmServiceCollectionExtensions.AddMedHelm"/>).</summary>
internal sealed class CliHost : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private CliHost(ServiceProvider provider)
    {
        _provider = provider;
        Paths = provider.GetRequiredService<MedHelmPaths>();
    }

    /// <summary>Where this installation's files and the results database are.</summary>
    public MedHelmPaths Paths { get; }

    public string Home => Paths.Home;

    /// <summary>The results database file (Storage section, or --db / --data), which may not exist yet.</summary>
    public string DatabasePath => Paths.DatabasePath;

    public static CliHost Start(bool verbose, string? database, string? dataFolder)
    {
        var home = MedHelmHome.Resolve();
        var configuration = MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(home);
        var provider = new ServiceCollection()
            .AddMedHelm(configuration, new MedHelmHostSettings(home, database, dataFolder))
            .AddMedHelmLogging(configuration, verbose)
            .BuildServiceProvider();
        try
        {
            provider.ValidateMedHelmOptions();
        }
        catch
        {
            provider.Dispose();
            throw;
        }

        return new CliHost(provider);
    }

    public T Service<T>() where T : notnull => _provider.GetRequiredService<T>();

    public T Options<T>() where T : class => _provider.GetRequiredService<IOptions<T>>().Value;

    public ILogger Logger(string category) => _provider.GetRequiredService<ILoggerFactory>().CreateLogger(category);

    public string ResolvePath(string path) => Paths.Resolve(path);

    /// <summary>The results database; created (owner-only) on first use.</summary>
    public IResultsDatabase Database => Service<IResultsDatabase>();

    /// <summary>The results database when it exists; a NotFoundException naming the file otherwise (read-only commands).</summary>
    public Task<IResultsDatabase> OpenExistingDatabaseAsync(CancellationToken cancellationToken) =>
        Service<IResultsDatabaseFactory>().OpenAsync(DatabasePath, create: false, cancellationToken);

    /// <inheritdoc cref="ModelResolver.Resolve"/>
    public ResolvedModel ResolveModel(string nameOrPath, int defaultSequences = 1, int defaultContext = 4096) =>
        Service<ModelResolver>().Resolve(nameOrPath, defaultSequences, defaultContext);

    /// <inheritdoc cref="ModelResolver.IsEndpoint"/>
    public bool IsEndpoint(string name) => Service<ModelResolver>().IsEndpoint(name);

    /// <inheritdoc cref="ModelResolver.CreateHostedClient"/>
    public Microsoft.Extensions.AI.IChatClient CreateHostedClient(string name, Core.Catalog.AccessTier tier) =>
        Service<ModelResolver>().CreateHostedClient(name, tier);

    /// <summary>Loads llama.cpp from the configured backend folder.</summary>
    public LlamaRuntimeInfo InitializeLlama(MedHelm.Inference.Llama.Generation.DeterminismMode? mode = null) => Service<InProcessModelLoader>().InitializeRuntime(mode);

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
