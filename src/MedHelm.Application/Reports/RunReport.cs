using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Results;

namespace MedHelm.Application.Reports;

/// <summary>What to put in a <see cref="RunReport"/>.</summary>
public sealed record RunReportOptions
{
    /// <summary>The options of a plain report: outputs by hash only.</summary>
    public static RunReportOptions Default { get; } = new();

    /// <summary>Include each result's output text (it may be patient data); by default only its SHA-256.</summary>
    public bool IncludeOutputs { get; init; }
}

/// <summary>
/// Everything recorded about one run, read from storage: provenance, the typed manifest, models, counts, the data
/// each benchmark ran on, the leaderboard (sub-runs averaged as MedHELM does), secondary means, the jury, the
/// per-instance results and the audit. Numbers, ids and hashes only — output text only when asked for.
/// Built by <see cref="RunReportBuilder"/>; printed by <see cref="RunReportTextFormatter"/> and <see cref="RunReportJsonFormatter"/>.
/// </summary>
/// <param name="Run">The run's row: id, status, times, versions, machine, GPUs, stored configuration.</param>
/// <param name="ConfigSha256">SHA-256 of the stored configuration.</param>
/// <param name="Manifest">The typed configuration; null for a run not started by <c>medhelm run</c> (no plan).</param>
/// <param name="Models">The recorded identity of each evaluated model.</param>
/// <param name="Counts">Results linked to the run, computed and reused.</param>
/// <param name="Benchmarks">The benchmarks of the manifest with the data they ran on.</param>
/// <param name="Leaderboard">Model × benchmark rows with their data mark and sub-run means.</param>
/// <param name="SecondaryMeans">Means of the secondary statistics per model × benchmark × statistic.</param>
/// <param name="JuryCounts">Per benchmark × judge: instances rated, verdicts, failures, mean rating.</param>
/// <param name="JuryReports">Per model × juried benchmark: the jury's report.</param>
/// <param name="Results">Per model × benchmark × instance: the stored result with its gold answer and sub-run.</param>
/// <param name="Audit">The run's audit events, oldest first.</param>
public sealed record RunReport(
    RunRecord Run,
    string ConfigSha256,
    RunManifest? Manifest,
    IReadOnlyList<StoredModel> Models,
    RunCounts Counts,
    IReadOnlyList<ReportBenchmark> Benchmarks,
    IReadOnlyList<ReportLeaderboardRow> Leaderboard,
    IReadOnlyList<SecondaryMean> SecondaryMeans,
    IReadOnlyList<JuryCount> JuryCounts,
    IReadOnlyList<JuryReportEntry> JuryReports,
    IReadOnlyList<ReportResult> Results,
    IReadOnlyList<AuditEvent> Audit);

/// <summary>How many results a run links, and how many it computed or reused.</summary>
public sealed record RunCounts(int Results, int Computed, int Reused);

/// <summary>One benchmark of a run and the data it ran on.</summary>
/// <param name="Name">The benchmark.</param>
/// <param name="DatasetSha256">The import's hash.</param>
/// <param name="Source">An imported path, or <c>bundled:NAME</c>.</param>
/// <param name="Instances">Instances evaluated per model.</param>
/// <param name="Data">Imported (the site's files), bundled (a public excerpt) or synthetic (a stand-in).</param>
/// <param name="SubRuns">The benchmark's sub-runs (empty when it is a single run).</param>
public sealed record ReportBenchmark(string Name, string DatasetSha256, string Source, int Instances, DataOrigin Data, IReadOnlyList<string> SubRuns);

/// <summary>A leaderboard row with the data it was computed on and, for a benchmark made of sub-runs, their means.</summary>
/// <param name="Row">The row; for a benchmark with sub-runs its score is the unweighted mean of <paramref name="SubRuns"/>.</param>
/// <param name="Data">The data the results came from (the most caveated one across runs); null when not recorded.</param>
/// <param name="SubRuns">The sub-run means (empty for a single-run benchmark).</param>
public sealed record ReportLeaderboardRow(LeaderboardRow Row, DataOrigin? Data, IReadOnlyList<SubRunScore> SubRuns);

/// <summary>A leaderboard read from storage: one run's, or the latest result of every instance across runs.</summary>
/// <param name="RunId">The run, or null for every run.</param>
/// <param name="Rows">The rows, ordered by benchmark, then score (descending), then model.</param>
public sealed record LeaderboardReport(string? RunId, IReadOnlyList<ReportLeaderboardRow> Rows);

/// <summary>One secondary statistic averaged over the scored instances of a model × benchmark.</summary>
public sealed record SecondaryMean(string Model, string Benchmark, string Metric, double Mean, int Instances);

/// <summary>Per benchmark × judge: instances rated, instances with a verdict, failures, ratings and their mean.</summary>
public sealed record JuryCount(string Benchmark, string Judge, int Instances, int Verdicts, int Failures, int Ratings, double? MeanRating);

/// <summary>One stored result of a run with what the dataset says about its instance.</summary>
/// <param name="Row">The stored result.</param>
/// <param name="Gold">
/// The instance's gold answer; null when its import is not in the database, and for an open-ended benchmark (whose
/// reference text may be patient data) unless the outputs were asked for.
/// </param>
/// <param name="SubRun">The sub-run the instance belongs to, or null (a single-run benchmark, or unknown).</param>
public sealed record ReportResult(RunResultRow Row, string? Gold, string? SubRun);
