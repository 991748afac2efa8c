using System.Collections.Concurrent;
using System.Text.Json;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Application.Tests.Support;
using MedHelm.Cluster.Hosting;
using MedHelm.Gguf.TestModels;
using MedHelm.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.TestingHost;

namespace MedHelm.Cluster.Tests.Support;

/// <summary>
/// A run sharded over Orleans' in-process test cluster: every silo composed as <c>medhelm serve</c> composes a server
/// (<c>AddMedHelm</c> over one throwaway PostgreSQL database, the shard executor), with scripted chat clients in place
/// of the engine (the application tests' <see cref="ScriptedModelLoader"/>: one per silo, so the test sees which silo
/// answered); and the same run on a single server (the orchestrator without a cluster, its own database) to compare.
/// </summary>
internal sealed class ShardedRunHarness : IAsyncDisposable
{
    public const string ModelName = "tiny";

    /// <summary>The judge's name (its GGUF file's name, as a run names a judge given by path).</summary>
    public const string JudgeName = "judge";

    private readonly TempFolder _models = new("medhelm-shards-");
    private readonly List<ServiceProvider> _providers = [];

    private ShardedRunHarness(PostgresTestServer server, string clusterDatabase, ClusterOptions options)
    {
        Server = server;
        ClusterDatabase = clusterDatabase;
        Options = options;
        ModelPath = _models.File(ModelName + ".gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 32, Seed = 1 }, ModelPath);
        JudgePath = _models.File(JudgeName + ".gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 32, Seed = 2 }, JudgePath);
    }

    /// <summary>The judge's GGUF file (the same path on every "server").</summary>
    public string JudgePath { get; }

    public PostgresTestServer Server { get; }

    public string ClusterDatabase { get; }

    public ClusterOptions Options { get; }

    /// <summary>The model's GGUF file (the same path on every "server", as a shared or copied model folder would give).</summary>
    public string ModelPath { get; }

    /// <summary>Each silo's scripted loader, by silo name.</summary>
    public ConcurrentDictionary<string, ScriptedModelLoader> Loaders { get; } = new(StringComparer.Ordinal);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>Starts the database and a two-silo cluster whose silos answer through <paramref name="clientFor"/>(silo name).</summary>
    /// <param name="clientFor">The chat client of each silo, by silo name (null: the silo has no such model).</param>
    /// <param name="leaseSeconds">Cluster:ShardLeaseSeconds (silos renew every third of it).</param>
    /// <param name="judgeFor">The judge's chat client of each silo, by silo name (none: the silos have no judge).</param>
    public static async Task<ShardedRunHarness> StartAsync(Func<string, IChatClient?> clientFor, int leaseSeconds = 600, Func<string, IChatClient>? judgeFor = null)
    {
        var server = await PostgresTestServer.Shared;
        var options = new ClusterOptions { ClusterId = "shards", ShardLeaseSeconds = leaseSeconds, MaxShardsPerSilo = 2, ShardSize = 2 };
        var harness = new ShardedRunHarness(server, await server.CreateDatabaseAsync("shards"), options);
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((silo, orleans) =>
        {
            var loader = harness.Loaders.GetOrAdd(silo.SiloName, _ =>
            {
                var scripted = clientFor(silo.SiloName) is { } client ? new ScriptedModelLoader().With(ModelName, client) : new ScriptedModelLoader();
                return judgeFor is null ? scripted : scripted.With(JudgeName, judgeFor(silo.SiloName));
            });
            harness.Compose(orleans.Services, harness.ClusterDatabase, loader);
            orleans.Services.AddMedHelmClusterServices(options);
            orleans.Services.AddMedHelmShardExecution();
        });
        harness.Cluster = builder.Build();
        await harness.Cluster.DeployAsync();
        return harness;
    }

    /// <summary>A server's composition (as every host's) over the PostgreSQL database <paramref name="database"/>, with <paramref name="loader"/> as its engine.</summary>
    public void Compose(IServiceCollection services, string database, IModelLoader loader)
    {
        var home = new TempFolder("medhelm-shard-home-");
        home.Write("appsettings.json", JsonSerializer.Serialize(new { Storage = new { Provider = "postgres", ConnectionString = Server.ConnectionString(database) } }));
        services.AddMedHelm(MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(home.Path), new MedHelmHostSettings(home.Path));
        services.AddSingleton(loader); // the last registration is the one resolved
        services.AddSingleton(home); // deleted with the container
    }

    /// <summary>The orchestrator of a server outside the silos (as the one a run is submitted to), sharding through the cluster's client.</summary>
    public RunOrchestrator Submitter()
    {
        var services = new ServiceCollection().AddLogging();
        Compose(services, ClusterDatabase, new ScriptedModelLoader());
        services.AddSingleton<IShardedEvaluation>(sp => new ClusterRunEvaluation(
            Cluster.Client, sp.GetRequiredService<Lazy<IResultsDatabase>>(), Microsoft.Extensions.Options.Options.Create(Options), TimeProvider.System,
            NullLogger<ClusterRunEvaluation>.Instance)
        {
            PollInterval = TimeSpan.FromMilliseconds(200),
        });
        return Track(services.BuildServiceProvider()).GetRequiredService<RunOrchestrator>();
    }

    /// <summary>The same run on a single server: the orchestrator without a cluster, over its own new database.</summary>
    public async Task<(RunOutcome Outcome, IReadOnlyList<RunResultRow> Results)> RunAloneAsync(RunRequest request, IChatClient client, IChatClient? judge = null)
    {
        var services = new ServiceCollection().AddLogging();
        var loader = new ScriptedModelLoader().With(ModelName, client);
        Compose(services, await Server.CreateDatabaseAsync("alone"), judge is null ? loader : loader.With(JudgeName, judge));
        var provider = Track(services.BuildServiceProvider());
        var outcome = await provider.GetRequiredService<RunOrchestrator>().ExecuteAsync(request, NullRunObserver.Instance, CancellationToken.None);
        return (outcome, await provider.GetRequiredService<IResultsDatabase>().GetRunResultsAsync(outcome.RunId, includeOutputs: true));
    }

    /// <summary>The run's results in the cluster's database.</summary>
    public async Task<IReadOnlyList<RunResultRow>> ClusterResultsAsync(string runId)
    {
        var services = new ServiceCollection().AddLogging();
        Compose(services, ClusterDatabase, new ScriptedModelLoader());
        return await Track(services.BuildServiceProvider()).GetRequiredService<IResultsDatabase>().GetRunResultsAsync(runId, includeOutputs: true);
    }

    /// <summary>The run's jury ratings in the cluster's database.</summary>
    public async Task<IReadOnlyList<Evaluation.Jury.StoredJuryRating>> ClusterRatingsAsync(string runId)
    {
        var services = new ServiceCollection().AddLogging();
        Compose(services, ClusterDatabase, new ScriptedModelLoader());
        return await Track(services.BuildServiceProvider()).GetRequiredService<IResultsDatabase>().GetJuryRatingsAsync(runId);
    }

    /// <summary>The run's status in the cluster's database.</summary>
    public async Task<Evaluation.Results.RunStatus?> RunStatusAsync(string runId)
    {
        var services = new ServiceCollection().AddLogging();
        Compose(services, ClusterDatabase, new ScriptedModelLoader());
        return (await Track(services.BuildServiceProvider()).GetRequiredService<IResultsDatabase>().GetRunAsync(runId))?.Status;
    }

    /// <summary>What identifies a stored result and its scoring, in a stable order.</summary>
    public static string[] Fingerprint(IEnumerable<RunResultRow> rows) =>
        [.. rows.Select(r => $"{r.Model}|{r.Benchmark}|{r.InstanceId}|{r.Metric}|{r.Score}|{r.OutputSha256}").Order(StringComparer.Ordinal)];

    private ServiceProvider Track(ServiceProvider provider)
    {
        _providers.Add(provider);
        return provider;
    }

    public async ValueTask DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
        _models.Dispose();
    }
}
