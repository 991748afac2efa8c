using MedHelm.Core.Catalog;
using MedHelm.Core.Statistics;

namespace MedHelm.Core.Decision;

/// <summary>
/// MedHELM's leaderboard aggregation (reference notes §4) over a <see cref="ScoreTable"/>, with seeded bootstrap
/// intervals: benchmark score = mean of sub-run means; normalized 0-1 (jury (x − 1) / 4 on the 1-5 scale, the rest as
/// is); mean win rate and win SD (<see cref="WinRates"/>; computed on the table's values, which normalization does not
/// reorder); macro average = mean of the model's normalized scores and its SD = sample SD (ddof 1) across them;
/// category and subcategory means = plain means of the normalized scores inside them. Pure: no I/O.
/// </summary>
public static class DecisionAggregation
{
    /// <summary>Computes Table 1 (with intervals when the table holds instances and replicates are asked for).</summary>
    public static DecisionTable Compute(ScoreTable table, DecisionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        options ??= DecisionOptions.Default;
        options.Validate();
        var models = table.Models;
        var benchmarks = table.Benchmarks;
        if (models.Count == 0 || benchmarks.Count == 0)
        {
            throw new ArgumentException("The score table is empty.", nameof(table));
        }

        var raw = new double[models.Count * benchmarks.Count];
        for (var m = 0; m < models.Count; m++)
        {
            for (var b = 0; b < benchmarks.Count; b++)
            {
                raw[(m * benchmarks.Count) + b] = table.Get(models[m], benchmarks[b].Name)?.Score ?? double.NaN;
            }
        }

        var perBenchmark = new double[raw.Length];
        var means = new double[models.Count];
        var counts = new int[models.Count];
        WinRates.Compute(raw, models.Count, benchmarks.Count, perBenchmark, means, counts);
        var sds = WinRates.PairwiseSds(raw, models.Count, benchmarks.Count);

        var notes = new List<string>();
        AddWinRateNotes(models, benchmarks, raw, notes);
        var undefined = models.SelectMany(m => benchmarks.Select(b => (Model: m, Benchmark: b.Name, Entry: table.Get(m, b.Name))))
            .Where(c => c.Entry is { Undefined: > 0 })
            .Select(c => $"{c.Model} × {c.Benchmark}: {c.Entry!.Undefined}")
            .ToArray();
        if (undefined.Length > 0)
        {
            notes.Add($"Undefined instances (helm mode, where HELM's own code raises) are left out of the scores and intervals: {string.Join("; ", undefined)}.");
        }

        DecisionBootstrap? bootstrap = null;
        if (options.BootstrapReplicates > 0)
        {
            if (models.Any(m => benchmarks.Any(b => table.Get(m, b.Name) is { HasInstances: true })))
            {
                bootstrap = DecisionBootstrap.Run(table, models, options);
                notes.AddRange(bootstrap.Notes);
            }
            else
            {
                notes.Add("The table holds plain scores without instances, so there are no confidence intervals.");
            }
        }

        var rows = new List<DecisionRow>(models.Count);
        for (var m = 0; m < models.Count; m++)
        {
            var cells = new List<DecisionCell>();
            var placed = new List<(BenchmarkDefinition Definition, double Normalized)>();
            for (var b = 0; b < benchmarks.Count; b++)
            {
                var entry = table.Get(models[m], benchmarks[b].Name);
                if (entry is null)
                {
                    continue;
                }

                var normalized = table.Normalize(benchmarks[b], entry.Score);
                var index = (m * benchmarks.Count) + b;
                cells.Add(new DecisionCell(
                    benchmarks[b].Name, entry.Score, normalized, entry.InstanceCount, entry.SubRuns.Count,
                    NullIfNaN(perBenchmark[index]), bootstrap?.CellIntervals[index], entry.Undefined));
                placed.Add((benchmarks[b], normalized));
            }

            var values = placed.Select(p => p.Normalized).ToArray();
            rows.Add(new DecisionRow(
                models[m],
                NullIfNaN(means[m]),
                NullIfNaN(sds[m]),
                values.Average(),
                values.Length < 2 ? null : Standardization.SampleStandardDeviation(values),
                counts[m],
                GroupMeans(placed, p => p.Definition.Category.Abbreviation, CategoryOrder),
                GroupMeans(placed, p => p.Definition.Subcategory, SubcategoryOrder),
                cells,
                double.IsNaN(means[m]) ? null : bootstrap?.WinRateIntervals[m],
                bootstrap?.MacroIntervals[m]));
        }

        var ordered = rows
            .OrderBy(r => r.MeanWinRate is null ? 1 : 0)
            .ThenByDescending(r => r.MeanWinRate ?? 0)
            .ThenByDescending(r => r.MacroAverage)
            .ThenBy(r => r.Model, StringComparer.Ordinal)
            .ToArray();
        var categories = benchmarks.Select(b => b.Category.Abbreviation).Distinct(StringComparer.Ordinal).OrderBy(CategoryOrder).ToArray();
        return new DecisionTable(
            benchmarks.Select(b => new DecisionBenchmark(b.Name, b.DisplayName, b.Category.Abbreviation, b.Subcategory, b.IsOpen)).ToArray(), categories, ordered, table.JuryScale, options, notes);
    }

    private static void AddWinRateNotes(IReadOnlyList<string> models, IReadOnlyList<BenchmarkDefinition> benchmarks, double[] raw, List<string> notes)
    {
        if (models.Count == 1)
        {
            notes.Add("There is only one model: a win rate compares a model with the others, so win rates and win SD are undefined.");
            return;
        }

        var lonely = benchmarks
            .Where((_, b) => Enumerable.Range(0, models.Count).Count(m => !double.IsNaN(raw[(m * benchmarks.Count) + b])) < 2)
            .Select(b => b.Name)
            .ToArray();
        if (lonely.Length > 0)
        {
            notes.Add($"{lonely.Length} benchmark(s) have a score for only one model and do not count towards win rates: {string.Join(", ", lonely)}.");
        }
    }

    private static List<GroupMean> GroupMeans(
        List<(BenchmarkDefinition Definition, double Normalized)> placed,
        Func<(BenchmarkDefinition Definition, double Normalized), string> key,
        Func<string, int> order) =>
        placed
            .GroupBy(key, StringComparer.Ordinal)
            .OrderBy(g => order(g.Key))
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new GroupMean(g.Key, g.Average(p => p.Normalized), g.Count()))
            .ToList();

    private static int CategoryOrder(string abbreviation)
    {
        for (var i = 0; i < Taxonomy.Categories.Count; i++)
        {
            if (string.Equals(Taxonomy.Categories[i].Abbreviation, abbreviation, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return int.MaxValue;
    }

    private static int SubcategoryOrder(string subcategory)
    {
        var index = 0;
        foreach (var category in Taxonomy.Categories)
        {
            foreach (var name in category.Subcategories)
            {
                if (string.Equals(name, subcategory, StringComparison.Ordinal))
                {
                    return index;
                }

                index++;
            }
        }

        return int.MaxValue;
    }

    private static double? NullIfNaN(double value) => double.IsNaN(value) ? null : value;
}
