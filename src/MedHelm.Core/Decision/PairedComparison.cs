using MedHelm.Core.Statistics;

namespace MedHelm.Core.Decision;

/// <summary>Two models compared on one benchmark, on the instances both were scored on.</summary>
/// <param name="Benchmark">Run-spec name.</param>
/// <param name="PairedInstances">Instances both models have (matched by sub-run and instance id); 0 for plain scores.</param>
/// <param name="First">The first model's normalized score (over the paired instances when there are any).</param>
/// <param name="Second">The second model's normalized score.</param>
/// <param name="Difference">First − second, normalized (0-1 scale).</param>
/// <param name="DifferenceCi">Paired bootstrap percentile interval of <paramref name="Difference"/>; null without pairs or replicates.</param>
/// <param name="McNemar">McNemar's exact test, when every paired value is 0 or 1; otherwise null.</param>
/// <param name="MinimumDetectableEffect">
/// The smallest true difference this many pairs detect with 80 % power at two-sided α = 0.05 (see
/// <see cref="PairedComparison.MinimumDetectableEffect"/>); null with fewer than 2 pairs or no spread in the differences.
/// </param>
/// <param name="Note">Why a quantity is missing, or null.</param>
public sealed record PairedBenchmarkComparison(
    string Benchmark,
    int PairedInstances,
    double First,
    double Second,
    double Difference,
    ConfidenceInterval? DifferenceCi,
    McNemarResult? McNemar,
    double? MinimumDetectableEffect,
    string? Note);

/// <summary>The per-benchmark comparison of two models.</summary>
/// <param name="First">The first model.</param>
/// <param name="Second">The second model.</param>
/// <param name="Benchmarks">One entry per benchmark both models have a value on, in the table's order.</param>
/// <param name="Options">Replicates, seed and confidence used.</param>
public sealed record PairedComparisonResult(string First, string Second, IReadOnlyList<PairedBenchmarkComparison> Benchmarks, DecisionOptions Options);

/// <summary>
/// Paired comparison of two models per benchmark: the difference of their normalized scores, a paired bootstrap interval
/// (each replicate redraws the shared instances of every sub-run, with replacement, and takes the mean of the sub-run
/// mean differences; stream <c>"paired/" + benchmark</c> of <see cref="DecisionRandom"/>), McNemar's exact test for 0/1
/// scores (discordant pairs pooled over sub-runs), and the minimum detectable effect.
/// </summary>
public static class PairedComparison
{
    /// <summary>z for a two-sided α of 0.05 (the 97.5th percentile of the standard normal).</summary>
    public const double ZAlpha = 1.959963984540054;

    /// <summary>z for 80 % power (the 80th percentile of the standard normal).</summary>
    public const double ZPower = 0.8416212335729143;

    /// <summary>
    /// Minimum detectable effect of a paired design at 80 % power and two-sided α = 0.05, by the normal approximation of
    /// the paired (one-sample) test on the differences: MDE = (z₀.₉₇₅ + z₀.₈₀) × SD_d / √n = 2.8016 × SD_d / √n, where
    /// SD_d is the observed sample SD (ddof 1) of the n per-instance differences. For 0/1 scores this is the normal
    /// approximation for paired proportions with the observed discordance (SD_d² ≈ (b + c) / n − ((b − c) / n)²).
    /// Null when n &lt; 2 or SD_d = 0 (no spread observed, so no estimate).
    /// </summary>
    public static double? MinimumDetectableEffect(double sdOfDifferences, int pairs) =>
        pairs < 2 || !(sdOfDifferences > 0) ? null : (ZAlpha + ZPower) * sdOfDifferences / Math.Sqrt(pairs);

    /// <summary>Compares <paramref name="first"/> with <paramref name="second"/> on every benchmark both have a value on.</summary>
    public static PairedComparisonResult Compare(ScoreTable table, string first, string second, DecisionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        options ??= DecisionOptions.Default;
        options.Validate();
        foreach (var model in new[] { first, second })
        {
            if (!table.Models.Contains(model, StringComparer.Ordinal))
            {
                throw new ArgumentException($"The score table has no model '{model}'.", nameof(table));
            }
        }

        if (string.Equals(first, second, StringComparison.Ordinal))
        {
            throw new ArgumentException("Compare two different models.", nameof(second));
        }

        var list = new List<PairedBenchmarkComparison>();
        foreach (var benchmark in table.Benchmarks)
        {
            if (table.Get(first, benchmark.Name) is not { } a || table.Get(second, benchmark.Name) is not { } b)
            {
                continue;
            }

            var pairs = Pairs(a, b, v => table.Normalize(benchmark, v));
            if (pairs.Sum(p => p.First.Length) == 0)
            {
                var (na, nb) = (table.Normalize(benchmark, a.Score), table.Normalize(benchmark, b.Score));
                list.Add(new PairedBenchmarkComparison(benchmark.Name, 0, na, nb, na - nb, null, null, null,
                    a.HasInstances && b.HasInstances ? "the models share no instance" : "plain scores: no instances to pair"));
                continue;
            }

            list.Add(CompareOne(benchmark.Name, pairs, options, benchmark.IsOpen));
        }

        return new PairedComparisonResult(first, second, list, options);
    }

    private static PairedBenchmarkComparison CompareOne(string benchmark, List<(double[] First, double[] Second)> pairs, DecisionOptions options, bool open)
    {
        pairs.RemoveAll(p => p.First.Length == 0);
        var firstScore = pairs.Average(p => p.First.Average());
        var secondScore = pairs.Average(p => p.Second.Average());
        var differences = pairs.SelectMany(p => p.First.Zip(p.Second, (x, y) => x - y)).ToArray();
        var count = differences.Length;
        ConfidenceInterval? interval = options.BootstrapReplicates > 0 ? Bootstrap(benchmark, pairs, options) : null;
        McNemarResult? mcnemar = null;
        if (!open && pairs.All(p => p.First.All(IsBinary) && p.Second.All(IsBinary)))
        {
            var onlyFirst = pairs.Sum(p => p.First.Zip(p.Second).Count(z => z.First == 1 && z.Second == 0));
            var onlySecond = pairs.Sum(p => p.First.Zip(p.Second).Count(z => z.First == 0 && z.Second == 1));
            mcnemar = McNemar.ExactTest(onlyFirst, onlySecond);
        }

        var mde = MinimumDetectableEffect(Standardization.SampleStandardDeviation(differences), count);
        var note = count < 2 ? "fewer than 2 paired instances"
            : mde is null ? "the two models never differ on a paired instance, so the spread of the differences (and the minimum detectable effect) cannot be estimated"
            : null;
        return new PairedBenchmarkComparison(benchmark, count, firstScore, secondScore, firstScore - secondScore, interval, mcnemar, mde, note);
    }

    private static ConfidenceInterval Bootstrap(string benchmark, List<(double[] First, double[] Second)> pairs, DecisionOptions options)
    {
        var random = DecisionRandom.ForStream(options.Seed, "paired/" + benchmark);
        var draws = new double[options.BootstrapReplicates];
        var differences = pairs.Select(p => p.First.Zip(p.Second, (x, y) => x - y).ToArray()).ToArray();
        for (var r = 0; r < draws.Length; r++)
        {
            double total = 0;
            foreach (var d in differences)
            {
                double sum = 0;
                for (var k = 0; k < d.Length; k++)
                {
                    sum += d[random.NextInt(d.Length)];
                }

                total += sum / d.Length;
            }

            draws[r] = total / differences.Length;
        }

        Array.Sort(draws);
        var tail = (1 - options.Confidence) / 2;
        return new ConfidenceInterval(Percentile.OfSorted(draws, tail), Percentile.OfSorted(draws, 1 - tail));
    }

    /// <summary>Per sub-run present in both entries: the normalized values of the instance ids both have, ordered by id.</summary>
    private static List<(double[] First, double[] Second)> Pairs(ScoreEntry a, ScoreEntry b, Func<double, double> normalize)
    {
        var result = new List<(double[], double[])>();
        foreach (var subRun in a.SubRuns)
        {
            var other = b.SubRuns.FirstOrDefault(s => string.Equals(s.Name, subRun.Name, StringComparison.Ordinal));
            if (other is null)
            {
                continue;
            }

            var theirs = other.Values.ToDictionary(v => v.InstanceId, v => v.Value, StringComparer.Ordinal);
            var shared = subRun.Values
                .Where(v => theirs.ContainsKey(v.InstanceId))
                .OrderBy(v => v.InstanceId, StringComparer.Ordinal)
                .ToArray();
            result.Add((shared.Select(v => normalize(v.Value)).ToArray(), shared.Select(v => normalize(theirs[v.InstanceId])).ToArray()));
        }

        return result;
    }

    private static bool IsBinary(double value) => value is 0 or 1;
}
