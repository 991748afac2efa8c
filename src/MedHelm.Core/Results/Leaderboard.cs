using System.Globalization;
using System.Text;

namespace MedHelm.Core.Results;

/// <summary>Pure aggregation of instance results into leaderboard rows.</summary>
public static class Leaderboard
{
    /// <summary>
    /// Groups <paramref name="results"/> by model × benchmark (ordinal) and averages the scores of the defined
    /// instances; undefined ones (<see cref="InstanceResult.Score"/> null) are counted in
    /// <see cref="LeaderboardRow.Undefined"/> and left out of the mean (NaN when no instance is defined).
    /// Rows are ordered by benchmark, then by descending score, then by model.
    /// </summary>
    public static IReadOnlyList<LeaderboardRow> Aggregate(IEnumerable<InstanceResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return results
            .GroupBy(r => (r.Model, r.Benchmark))
            .Select(g =>
            {
                var count = 0;
                double seconds = 0;
                long prompt = 0, completion = 0;
                var mean = new DefinedMean();
                foreach (var r in g)
                {
                    count++;
                    mean.Add(r.Score);
                    seconds += r.Elapsed.TotalSeconds;
                    prompt += r.PromptTokens ?? 0;
                    completion += r.CompletionTokens ?? 0;
                }

                return new LeaderboardRow(g.Key.Model, g.Key.Benchmark, mean.Value, count, prompt, completion, seconds) { Undefined = mean.Undefined };
            })
            .OrderBy(r => r.Benchmark, StringComparer.Ordinal)
            .ThenByDescending(r => r.Score)
            .ThenBy(r => r.Model, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// As <see cref="Aggregate(IEnumerable{InstanceResult})"/>, but a benchmark made of several runs
    /// (<c>BenchmarkDefinition.SubRuns</c>, e.g. CLEAR's conditions) scores as MedHELM does: the unweighted mean of its
    /// sub-run means, so a run with more instances does not weigh more. <paramref name="subRunOf"/> names an instance's
    /// sub-run (null: the benchmark is a single run). A model × benchmark whose instances have no sub-run gets the plain
    /// mean; instances without a sub-run beside ones that have one count as one more sub-run. Instances, tokens and
    /// seconds stay sums over every instance. Undefined instances are left out of every mean, and a sub-run with no
    /// defined instance out of the mean of sub-run means.
    /// </summary>
    public static IReadOnlyList<LeaderboardRow> Aggregate(IEnumerable<InstanceResult> results, Func<InstanceResult, string?> subRunOf)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(subRunOf);
        var list = results as IReadOnlyCollection<InstanceResult> ?? results.ToList();
        var means = SubRunGroups(list, subRunOf)
            .GroupBy(g => (g.Model, g.Benchmark))
            .ToDictionary(g => g.Key, g => g.Count() == 1 ? g.Single().Mean : MeanOfDefined(g.Select(s => s.Mean)));
        return Aggregate(list)
            .Select(r => r with { Score = means[(r.Model, r.Benchmark)] })
            .OrderBy(r => r.Benchmark, StringComparer.Ordinal)
            .ThenByDescending(r => r.Score)
            .ThenBy(r => r.Model, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The mean score of each sub-run of each model × benchmark whose instances name a sub-run (see
    /// <see cref="Aggregate(IEnumerable{InstanceResult}, Func{InstanceResult, string?})"/>), ordered by model,
    /// benchmark and sub-run (ordinal); instances without a sub-run beside ones that have one are listed under "".
    /// Benchmarks that are a single run have no rows.
    /// </summary>
    public static IReadOnlyList<SubRunScore> SubRunMeans(IEnumerable<InstanceResult> results, Func<InstanceResult, string?> subRunOf)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(subRunOf);
        return SubRunGroups(results, subRunOf)
            .GroupBy(g => (g.Model, g.Benchmark))
            .Where(g => g.Any(s => s.SubRun is not null))
            .SelectMany(g => g)
            .Select(g => new SubRunScore(g.Model, g.Benchmark, g.SubRun ?? "", g.Mean, g.Instances))
            .OrderBy(s => s.Model, StringComparer.Ordinal)
            .ThenBy(s => s.Benchmark, StringComparer.Ordinal)
            .ThenBy(s => s.SubRun, StringComparer.Ordinal)
            .ToList();
    }

    private static IEnumerable<(string Model, string Benchmark, string? SubRun, double Mean, int Instances)> SubRunGroups(
        IEnumerable<InstanceResult> results, Func<InstanceResult, string?> subRunOf) =>
        results
            .GroupBy(r => (r.Model, r.Benchmark, SubRun: subRunOf(r)))
            .Select(g =>
            {
                // summed in input order, as Aggregate does, so a single-run benchmark gets exactly its plain mean
                var count = 0;
                var mean = new DefinedMean();
                foreach (var r in g)
                {
                    count++;
                    mean.Add(r.Score);
                }

                return (g.Key.Model, g.Key.Benchmark, g.Key.SubRun, mean.Value, count);
            });

    private static double MeanOfDefined(IEnumerable<double> means)
    {
        var defined = means.Where(m => !double.IsNaN(m)).ToArray();
        return defined.Length == 0 ? double.NaN : defined.Average();
    }

    /// <summary>A mean over the defined values (summed in input order), counting the undefined (null) ones.</summary>
    private struct DefinedMean
    {
        private double _sum;
        private int _defined;

        public int Undefined { get; private set; }

        public readonly double Value => _defined == 0 ? double.NaN : _sum / _defined;

        public void Add(double? score)
        {
            if (score is { } value)
            {
                _sum += value;
                _defined++;
            }
            else
            {
                Undefined++;
            }
        }
    }

    /// <summary>Formats rows as a fixed-width text table (invariant culture, score with 3 decimals).</summary>
    public static string FormatTable(IReadOnlyList<LeaderboardRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        string[] header = ["Model", "Benchmark", "Score", "Instances", "Prompt tok", "Completion tok", "Seconds"];
        var cells = rows.Select(r => new[]
        {
            r.Model,
            r.Benchmark,
            double.IsNaN(r.Score) ? "undefined" : r.Score.ToString("0.000", CultureInfo.InvariantCulture),
            r.Undefined > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{r.Instances} ({r.Undefined} undefined)")
                : r.Instances.ToString(CultureInfo.InvariantCulture),
            r.PromptTokens.ToString(CultureInfo.InvariantCulture),
            r.CompletionTokens.ToString(CultureInfo.InvariantCulture),
            r.Seconds.ToString("0.0", CultureInfo.InvariantCulture),
        }).ToList();

        var widths = header.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();
        var sb = new StringBuilder();
        AppendLine(sb, header, widths);
        sb.AppendJoin("  ", widths.Select(w => new string('-', w))).Append('\n');
        foreach (var row in cells)
        {
            AppendLine(sb, row, widths);
        }

        return sb.ToString();
    }

    private static void AppendLine(StringBuilder sb, string[] cells, int[] widths)
    {
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0)
            {
                sb.Append("  ");
            }

            // Text columns left-aligned, numbers right-aligned; no trailing spaces.
            var padded = i < 2 ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i]);
            sb.Append(i == cells.Length - 1 ? padded.TrimEnd() : padded);
        }

        sb.Append('\n');
    }
}
