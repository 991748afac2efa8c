using System.Runtime.CompilerServices;

namespace MedHelm.Core.Decision;

/// <summary>The win rates of a models × benchmarks score matrix.</summary>
/// <param name="MeanWinRates">Per model: mean of its per-benchmark win rates; null when it has no value in a counted benchmark.</param>
/// <param name="WinRateSds">Per model: population SD (ddof 0) of its pairwise win fractions; null with no opponent to compare with.</param>
/// <param name="PerBenchmark">Per model × benchmark: the win rate on that benchmark; null when the model has no value there or the benchmark has fewer than 2 values.</param>
/// <param name="CountedBenchmarks">Per model: how many benchmarks its mean win rate averages.</param>
public sealed record WinRateResult(
    IReadOnlyList<double?> MeanWinRates,
    IReadOnlyList<double?> WinRateSds,
    IReadOnlyList<IReadOnlyList<double?>> PerBenchmark,
    IReadOnlyList<int> CountedBenchmarks);

/// <summary>
/// MedHELM's win rates (reference notes §4; HELM <c>summarize.py</c> <c>compute_aggregate_row_win_rates</c>, MedHELM
/// <c>1_win_rate_table.py</c>). Higher is better on every benchmark.
/// <list type="bullet">
/// <item>Per benchmark with n ≥ 2 models holding a value: win rate of a model = (others strictly below + ½ × others
/// equal) / (n − 1). A benchmark with fewer than 2 values is skipped.</item>
/// <item>Mean win rate: equal-weight mean of those win rates over the benchmarks where the model has a value.</item>
/// <item>Win SD: for every opponent, the pairwise win fraction = share of the benchmarks both models have a value on
/// where the model is strictly above (ties are non-wins); the SD is the population SD (ddof 0) of those fractions
/// over the opponents sharing at least one benchmark. MedHELM's script divides by all benchmark columns (a missing
/// value counts as a non-win); on a table without missing cells the two agree.</item>
/// </list>
/// </summary>
public static class WinRates
{
    /// <summary>Computes the win rates of <paramref name="scores"/>[model][benchmark] (null: missing).</summary>
    public static WinRateResult Compute(IReadOnlyList<IReadOnlyList<double?>> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var models = scores.Count;
        var benchmarks = models == 0 ? 0 : scores[0].Count;
        if (scores.Any(r => r.Count != benchmarks))
        {
            throw new ArgumentException("Every model needs one value (or null) per benchmark.", nameof(scores));
        }

        var matrix = new double[models * benchmarks];
        for (var m = 0; m < models; m++)
        {
            for (var b = 0; b < benchmarks; b++)
            {
                matrix[(m * benchmarks) + b] = scores[m][b] ?? double.NaN;
            }
        }

        var perBenchmark = new double[models * benchmarks];
        var means = new double[models];
        var counts = new int[models];
        Compute(matrix, models, benchmarks, perBenchmark, means, counts);
        var sds = PairwiseSds(matrix, models, benchmarks);
        return new WinRateResult(
            means.Select(Nullable).ToArray(),
            sds.Select(Nullable).ToArray(),
            Enumerable.Range(0, models)
                .Select(m => (IReadOnlyList<double?>)Enumerable.Range(0, benchmarks).Select(b => Nullable(perBenchmark[(m * benchmarks) + b])).ToArray())
                .ToArray(),
            counts);
    }

    /// <summary>
    /// The array form behind <see cref="Compute(IReadOnlyList{IReadOnlyList{double?}})"/> (also run once per bootstrap
    /// replicate): <paramref name="scores"/> is row-major models × benchmarks with NaN for a missing value;
    /// <paramref name="perBenchmark"/>, <paramref name="means"/> and <paramref name="counts"/> receive the results
    /// (NaN where undefined).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Compute(double[] scores, int models, int benchmarks, double[] perBenchmark, double[] means, int[] counts)
    {
        Array.Fill(perBenchmark, double.NaN);
        Array.Clear(counts);
        var sums = new double[models];
        for (var b = 0; b < benchmarks; b++)
        {
            var present = 0;
            for (var m = 0; m < models; m++)
            {
                if (!double.IsNaN(scores[(m * benchmarks) + b]))
                {
                    present++;
                }
            }

            if (present < 2)
            {
                continue;
            }

            for (var m = 0; m < models; m++)
            {
                var value = scores[(m * benchmarks) + b];
                if (double.IsNaN(value))
                {
                    continue;
                }

                double wins = 0;
                for (var o = 0; o < models; o++)
                {
                    var other = scores[(o * benchmarks) + b];
                    if (o == m || double.IsNaN(other))
                    {
                        continue;
                    }

                    wins += value > other ? 1 : value == other ? 0.5 : 0;
                }

                var rate = wins / (present - 1);
                perBenchmark[(m * benchmarks) + b] = rate;
                sums[m] += rate;
                counts[m]++;
            }
        }

        for (var m = 0; m < models; m++)
        {
            means[m] = counts[m] == 0 ? double.NaN : sums[m] / counts[m];
        }
    }

    /// <summary>Per model: population SD of its pairwise win fractions (NaN with no opponent sharing a benchmark).</summary>
    internal static double[] PairwiseSds(double[] scores, int models, int benchmarks)
    {
        var sds = new double[models];
        var fractions = new List<double>(models);
        for (var m = 0; m < models; m++)
        {
            fractions.Clear();
            for (var o = 0; o < models; o++)
            {
                if (o == m)
                {
                    continue;
                }

                int shared = 0, wins = 0;
                for (var b = 0; b < benchmarks; b++)
                {
                    var mine = scores[(m * benchmarks) + b];
                    var theirs = scores[(o * benchmarks) + b];
                    if (double.IsNaN(mine) || double.IsNaN(theirs))
                    {
                        continue;
                    }

                    shared++;
                    wins += mine > theirs ? 1 : 0;
                }

                if (shared > 0)
                {
                    fractions.Add((double)wins / shared);
                }
            }

            sds[m] = fractions.Count == 0 ? double.NaN : PopulationSd(fractions);
        }

        return sds;
    }

    private static double PopulationSd(List<double> values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
    }

    private static double? Nullable(double value) => double.IsNaN(value) ? null : value;
}
