using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Evaluation.Running;
using MedHelm.Gguf.TestModels;
using MedHelm.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace MedHelm.Application.Tests.Support;

/// <summary>
/// The application layer composed over a real temporary SQLite file and a temporary home holding tiny generated GGUF
/// files (read and hashed by the planner as in production), with scripted clients in place of the engine.
/// </summary>
public sealed class RunHarness : IAsyncDisposable
{
    private readonly TempFolder _home = new("medhelm-app-");

    public RunHarness(EndpointsOptions? endpoints = null, EhrSqlDatabaseOptions? ehrSql = null, BertScoreOptions? bertScore = null)
    {
        Paths = new MedHelmPaths(_home.Path, new StorageOptions());
        Endpoints = endpoints ?? new EndpointsOptions();
        EhrSql = ehrSql ?? new EhrSqlDatabaseOptions();
        BertScore = bertScore ?? new BertScoreOptions();
        // BERTScore's ONNX path is real (ONNX Runtime on a generated encoder); only chat models are scripted
        Loader.Embedder = path => OnnxEncoders.Open(OnnxEncoders.Settings(path, BertScore, Paths), "BERTScore model");
    }

    /// <summary>The BertScore settings (mutable between runs, as a changed appsettings.json).</summary>
    public BertScoreOptions BertScore { get; }

    public EhrSqlDatabaseOptions EhrSql { get; }

    /// <summary>The temporary home folder (relative settings resolve against it).</summary>
    public string Home => _home.Path;

    public MedHelmPaths Paths { get; }

    public EndpointsOptions Endpoints { get; }

    public ScriptedModelLoader Loader { get; } = new();

    public RecordingObserver Observer { get; } = new();

    /// <summary>Writes a tiny random-weight GGUF model named <paramref name="name"/> and returns its path.</summary>
    public string Model(string name, int seed = 1)
    {
        var path = Path.Combine(_home.Path, name + ".gguf");
        if (!File.Exists(path))
        {
            TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 32, Seed = seed }, path);
        }

        return path;
    }

    /// <summary>Opens the run's database (a new connection each time: what a second process sees).</summary>
    public async Task<IResultsDatabase> OpenDatabaseAsync() =>
        await new SqliteResultsDatabaseFactory().OpenAsync(Paths.DatabasePath, create: true);

    /// <summary>Runs <paramref name="request"/> with a fresh orchestrator over a fresh database connection, as a new process would.</summary>
    public async Task<RunOutcome> RunAsync(RunRequest request, CancellationToken cancellationToken = default, CancellationToken drain = default)
    {
        await using var database = await OpenDatabaseAsync();
        var resolver = new ModelResolver(Paths, MsOptions.Create(new Dictionary<string, LocalModelOptions>()), MsOptions.Create(Endpoints), NullLoggerFactory.Instance);
        var planner = new RunPlanner(resolver, Paths, MsOptions.Create(new JuryOptions()), MsOptions.Create(new DemoOptions()), MsOptions.Create(EhrSql), MsOptions.Create(BertScore));
        var jury = new JuryStep(Loader, planner, resolver, MsOptions.Create(new JuryOptions()), NullLoggerFactory.Instance);
        var bertScore = new BertScoreStep(Loader);
        var orchestrator = new RunOrchestrator(new Lazy<IResultsDatabase>(database), planner, Loader, jury, bertScore, NullLoggerFactory.Instance);
        return await orchestrator.ExecuteAsync(request, Observer, cancellationToken, drain);
    }

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _home.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Records what a run told its host.</summary>
public sealed class RecordingObserver : IRunObserver
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _notices = new();

    public IReadOnlyList<string> Notices => _notices.ToArray();

    public System.Collections.Concurrent.ConcurrentQueue<EvaluationProgress> Progress { get; } = new();

    public void Notice(string message) => _notices.Enqueue(message);

    public Task<IRunProgress> BeginProgressAsync(IReadOnlyList<ProgressItem> items, CancellationToken cancellationToken) =>
        Task.FromResult<IRunProgress>(new Phase(this));

    private sealed class Phase(RecordingObserver owner) : IRunProgress, IProgress<EvaluationProgress>
    {
        public IProgress<EvaluationProgress> For(string key) => this;

        public void Report(EvaluationProgress value) => owner.Progress.Enqueue(value);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
