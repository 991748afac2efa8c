using MedHelm.Application.Errors;
using MedHelm.Application.Hosting;
using MedHelm.Application.Options;
using MedHelm.Application.Policy;
using MedHelm.Core.Catalog;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MedHelm.Application.Models;

/// <summary>A local model named on a command line or in a request: its name, file and serving settings.</summary>
/// <param name="Name">The Models name, or the file name without folder and extension.</param>
/// <param name="Path">The GGUF file.</param>
/// <param name="Settings">How it is placed and served.</param>
public sealed record ResolvedModel(string Name, string Path, LocalModelOptions Settings);

/// <summary>Resolves model arguments: <c>Models</c> names, <c>Endpoints</c> names and GGUF paths.</summary>
public sealed class ModelResolver(
    MedHelmPaths paths,
    IOptions<Dictionary<string, LocalModelOptions>> models,
    IOptions<EndpointsOptions> endpoints,
    ILoggerFactory loggers,
    ModelClientPipeline? pipeline = null)
{
    private readonly ModelClientPipeline _pipeline = pipeline ?? new ModelClientPipeline(
        loggers, new Inference.OpenAI.EgressBoundary(EgressHosts.Of(endpoints.Value), (_, _) => ValueTask.CompletedTask));

    /// <summary>The composition every model client goes through.</summary>
    public ModelClientPipeline Pipeline => _pipeline;

    /// <summary>The local models of the Models section.</summary>
    public IEnumerable<LocalModelOptions> LocalModels => models.Value.Values;

    /// <summary>The Endpoints section.</summary>
    public EndpointsOptions Endpoints => endpoints.Value;

    /// <summary>
    /// A name from the Models section (its file and settings), or a GGUF path (default settings: all layers on the GPU
    /// when there is one, <paramref name="defaultSequences"/> slots of <paramref name="defaultContext"/> tokens).
    /// </summary>
    /// <exception cref="NotFoundException">Neither a configured name nor an existing file.</exception>
    public ResolvedModel Resolve(string nameOrPath, int defaultSequences = 1, int defaultContext = 4096)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        var configured = models.Value;
        if (configured.TryGetValue(nameOrPath, out var entry))
        {
            return new ResolvedModel(nameOrPath, paths.Resolve(entry.File), entry);
        }

        var path = System.IO.Path.GetFullPath(nameOrPath);
        if (!File.Exists(path))
        {
            var known = configured.Count == 0 ? "none are configured" : $"configured: {string.Join(", ", configured.Keys)}";
            throw new NotFoundException($"The model file {path} does not exist, and '{nameOrPath}' is not a model name in appsettings.json ({known}).");
        }

        return new ResolvedModel(
            System.IO.Path.GetFileNameWithoutExtension(path), path,
            new LocalModelOptions { File = path, Sequences = defaultSequences, ContextPerSequence = defaultContext });
    }

    /// <summary>True when <paramref name="name"/> is a hosted endpoint of the Endpoints section.</summary>
    public bool IsEndpoint(string name) => endpoints.Value.Items.ContainsKey(name);

    /// <summary>
    /// A chat client for a hosted endpoint, after checking that endpoints are enabled and that this one may receive data
    /// of <paramref name="tier"/> (checked again on every request: <see cref="ModelClientPipeline.Hosted"/>).
    /// </summary>
    /// <exception cref="PolicyViolationException">Endpoints are off, or the endpoint may not see this data.</exception>
    /// <exception cref="RequestValidationException">The endpoint's API key variable is not set.</exception>
    public IChatClient CreateHostedClient(string name, AccessTier tier)
    {
        var configured = endpoints.Value;
        HostedDataPolicy.EnsureAllowed(configured, name, tier);
        var endpoint = configured.Items[name];
        var key = endpoint.ApiKeyEnvironmentVariable is { Length: > 0 } variable ? Environment.GetEnvironmentVariable(variable) : null;
        if (endpoint.ApiKeyEnvironmentVariable is { Length: > 0 } && string.IsNullOrEmpty(key))
        {
            throw new RequestValidationException($"The endpoint '{name}' reads its API key from ${endpoint.ApiKeyEnvironmentVariable}, which is not set.");
        }

        var client = Inference.OpenAI.HostedChatClient.Create(
            new Inference.OpenAI.OpenAICompatibleOptions
            {
                BaseAddress = new Uri(endpoint.BaseUrl),
                Model = endpoint.Model,
                ApiKey = key,
                Timeout = TimeSpan.FromSeconds(endpoint.TimeoutSeconds),
                MaxRetries = endpoint.MaxRetries,
            },
            _pipeline.Boundary.Handler,
            loggers.CreateLogger("MedHelm.Hosted"));
        return _pipeline.Hosted(client, configured, name, tier);
    }
}
