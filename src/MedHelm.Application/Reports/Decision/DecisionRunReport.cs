using MedHelm.Application.Options;
using MedHelm.Core.Catalog;
using MedHelm.Core.Decision;

namespace MedHelm.Application.Reports.Decision;

/// <summary>What to put in a <see cref="DecisionRunReport"/>.</summary>
public sealed record DecisionRunReportOptions
{
    /// <summary>The defaults: no baselines, no text, the default bootstrap.</summary>
    public static DecisionRunReportOptions Default { get; } = new();

    /// <summary>Compute the floors (<see cref="Decision.Baselines"/>) beside the models.</summary>
    public bool Baselines { get; init; }

    /// <summary>
    /// Include example instances with their text (prompt, outputs, gold, jury explanations): it may be patient data,
    /// and the report then says so on its first line.
    /// </summary>
    public bool IncludeText { get; init; }

    /// <summary>Example instances per benchmark with <see cref="IncludeText"/>.</summary>
    public int ExamplesPerBenchmark { get; init; } = 2;

    /// <summary>Bootstrap replicates, seed and confidence.</summary>
    public DecisionOptions Decision { get; init; } = DecisionOptions.Default;

    /// <summary>
    /// Two models to compare per benchmark (paired bootstrap of the difference, McNemar's exact test for 0/1 scores, the
    /// minimum detectable effect), or null for none.
    /// </summary>
    public (string First, string Second)? Compare { get; init; }
}

/// <summary>One run the report reads, with what it ran.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Status">Its status.</param>
/// <param name="StartedUtc">When it started.</param>
/// <param name="AppVersion">MedHelm's version.</param>
/// <param name="LlamaCpp">The llama.cpp version, when local models ran.</param>
/// <param name="Machine">The machine.</param>
/// <param name="Gpu">The GPUs, or null.</param>
/// <param name="ConfigSha256">SHA-256 of its stored configuration.</param>
/// <param name="Models">Its models with their file hashes ("name sha256" or "name (endpoint)").</param>
/// <param name="Judges">Its judges.</param>
/// <param name="Results">Results it links (computed and reused).</param>
public sealed record ReportRun(
    string RunId, string Status, DateTimeOffset StartedUtc, string AppVersion, string? LlamaCpp, string Machine, string? Gpu, string ConfigSha256,
    IReadOnlyList<string> Models, IReadOnlyList<string> Judges, int Results);

/// <summary>Where one model × benchmark cell's numbers came from.</summary>
/// <param name="Model">The model.</param>
/// <param name="Benchmark">The benchmark.</param>
/// <param name="Runs">The runs its latest results came from.</param>
/// <param name="Data">Imported, bundled or synthetic (the most caveated of its runs).</param>
/// <param name="DatasetSha256">The import's hash (several when runs used different imports).</param>
/// <param name="Source">Where the data came from (an imported path, or <c>bundled:NAME</c>).</param>
/// <param name="Files">The import's files with their SHA-256 ("name sha256"); empty for a bundled sample.</param>
/// <param name="Instances">Instances behind the score.</param>
/// <param name="Computed">Of those, computed (not reused from the ledger) by the run they came from.</param>
/// <param name="SubRuns">Its sub-runs (empty for a single-run benchmark).</param>
public sealed record CellProvenance(
    string Model, string Benchmark, IReadOnlyList<string> Runs, DataOrigin? Data, IReadOnlyList<string> DatasetSha256, string Source,
    IReadOnlyList<string> Files, int Instances, int Computed, IReadOnlyList<string> SubRuns);

/// <summary>A model's whole workload: the usage summed over its benchmarks, its cost and what it bought.</summary>
/// <param name="Model">The model.</param>
/// <param name="Cost">Usage and cost over all its benchmarks.</param>
/// <param name="MacroAverage">Its macro average (0-1).</param>
/// <param name="MeanWinRate">Its mean win rate, or null.</param>
/// <param name="CostPerPoint">Its cost (<see cref="Decision.Cost.Total"/>) per point (1/100) of macro average, or null.</param>
/// <param name="HostedPerPoint">Per hosted price list: the actual-token cost per point of macro average.</param>
public sealed record ModelCost(string Model, Cost Cost, double MacroAverage, double? MeanWinRate, double? CostPerPoint, IReadOnlyList<HostedPerPoint> HostedPerPoint);

/// <summary>The actual-token cost of a model's workload at one hosted price list, per point of its macro average.</summary>
public sealed record HostedPerPoint(string PriceList, double? PerPoint);

/// <summary>A judge's time on one benchmark and what it cost (judges record no token counts: device time only).</summary>
/// <param name="Judge">The judge.</param>
/// <param name="Benchmark">The benchmark.</param>
/// <param name="Local">A local judge (device time) rather than a hosted one.</param>
/// <param name="Rated">Outputs it rated.</param>
/// <param name="WallSeconds">Measured wall time.</param>
/// <param name="Device">Device-hours × price; null for a hosted judge or without a price.</param>
/// <param name="Energy">The energy cost, when configured.</param>
public sealed record JuryCost(string Judge, string Benchmark, bool Local, int Rated, double WallSeconds, double? Device, double? Energy);

/// <summary>How much two judges agreed on one model's outputs of one benchmark.</summary>
public sealed record JuryAgreementRow(string Benchmark, string Model, string First, string Second, int Instances, double Spearman, double Icc21);

/// <summary>One model's answer to an example instance, with the jury's explanations.</summary>
/// <param name="Model">The model.</param>
/// <param name="Output">Its answer.</param>
/// <param name="Score">Its main score; null when undefined (helm mode where HELM's own code raises).</param>
/// <param name="Explanations">"judge · criterion: rating — explanation" lines (open-ended benchmarks).</param>
public sealed record ExampleAnswer(string Model, string Output, double? Score, IReadOnlyList<string> Explanations);

/// <summary>An example instance (only in a report made with <see cref="DecisionRunReportOptions.IncludeText"/>).</summary>
public sealed record ExampleInstance(string Benchmark, string InstanceId, string Prompt, string? Gold, IReadOnlyList<ExampleAnswer> Answers);

/// <summary>
/// The decision report over stored runs: MedHELM's Table 1 with intervals (<see cref="DecisionTable"/>), where every
/// number came from, measured cost, the floors, jury agreement and, only on request, example instances with text.
/// Built by <see cref="DecisionRunReportBuilder"/>.
/// </summary>
/// <param name="Decision">Table 1 (win rates, macro averages, category means, with bootstrap intervals) and its sources.</param>
/// <param name="Metrics">Each benchmark's main metric, by run-spec name.</param>
/// <param name="Runs">The runs read.</param>
/// <param name="Provenance">Per model × benchmark: runs, data, hashes, instances, sub-runs.</param>
/// <param name="Usage">Per model × benchmark: tokens, time and cost.</param>
/// <param name="Models">Per model: total usage and cost, and cost per point of macro average.</param>
/// <param name="Jury">Per judge × benchmark: time and cost (shown apart from the models').</param>
/// <param name="Baselines">The floors (empty unless asked for).</param>
/// <param name="Agreement">Inter-judge agreement per benchmark × model × judge pair.</param>
/// <param name="Examples">Example instances (empty unless <see cref="IncludesText"/>).</param>
/// <param name="Pricing">The prices used (from the configuration).</param>
/// <param name="IncludesText">True when the report holds prompt, output or reference text (possibly patient data).</param>
/// <param name="Notes">What could not be measured or computed, in words.</param>
public sealed record DecisionRunReport(
    DecisionReport Decision,
    IReadOnlyDictionary<string, string> Metrics,
    IReadOnlyList<ReportRun> Runs,
    IReadOnlyList<CellProvenance> Provenance,
    IReadOnlyList<Cost> Usage,
    IReadOnlyList<ModelCost> Models,
    IReadOnlyList<JuryCost> Jury,
    IReadOnlyList<BaselineScore> Baselines,
    IReadOnlyList<JuryAgreementRow> Agreement,
    IReadOnlyList<ExampleInstance> Examples,
    PricingOptions Pricing,
    bool IncludesText,
    IReadOnlyList<string> Notes)
{
    /// <summary>The first line of a report that holds text.</summary>
    public const string PatientTextWarning = "CONTAINS PATIENT TEXT: this report includes prompts, outputs and references (made with --include-text); handle it as patient data.";

    /// <summary>Table 1.</summary>
    public DecisionTable Table => Decision.Table;

    /// <summary>
    /// The report of an external score table (<c>report --scores</c>): Table 1 only: no runs, so no provenance beyond
    /// the file, no measured cost, no floors and no text.
    /// </summary>
    public static DecisionRunReport OfScores(DecisionReport decision, PricingOptions pricing)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(pricing);
        return new DecisionRunReport(
            decision,
            decision.Table.Benchmarks.ToDictionary(b => b.Name, b => BuiltInBenchmarks.Find(b.Name)?.MainMetric ?? "", StringComparer.Ordinal),
            [], [], [], [], [], [], [], [], pricing, false,
            ["Computed from an external score table: no instances, so no measured cost, floors or provenance beyond the file."]);
    }

    /// <summary>What the report says about peak memory: no run records it.</summary>
    public const string PeakMemoryNote = "Peak memory: not recorded (runs do not measure it).";
}
