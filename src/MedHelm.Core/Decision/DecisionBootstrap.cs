using System.Runtime.CompilerServices;
using MedHelm.Core.Catalog;

namespace MedHelm.Core.Decision;

/// <summary>
/// The seeded percentile bootstrap behind <see cref="DecisionAggregation"/>: each replicate redraws, with replacement,
/// the instances of every sub-run of every benchmark, recomputes each model's benchmark score (mean of sub-run means),
/// its normalized score, the macro averages and the win rates. When every model in a sub-run was scored on the same
/// instance ids, one draw of ids serves all of them (the models stay paired, as they are in the evaluation); otherwise
/// each model's instances are drawn on their own. Plain scores (no instances) stay fixed. Each benchmark draws from its
/// own stream (<see cref="DecisionRandom.ForStream"/> keyed by the benchmark's name).
/// </summary>
internal sealed class DecisionBootstrap
{
    private readonly int _models;
    private readonly int _benchmarks;

    private DecisionBootstrap(int models, int benchmarks)
    {
        _models = models;
        _benchmarks = benchmarks;
        CellIntervals = new ConfidenceInterval?[models * benchmarks];
        MacroIntervals = new ConfidenceInterval?[models];
        WinRateIntervals = new ConfidenceInterval?[models];
    }

    /// <summary>Per model × benchmark (row-major): the interval of the normalized score, null for a plain score.</summary>
    public ConfidenceInterval?[] CellIntervals { get; }

    /// <summary>Per model: the interval of the macro average, null when none of its cells has instances.</summary>
    public ConfidenceInterval?[] MacroIntervals { get; }

    /// <summary>Per model: the interval of the mean win rate, null when undefined.</summary>
    public ConfidenceInterval?[] WinRateIntervals { get; }

    /// <summary>Notes on how the resampling went (benchmarks resampled per model, cells held fixed).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>Runs <see cref="DecisionOptions.BootstrapReplicates"/> replicates over <paramref name="table"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // one call with long loops: skip tier-0 code
    public static DecisionBootstrap Run(ScoreTable table, IReadOnlyList<string> models, DecisionOptions options)
    {
        var benchmarks = table.Benchmarks;
        var result = new DecisionBootstrap(models.Count, benchmarks.Count);
        var replicates = options.BootstrapReplicates;
        var resamplers = new BenchmarkResampler?[benchmarks.Count];
        for (var b = 0; b < benchmarks.Count; b++)
        {
            resamplers[b] = BenchmarkResampler.Create(table, models, b, options.Seed, result.Notes);
        }

        var fixedCells = models.Sum(m => benchmarks.Count(b => table.Get(m, b.Name) is { HasInstances: false }));
        if (fixedCells > 0)
        {
            result.Notes.Add($"{fixedCells} cell(s) are plain scores without instances; the bootstrap holds them fixed.");
        }

        var n = models.Count * benchmarks.Count;
        var raw = new double[n];
        var normalized = new double[n];
        var cellDraws = new double[replicates * n];
        var macroDraws = new double[replicates * models.Count];
        var winDraws = new double[replicates * models.Count];
        var perBenchmark = new double[n];
        var means = new double[models.Count];
        var counts = new int[models.Count];
        for (var r = 0; r < replicates; r++)
        {
            for (var m = 0; m < models.Count; m++)
            {
                for (var b = 0; b < benchmarks.Count; b++)
                {
                    raw[(m * benchmarks.Count) + b] = table.Get(models[m], benchmarks[b].Name)?.Score ?? double.NaN;
                }
            }

            for (var b = 0; b < benchmarks.Count; b++)
            {
                resamplers[b]?.Draw(raw, benchmarks.Count);
            }

            for (var i = 0; i < n; i++)
            {
                normalized[i] = double.IsNaN(raw[i]) ? double.NaN : table.Normalize(benchmarks[i % benchmarks.Count], raw[i]);
            }

            Array.Copy(normalized, 0, cellDraws, r * n, n);
            WinRates.Compute(raw, models.Count, benchmarks.Count, perBenchmark, means, counts);
            for (var m = 0; m < models.Count; m++)
            {
                macroDraws[(r * models.Count) + m] = MeanIgnoringNaN(normalized, m * benchmarks.Count, benchmarks.Count);
                winDraws[(r * models.Count) + m] = means[m];
            }
        }

        result.Summarize(table, models, options, cellDraws, macroDraws, winDraws);
        return result;
    }

    private void Summarize(ScoreTable table, IReadOnlyList<string> models, DecisionOptions options, double[] cellDraws, double[] macroDraws, double[] winDraws)
    {
        var replicates = options.BootstrapReplicates;
        var column = new double[replicates];
        var anyInstances = false;
        for (var m = 0; m < _models; m++)
        {
            var modelHasInstances = false;
            for (var b = 0; b < _benchmarks; b++)
            {
                if (table.Get(models[m], table.Benchmarks[b].Name) is not { HasInstances: true })
                {
                    continue;
                }

                modelHasInstances = true;
                CellIntervals[(m * _benchmarks) + b] = Interval(cellDraws, (m * _benchmarks) + b, _models * _benchmarks, column, options.Confidence);
            }

            anyInstances |= modelHasInstances;
            if (modelHasInstances)
            {
                MacroIntervals[m] = Interval(macroDraws, m, _models, column, options.Confidence);
            }
        }

        for (var m = 0; m < _models && anyInstances; m++)
        {
            WinRateIntervals[m] = Interval(winDraws, m, _models, column, options.Confidence);
        }
    }

    /// <summary>The percentile interval of draws[offset + r × stride] (NaN draws make it undefined: null).</summary>
    private static ConfidenceInterval? Interval(double[] draws, int offset, int stride, double[] column, double confidence)
    {
        for (var r = 0; r < column.Length; r++)
        {
            column[r] = draws[offset + (r * stride)];
            if (double.IsNaN(column[r]))
            {
                return null;
            }
        }

        Array.Sort(column);
        var tail = (1 - confidence) / 2;
        return new ConfidenceInterval(Percentile.OfSorted(column, tail), Percentile.OfSorted(column, 1 - tail));
    }

    private static double MeanIgnoringNaN(double[] values, int start, int count)
    {
        double sum = 0;
        var n = 0;
        for (var i = start; i < start + count; i++)
        {
            if (!double.IsNaN(values[i]))
            {
                sum += values[i];
                n++;
            }
        }

        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>Redraws one benchmark's instances for every model that has them.</summary>
    private sealed class BenchmarkResampler
    {
        private readonly DecisionRandom _random;
        private readonly int _benchmark;
        private readonly SubRunGroup[] _groups;
        private readonly int[] _models;
        private readonly double[] _sums;
        private readonly int[] _subRunCounts;

        private BenchmarkResampler(DecisionRandom random, int benchmark, SubRunGroup[] groups, int[] models)
        {
            _random = random;
            _benchmark = benchmark;
            _groups = groups;
            _models = models;
            _sums = new double[models.Length];
            _subRunCounts = new int[models.Length];
        }

        public static BenchmarkResampler? Create(ScoreTable table, IReadOnlyList<string> models, int benchmark, ulong seed, List<string> notes)
        {
            BenchmarkDefinition definition = table.Benchmarks[benchmark];
            var holders = Enumerable.Range(0, models.Count)
                .Select(m => (m, entry: table.Get(models[m], definition.Name)))
                .Where(x => x.entry is { HasInstances: true })
                .ToArray();
            if (holders.Length == 0)
            {
                return null;
            }

            var groups = holders
                .SelectMany((h, slot) => h.entry!.SubRuns.Select(s => (slot, s)))
                .GroupBy(x => x.s.Name, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => SubRunGroup.Create(g.Select(x => x.slot).ToArray(), g.Select(x => x.s).ToArray()))
                .ToArray();
            if (groups.Any(g => !g.Shared))
            {
                notes.Add($"{definition.Name}: the models were not scored on the same instances; each model's instances are resampled on their own.");
            }

            return new BenchmarkResampler(DecisionRandom.ForStream(seed, definition.Name), benchmark, groups, holders.Select(h => h.m).ToArray());
        }

        /// <summary>Writes the redrawn scores of this benchmark into <paramref name="raw"/> (row-major models × benchmarks).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Draw(double[] raw, int benchmarks)
        {
            Array.Clear(_sums);
            Array.Clear(_subRunCounts);
            foreach (var group in _groups)
            {
                group.Draw(_random, _sums, _subRunCounts);
            }

            for (var slot = 0; slot < _models.Length; slot++)
            {
                raw[(_models[slot] * benchmarks) + _benchmark] = _sums[slot] / _subRunCounts[slot];
            }
        }
    }

    /// <summary>One sub-run across the models that have it: their values aligned by instance id when the ids agree.</summary>
    private sealed class SubRunGroup
    {
        private readonly int[] _slots;
        private readonly double[][] _values;
        private int[] _indices = [];

        private SubRunGroup(int[] slots, double[][] values, bool shared)
        {
            _slots = slots;
            _values = values;
            Shared = shared;
        }

        public bool Shared { get; }

        public static SubRunGroup Create(int[] slots, SubRunScores[] subRuns)
        {
            var ids = subRuns[0].Values.Select(v => v.InstanceId).Order(StringComparer.Ordinal).ToArray();
            var shared = subRuns.All(s => s.Values.Count == ids.Length && s.Values.Select(v => v.InstanceId).Order(StringComparer.Ordinal).SequenceEqual(ids));
            var values = shared
                ? subRuns.Select(s =>
                {
                    var byId = s.Values.ToDictionary(v => v.InstanceId, v => v.Value, StringComparer.Ordinal);
                    return ids.Select(id => byId[id]).ToArray();
                }).ToArray()
                : subRuns.Select(s => s.Values.Select(v => v.Value).ToArray()).ToArray();
            return new SubRunGroup(slots, values, shared);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Draw(DecisionRandom random, double[] sums, int[] subRunCounts)
        {
            if (Shared)
            {
                var n = _values[0].Length;
                if (_indices.Length != n)
                {
                    _indices = new int[n];
                }

                for (var k = 0; k < n; k++)
                {
                    _indices[k] = random.NextInt(n);
                }
            }

            for (var i = 0; i < _slots.Length; i++)
            {
                var values = _values[i];
                double sum = 0;
                for (var k = 0; k < values.Length; k++)
                {
                    sum += values[Shared ? _indices[k] : random.NextInt(values.Length)];
                }

                sums[_slots[i]] += sum / values.Length;
                subRunCounts[_slots[i]]++;
            }
        }
    }
}

/// <summary>Percentiles by linear interpolation between order statistics (Hyndman and Fan type 7, numpy's default).</summary>
public static class Percentile
{
    /// <summary>The <paramref name="p"/>-quantile (0 ≤ p ≤ 1) of <paramref name="sorted"/> (ascending, not empty).</summary>
    public static double OfSorted(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            throw new ArgumentException("No values.", nameof(sorted));
        }

        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "The quantile must lie in [0, 1].");
        }

        var h = (sorted.Count - 1) * p;
        var low = (int)Math.Floor(h);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + ((h - low) * (sorted[high] - sorted[low]));
    }
}
