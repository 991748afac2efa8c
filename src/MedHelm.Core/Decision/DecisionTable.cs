namespace MedHelm.Core.Decision;

/// <summary>A two-sided percentile confidence interval.</summary>
/// <param name="Lower">Lower bound.</param>
/// <param name="Upper">Upper bound.</param>
public readonly record struct ConfidenceInterval(double Lower, double Upper);

/// <summary>How the decision table is computed.</summary>
public sealed record DecisionOptions
{
    /// <summary>The defaults: 1,000 bootstrap replicates, seed 20250523, 95 % intervals.</summary>
    public static DecisionOptions Default { get; } = new();

    /// <summary>Bootstrap replicates; 0 computes no intervals.</summary>
    public int BootstrapReplicates { get; init; } = 1000;

    /// <summary>Seed of the bootstrap's generator (<see cref="DecisionRandom"/>); the same seed gives the same intervals.</summary>
    public ulong Seed { get; init; } = 20250523;

    /// <summary>Coverage of the intervals (0.95: the 2.5th and 97.5th percentiles).</summary>
    public double Confidence { get; init; } = 0.95;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(BootstrapReplicates);
        if (BootstrapReplicates > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(BootstrapReplicates), BootstrapReplicates, "At most 1,000,000 replicates.");
        }

        if (!(Confidence > 0 && Confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Confidence), Confidence, "The confidence must lie strictly between 0 and 1.");
        }
    }
}

/// <summary>One model × benchmark cell of the decision table.</summary>
/// <param name="Benchmark">Run-spec name.</param>
/// <param name="Score">The score on the table's scale (mean of sub-run means).</param>
/// <param name="Normalized">The score on 0-1 (jury 1-5 as (x − 1) / 4).</param>
/// <param name="Instances">Instances behind the score; 0 for a plain (external) score.</param>
/// <param name="SubRuns">Sub-runs behind the score (1 for a single run, 0 for a plain score).</param>
/// <param name="WinRate">The model's win rate on this benchmark alone; null when fewer than 2 models have a value.</param>
/// <param name="NormalizedCi">Bootstrap interval of <paramref name="Normalized"/>; null without instances or replicates.</param>
/// <param name="Undefined">Instances left out of the score as undefined (helm mode where HELM's own code raises); not in <paramref name="Instances"/>.</param>
public sealed record DecisionCell(
    string Benchmark,
    double Score,
    double Normalized,
    int Instances,
    int SubRuns,
    double? WinRate,
    ConfidenceInterval? NormalizedCi,
    int Undefined = 0);

/// <summary>A benchmark column of the decision table, with what the aggregation knows about it.</summary>
/// <param name="Name">Run-spec name.</param>
/// <param name="DisplayName">Human name.</param>
/// <param name="Category">Category abbreviation (CDS, CNG, PCE, MRA, AW).</param>
/// <param name="Subcategory">Subcategory name.</param>
/// <param name="JuryScored">True for an open benchmark scored by the LLM jury.</param>
public sealed record DecisionBenchmark(string Name, string DisplayName, string Category, string Subcategory, bool JuryScored);

/// <summary>The mean normalized score of one category or subcategory.</summary>
/// <param name="Name">Category abbreviation (CDS, CNG, PCE, MRA, AW) or subcategory name.</param>
/// <param name="Mean">Plain mean of the model's normalized scores inside it.</param>
/// <param name="Benchmarks">How many of the model's benchmarks it averages.</param>
public sealed record GroupMean(string Name, double Mean, int Benchmarks);

/// <summary>
/// One row of Table 1: the model's mean win rate and its SD, macro average and its SD, category means, and the cells
/// behind them. Null where the quantity is undefined (see the parameter notes).
/// </summary>
/// <param name="Model">The model.</param>
/// <param name="MeanWinRate">Mean of the per-benchmark win rates; null with a single model or no shared benchmark.</param>
/// <param name="WinRateSd">Population SD (ddof 0) of the pairwise win fractions against each opponent; null with a single model.</param>
/// <param name="MacroAverage">Mean of the normalized scores over the model's benchmarks.</param>
/// <param name="MacroSd">Sample SD (ddof 1) of the normalized scores; null with fewer than 2 benchmarks.</param>
/// <param name="WinRateBenchmarks">Benchmarks the mean win rate averages (those with at least 2 models).</param>
/// <param name="Categories">Category means, in taxonomy order, for the categories the model has a benchmark in.</param>
/// <param name="Subcategories">Subcategory means, in taxonomy order.</param>
/// <param name="Cells">The model's cells in the table's benchmark order (missing cells left out).</param>
/// <param name="MeanWinRateCi">Bootstrap interval of the mean win rate; null without instances, replicates or a win rate.</param>
/// <param name="MacroAverageCi">Bootstrap interval of the macro average; null without instances or replicates.</param>
public sealed record DecisionRow(
    string Model,
    double? MeanWinRate,
    double? WinRateSd,
    double MacroAverage,
    double? MacroSd,
    int WinRateBenchmarks,
    IReadOnlyList<GroupMean> Categories,
    IReadOnlyList<GroupMean> Subcategories,
    IReadOnlyList<DecisionCell> Cells,
    ConfidenceInterval? MeanWinRateCi,
    ConfidenceInterval? MacroAverageCi)
{
    /// <summary>The cell of <paramref name="benchmark"/>, or null when the model has no value there.</summary>
    public DecisionCell? Cell(string benchmark) => Cells.FirstOrDefault(c => string.Equals(c.Benchmark, benchmark, StringComparison.Ordinal));

    /// <summary>The mean of a category by abbreviation (CDS, ...), or null.</summary>
    public GroupMean? Category(string abbreviation) => Categories.FirstOrDefault(c => string.Equals(c.Name, abbreviation, StringComparison.Ordinal));
}

/// <summary>
/// MedHELM's Table 1 with intervals: rows ordered by mean win rate (descending; a null win rate last), then macro
/// average, then model name. <see cref="Notes"/> says what could not be computed and why (one model: no win rate;
/// plain scores: no intervals).
/// </summary>
/// <param name="Benchmarks">The benchmarks, in catalog order.</param>
/// <param name="CategoryColumns">Category abbreviations present, in taxonomy order (Table 1's category columns).</param>
/// <param name="Rows">One row per model.</param>
/// <param name="JuryScale">The scale the input held jury scores on.</param>
/// <param name="Options">The options it was computed with.</param>
/// <param name="Notes">Plain-language notes on undefined quantities.</param>
public sealed record DecisionTable(
    IReadOnlyList<DecisionBenchmark> Benchmarks,
    IReadOnlyList<string> CategoryColumns,
    IReadOnlyList<DecisionRow> Rows,
    JuryScale JuryScale,
    DecisionOptions Options,
    IReadOnlyList<string> Notes)
{
    /// <summary>The row of <paramref name="model"/>, or null.</summary>
    public DecisionRow? Row(string model) => Rows.FirstOrDefault(r => string.Equals(r.Model, model, StringComparison.Ordinal));
}
