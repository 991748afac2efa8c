using MedHelm.Evaluation.Running;

namespace MedHelm.Application.Runs;

/// <summary>What a host asks the orchestrator for: a new run, or the resume of a stored one.</summary>
/// <param name="Benchmarks">Benchmark names (empty with a suite).</param>
/// <param name="Suite">A suite (<see cref="RunSuites"/>) instead of benchmark names.</param>
/// <param name="Models">Models: Models or Endpoints names, or GGUF files.</param>
/// <param name="Jury">Judges (empty: the Jury section's; ["none"]: no jury).</param>
/// <param name="MaxInstances">Instances per benchmark, or null for all.</param>
/// <param name="RunId">The run's id (generated when null); with <paramref name="Resume"/> the run to continue.</param>
/// <param name="Resume">Continue <paramref name="RunId"/> with its stored settings.</param>
/// <param name="Mode">Scoring mode (corrected, helm), or null for corrected (or the stored mode on a resume).</param>
/// <param name="BertScoreModel">A BERT-family model for BERTScore of open-ended answers, or null.</param>
/// <param name="Samples">Run benchmarks that were never imported on their bundled samples (otherwise they are refused).</param>
public sealed record RunRequest(
    IReadOnlyList<string> Benchmarks,
    string? Suite,
    IReadOnlyList<string> Models,
    IReadOnlyList<string> Jury,
    int? MaxInstances = null,
    string? RunId = null,
    bool Resume = false,
    string? Mode = null,
    string? BertScoreModel = null,
    bool Samples = false);

/// <summary>The suites a run may name.</summary>
public static class RunSuites
{
    /// <summary>Every benchmark with a bundled sample, run on the samples.</summary>
    public const string Demo = "demo";

    /// <summary>Every public benchmark (imported data, or the bundled samples with <see cref="RunRequest.Samples"/>).</summary>
    public const string Public = "medhelm-public";

    /// <summary>Whatever has been imported.</summary>
    public const string All = "medhelm-all";
}

/// <summary>A benchmark a run did not evaluate.</summary>
public sealed record SkippedBenchmark(string Name, string Reason);

/// <summary>Instances of a model × benchmark the model refused (e.g. a prompt too long for its context).</summary>
public sealed record RefusedInstances(string Model, string Benchmark, IReadOnlyList<RejectedInstance> Instances);

/// <summary>What a finished run did.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Computed">Results computed by this attempt.</param>
/// <param name="Reused">Results taken from the ledger.</param>
/// <param name="Skipped">Benchmarks not evaluated, with reasons.</param>
/// <param name="Refused">Instances the models refused.</param>
/// <param name="DatabasePath">Where the run is stored.</param>
/// <param name="Judges">The names the judges' ratings are stored under (empty: no jury).</param>
/// <param name="JuriedBenchmarks">The open-ended benchmarks the jury rated, in plan order.</param>
public sealed record RunOutcome(
    string RunId, int Computed, int Reused, IReadOnlyList<SkippedBenchmark> Skipped, IReadOnlyList<RefusedInstances> Refused, string DatabasePath,
    IReadOnlyList<string> Judges, IReadOnlyList<string> JuriedBenchmarks);

/// <summary>One progress bar of a run: a model × benchmark, or a step such as BERTScore.</summary>
/// <param name="Key">Identifies the bar.</param>
/// <param name="Label">What it shows (names only, never patient text).</param>
/// <param name="Total">Instances.</param>
public sealed record ProgressItem(string Key, string Label, int Total);

/// <summary>Progress of one phase of a run; disposing it ends the phase.</summary>
public interface IRunProgress : IAsyncDisposable
{
    /// <summary>The sink of one bar.</summary>
    IProgress<EvaluationProgress> For(string key);
}

/// <summary>
/// What a run tells its host while it works: the CLI draws it as progress lines, a service exposes it as run status.
/// Only names, counts and paths are passed, never prompt or output text.
/// </summary>
public interface IRunObserver
{
    /// <summary>One line of information (e.g. "run X: 1 model(s) × 3 benchmark(s)", a skipped benchmark, a jury step).</summary>
    void Notice(string message);

    /// <summary>Starts a phase with progress bars.</summary>
    Task<IRunProgress> BeginProgressAsync(IReadOnlyList<ProgressItem> items, CancellationToken cancellationToken);
}

/// <summary>An observer that discards everything.</summary>
public sealed class NullRunObserver : IRunObserver
{
    /// <summary>The instance.</summary>
    public static NullRunObserver Instance { get; } = new();

    /// <inheritdoc />
    public void Notice(string message)
    {
    }

    /// <inheritdoc />
    public Task<IRunProgress> BeginProgressAsync(IReadOnlyList<ProgressItem> items, CancellationToken cancellationToken) =>
        Task.FromResult<IRunProgress>(new NullProgress());

    private sealed class NullProgress : IRunProgress, IProgress<EvaluationProgress>
    {
        public IProgress<EvaluationProgress> For(string key) => this;

        public void Report(EvaluationProgress value)
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
