using MedHelm.Core.Catalog;

namespace MedHelm.Core.Decision;

/// <summary>The scale on which a <see cref="ScoreTable"/> holds the scores of jury-scored (open) benchmarks.</summary>
public enum JuryScale
{
    /// <summary>The jury's own 1-5 scale (MedHELM's published tables, external score files); normalized as (x − 1) / 4.</summary>
    OneToFive,

    /// <summary>Already normalized to 0-1 (what a run stores per instance); used as is.</summary>
    ZeroToOne,
}

/// <summary>One instance's value for one model.</summary>
/// <param name="InstanceId">The instance; pairs two models' values in a paired comparison and shared resampling.</param>
/// <param name="Value">The metric value (0/1 for exact match, 0-1 for F1, the jury's score on the table's <see cref="JuryScale"/>).</param>
public readonly record struct InstanceScore(string InstanceId, double Value);

/// <summary>The instance values of one sub-run (a CLEAR condition, an EHRSHOT subject); <c>""</c> for a single-run benchmark.</summary>
/// <param name="Name">The sub-run.</param>
/// <param name="Values">Its instance values (at least one).</param>
public sealed record SubRunScores(string Name, IReadOnlyList<InstanceScore> Values);

/// <summary>
/// One model × benchmark cell: a plain score (external tables carry no instances) or instance values grouped by
/// sub-run. Its <see cref="Score"/> is MedHELM's: the unweighted mean of the sub-run means (the plain mean when there
/// is one sub-run).
/// </summary>
public sealed class ScoreEntry
{
    private ScoreEntry(double score, IReadOnlyList<SubRunScores> subRuns)
    {
        Score = score;
        SubRuns = subRuns;
    }

    /// <summary>The benchmark score on the table's scale (mean of sub-run means).</summary>
    public double Score { get; }

    /// <summary>The instance values by sub-run; empty for a plain score.</summary>
    public IReadOnlyList<SubRunScores> SubRuns { get; }

    /// <summary>True when the entry holds instance values (so it can be resampled).</summary>
    public bool HasInstances => SubRuns.Count > 0;

    /// <summary>Instances over every sub-run (0 for a plain score).</summary>
    public int InstanceCount => SubRuns.Sum(s => s.Values.Count);

    /// <summary>
    /// Instances left out because their score is undefined (helm mode where HELM's own code raises); not in
    /// <see cref="SubRuns"/>, <see cref="InstanceCount"/> nor <see cref="Score"/>.
    /// </summary>
    public int Undefined { get; private init; }

    /// <summary>This entry, with <paramref name="count"/> undefined instances noted beside its values.</summary>
    public ScoreEntry WithUndefined(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return new ScoreEntry(Score, SubRuns) { Undefined = count };
    }

    /// <summary>A plain score without instances (an external table's cell).</summary>
    public static ScoreEntry FromScore(double score)
    {
        RequireFinite(score, nameof(score));
        return new ScoreEntry(score, []);
    }

    /// <summary>The instance values of a single-run benchmark.</summary>
    public static ScoreEntry FromInstances(IEnumerable<InstanceScore> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return FromSubRuns([new SubRunScores("", values.ToArray())]);
    }

    /// <summary>Instance values grouped by sub-run; the score is the unweighted mean of the sub-run means.</summary>
    public static ScoreEntry FromSubRuns(IEnumerable<SubRunScores> subRuns)
    {
        ArgumentNullException.ThrowIfNull(subRuns);
        var list = subRuns.OrderBy(s => s.Name, StringComparer.Ordinal).ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("At least one sub-run is needed.", nameof(subRuns));
        }

        if (list.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count() != list.Length)
        {
            throw new ArgumentException("Sub-run names must be unique.", nameof(subRuns));
        }

        foreach (var s in list)
        {
            if (s.Values.Count == 0)
            {
                throw new ArgumentException($"Sub-run '{s.Name}' has no instances.", nameof(subRuns));
            }

            if (s.Values.Select(v => v.InstanceId).Distinct(StringComparer.Ordinal).Count() != s.Values.Count)
            {
                throw new ArgumentException($"Sub-run '{s.Name}' names an instance twice.", nameof(subRuns));
            }

            foreach (var v in s.Values)
            {
                RequireFinite(v.Value, nameof(subRuns));
            }
        }

        return new ScoreEntry(list.Average(s => Mean(s.Values)), list);
    }

    internal static double Mean(IReadOnlyList<InstanceScore> values)
    {
        // summed in order, so a single-run benchmark gets exactly its plain mean
        double sum = 0;
        foreach (var v in values)
        {
            sum += v.Value;
        }

        return sum / values.Count;
    }

    private static void RequireFinite(double value, string name)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException($"Scores must be finite numbers (was {value}).", name);
        }
    }
}

/// <summary>
/// The input of the decision report: per model × benchmark a <see cref="ScoreEntry"/>, with the catalog definition of
/// each benchmark (which says whether it is jury-scored and where it sits in the taxonomy). Missing cells are allowed.
/// Models keep the order they were first added in; benchmarks are kept in catalog (taxonomy) order when they are
/// built-in, then in the order added. Immutable once built.
/// </summary>
public sealed class ScoreTable
{
    private readonly Dictionary<(string Model, string Benchmark), ScoreEntry> _cells;

    private ScoreTable(
        JuryScale juryScale, IReadOnlyList<string> models, IReadOnlyList<BenchmarkDefinition> benchmarks,
        Dictionary<(string, string), ScoreEntry> cells)
    {
        JuryScale = juryScale;
        Models = models;
        Benchmarks = benchmarks;
        _cells = cells;
    }

    /// <summary>The scale of the jury-scored benchmarks' values.</summary>
    public JuryScale JuryScale { get; }

    /// <summary>The models, in the order first added.</summary>
    public IReadOnlyList<string> Models { get; }

    /// <summary>The benchmarks that have at least one cell, in catalog order.</summary>
    public IReadOnlyList<BenchmarkDefinition> Benchmarks { get; }

    /// <summary>The cell of <paramref name="model"/> × <paramref name="benchmark"/> (run-spec name), or null when missing.</summary>
    public ScoreEntry? Get(string model, string benchmark) =>
        _cells.TryGetValue((model, benchmark), out var entry) ? entry : null;

    /// <summary>
    /// Maps a value of <paramref name="benchmark"/> onto 0-1: a jury score on the 1-5 scale as (x − 1) / 4, everything
    /// else (exact match, accuracies, F1, already-normalized jury scores) as is.
    /// </summary>
    public double Normalize(BenchmarkDefinition benchmark, double value)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        return benchmark.IsOpen && JuryScale == JuryScale.OneToFive ? (value - 1) / 4 : value;
    }

    /// <summary>Starts a table.</summary>
    public static Builder CreateBuilder(JuryScale juryScale) => new(juryScale);

    /// <summary>Collects cells; <see cref="Build"/> makes the immutable table.</summary>
    public sealed class Builder
    {
        private readonly JuryScale _juryScale;
        private readonly List<string> _models = [];
        private readonly List<BenchmarkDefinition> _benchmarks = [];
        private readonly Dictionary<(string, string), ScoreEntry> _cells = [];

        internal Builder(JuryScale juryScale) => _juryScale = juryScale;

        /// <summary>Adds a cell; throws <see cref="ArgumentException"/> when the model × benchmark is already there.</summary>
        public Builder Add(string model, BenchmarkDefinition benchmark, ScoreEntry entry)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(model);
            ArgumentNullException.ThrowIfNull(benchmark);
            ArgumentNullException.ThrowIfNull(entry);
            var known = _benchmarks.FirstOrDefault(b => string.Equals(b.Name, benchmark.Name, StringComparison.Ordinal));
            if (known is not null && !ReferenceEquals(known, benchmark) && known != benchmark)
            {
                throw new ArgumentException($"Two different definitions are named '{benchmark.Name}'.", nameof(benchmark));
            }

            if (!_cells.TryAdd((model, benchmark.Name), entry))
            {
                throw new ArgumentException($"'{model}' × '{benchmark.Name}' was added twice.", nameof(model));
            }

            if (!_models.Contains(model, StringComparer.Ordinal))
            {
                _models.Add(model);
            }

            if (known is null)
            {
                _benchmarks.Add(benchmark);
            }

            return this;
        }

        /// <summary>Adds a plain score.</summary>
        public Builder Add(string model, BenchmarkDefinition benchmark, double score) => Add(model, benchmark, ScoreEntry.FromScore(score));

        /// <summary>The table; benchmarks in catalog order (built-ins first, others as added).</summary>
        public ScoreTable Build()
        {
            var ordered = _benchmarks
                .Select((b, i) => (b, i, catalog: CatalogIndex(b)))
                .OrderBy(x => x.catalog)
                .ThenBy(x => x.i)
                .Select(x => x.b)
                .ToArray();
            return new ScoreTable(_juryScale, _models.ToArray(), ordered, new Dictionary<(string, string), ScoreEntry>(_cells));
        }

        private static int CatalogIndex(BenchmarkDefinition benchmark)
        {
            var all = BuiltInBenchmarks.All;
            for (var i = 0; i < all.Count; i++)
            {
                if (string.Equals(all[i].Name, benchmark.Name, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            return int.MaxValue;
        }
    }
}
