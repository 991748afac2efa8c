using System.Globalization;
using System.Text.Json;
using MedHelm.Application.Runs;
using MedHelm.Core.Catalog;
using MedHelm.Core.Decision;
using MedHelm.Core.Prompts;
using MedHelm.Evaluation.Jury;

namespace MedHelm.Application.Reports.Decision;

/// <summary>The measured parts of the decision report: usage and cost, the floors, jury agreement and the examples.</summary>
public sealed partial class DecisionRunReportBuilder
{
    /// <summary>
    /// A cell's usage: tokens summed over its results; MedHELM's output bound from the manifest's output limit; wall
    /// time from the <c>benchmark_evaluated</c> events of the report's runs.
    /// </summary>
    private static Usage UsageOf(string model, string benchmark, IReadOnlyList<Sourced> results, IReadOnlyList<MeasuredSegment> segments)
    {
        var runs = results.Select(s => s.Run).Distinct().ToArray();
        var manifestModel = runs.Select(r => r.Manifest?.Models.FirstOrDefault(m => m.Name == model)).FirstOrDefault(m => m is not null);
        var measured = segments.Where(s => s.Kind == SegmentKind.Evaluation && s.Model == model && s.Benchmark == benchmark).ToArray();
        return new Usage(
            model,
            benchmark,
            manifestModel?.Endpoint is null,
            results.Count,
            results.Count(s => s.Result.Row.Origin == "computed"),
            results.Sum(s => s.Result.Row.PromptTokens ?? 0),
            results.Sum(s => s.Result.Row.CompletionTokens ?? 0),
            results.Sum(s => s.Result.Row.ReasoningTokens ?? 0),
            results.Sum(s => (long)(s.Run.Manifest?.Benchmarks.FirstOrDefault(b => b.Name == benchmark)?.MaxTokens ?? 0)),
            measured.Length == 0 ? null : measured.Sum(s => s.WallSeconds),
            runs.Max(Devices));
    }

    /// <summary>Devices a run's local models held: the engine's devices (the CPU counts as one).</summary>
    private static int Devices(RunReport run) => Math.Max(1, run.Manifest?.Engine.Devices.Count ?? 1);

    private static IEnumerable<string> TimeNotes(IReadOnlyList<Cost> usage)
    {
        var unmeasured = usage.Where(c => c.Usage.WallSeconds is null).Select(c => $"{c.Usage.Model} × {c.Usage.Benchmark}").ToArray();
        if (unmeasured.Length > 0)
        {
            yield return $"Time not measured for {unmeasured.Length} model × benchmark cell(s) (runs recorded before time was measured): {string.Join(", ", unmeasured.Take(5))}{(unmeasured.Length > 5 ? ", …" : "")}; their device cost is unknown.";
        }

        var reused = usage.Count(c => c.Usage.Computed < c.Usage.Instances);
        if (reused > 0)
        {
            yield return $"{reused} cell(s) reuse results from the ledger: their time counts only where the run that computed them is in the report.";
        }
    }

    private ModelCost[] ModelCosts(IReadOnlyList<Cost> usage, DecisionTable table)
    {
        var costs = new List<ModelCost>();
        foreach (var group in usage.GroupBy(c => c.Usage.Model, StringComparer.Ordinal))
        {
            if (table.Row(group.Key) is not { } row)
            {
                continue;
            }

            var cost = CostModel.Price(group.Select(c => c.Usage).Aggregate((a, b) => a.Add(b)), _pricing);
            costs.Add(new ModelCost(
                group.Key,
                cost,
                row.MacroAverage,
                row.MeanWinRate,
                CostModel.PerPoint(cost.Total, row.MacroAverage),
                cost.Hosted.Select(h => new HostedPerPoint(h.PriceList, CostModel.PerPoint(h.Actual, row.MacroAverage))).ToArray()));
        }

        return costs.OrderByDescending(c => c.MeanWinRate ?? double.MinValue).ThenByDescending(c => c.MacroAverage).ThenBy(c => c.Model, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Per judge × benchmark: the measured time of the <c>jury_rated</c> events and its device cost.</summary>
    private JuryCost[] JuryCosts(IReadOnlyList<MeasuredSegment> segments, IReadOnlyList<RunReport> runs)
    {
        var devices = runs.ToDictionary(r => r.Run.RunId, Devices, StringComparer.Ordinal);
        return segments.Where(s => s.Kind == SegmentKind.Jury)
            .GroupBy(s => (s.Model, s.Benchmark))
            .Select(g =>
            {
                var local = g.All(s => s.Local);
                var deviceHours = local ? g.Sum(s => s.WallSeconds * devices.GetValueOrDefault(s.RunId, 1)) / 3600.0 : (double?)null;
                return new JuryCost(
                    g.Key.Model,
                    g.Key.Benchmark,
                    local,
                    g.Sum(s => s.Computed),
                    g.Sum(s => s.WallSeconds),
                    deviceHours is { } h && _pricing.DeviceHourPrice is { } rate ? h * rate : null,
                    deviceHours is { } e && _pricing.DevicePowerKw is { } kw && _pricing.EnergyPricePerKwh is { } kwh ? e * kw * kwh : null);
            })
            .OrderBy(j => j.Judge, StringComparer.Ordinal).ThenBy(j => j.Benchmark, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>The floors of each benchmark over the instances the models were scored on (the import the newest run used).</summary>
    private async Task<BaselineScore[]> BaselinesAsync(
        IReadOnlyList<KeyValuePair<(string Model, string Benchmark), List<Sourced>>> cells, IReadOnlyDictionary<string, BenchmarkDefinition> definitions,
        CancellationToken cancellationToken)
    {
        var floors = new List<BaselineScore>();
        foreach (var benchmark in cells.GroupBy(c => c.Key.Benchmark, StringComparer.Ordinal))
        {
            var (run, instances) = await InstancesAsync(benchmark.Key, benchmark.SelectMany(c => c.Value), cancellationToken).ConfigureAwait(false);
            if (run is not null)
            {
                floors.AddRange(Baselines.Compute(definitions[benchmark.Key], instances, ModeOf(run)));
            }
        }

        return floors.ToArray();
    }

    /// <summary>The evaluated instances of a benchmark, read from the import of the newest run that names it (null run: no import stored).</summary>
    private async Task<(RunReport? Run, IReadOnlyList<BenchmarkInstance> Instances)> InstancesAsync(
        string benchmark, IEnumerable<Sourced> results, CancellationToken cancellationToken)
    {
        var sourced = results.ToArray();
        var ids = sourced.Select(s => s.Result.Row.InstanceId).ToHashSet(StringComparer.Ordinal);
        foreach (var run in sourced.Select(s => s.Run).Distinct().OrderByDescending(r => r.Run.StartedUtc))
        {
            if (run.Benchmarks.FirstOrDefault(b => b.Name == benchmark) is { } used
                && await _database.GetImportAsync(benchmark, used.DatasetSha256, cancellationToken).ConfigureAwait(false) is { } import)
            {
                return (run, import.Instances.Where(i => ids.Remove(i.Id)).ToArray());
            }
        }

        return (null, []);
    }

    /// <summary>Inter-judge agreement per model × benchmark, from the newest run with a jury report for it.</summary>
    private static JuryAgreementRow[] Agreement(IReadOnlyList<RunReport> newestFirst, IEnumerable<KeyValuePair<(string Model, string Benchmark), List<Sourced>>> cells) =>
        cells
            .Select(c => newestFirst.SelectMany(r => r.JuryReports).FirstOrDefault(j => j.Model == c.Key.Model && j.Benchmark == c.Key.Benchmark))
            .OfType<JuryReportEntry>()
            .SelectMany(j => j.Report.Pairs.Select(p => new JuryAgreementRow(j.Benchmark, j.Model, p.First, p.Second, p.Instances, p.Spearman, p.Icc21)))
            .OrderBy(a => a.Benchmark, StringComparer.Ordinal).ThenBy(a => a.Model, StringComparer.Ordinal)
            .ToArray();

    /// <summary>A few instances per benchmark (lowest ids first) with the prompt, gold, each model's answer and the jury's explanations.</summary>
    private async Task<ExampleInstance[]> ExamplesAsync(
        IReadOnlyList<KeyValuePair<(string Model, string Benchmark), List<Sourced>>> cells, IReadOnlyDictionary<string, BenchmarkDefinition> definitions, int perBenchmark,
        CancellationToken cancellationToken)
    {
        var ratings = new Dictionary<string, IReadOnlyList<StoredJuryRating>>(StringComparer.Ordinal);
        var examples = new List<ExampleInstance>();
        foreach (var benchmark in cells.GroupBy(c => c.Key.Benchmark, StringComparer.Ordinal))
        {
            var all = benchmark.SelectMany(c => c.Value).ToArray();
            var (_, instances) = await InstancesAsync(benchmark.Key, all, cancellationToken).ConfigureAwait(false);
            foreach (var instance in instances.OrderBy(i => i.Id, StringComparer.Ordinal).Take(perBenchmark))
            {
                var prompt = BenchmarkPrompt.Build(definitions[benchmark.Key], instance);
                var answers = new List<ExampleAnswer>();
                foreach (var s in all.Where(s => s.Result.Row.InstanceId == instance.Id))
                {
                    if (!ratings.TryGetValue(s.Run.Run.RunId, out var runRatings))
                    {
                        ratings[s.Run.Run.RunId] = runRatings = await _database.GetJuryRatingsAsync(s.Run.Run.RunId, cancellationToken).ConfigureAwait(false);
                    }

                    var row = s.Result.Row;
                    var explanations = runRatings
                        .Where(r => r.Model == row.Model && r.Benchmark == row.Benchmark && r.InstanceId == row.InstanceId)
                        .Select(r => $"{r.Judge} · {r.Criterion}: {(r.Rating is { } v ? v.ToString("0.#", CultureInfo.InvariantCulture) : "no verdict")} — {Explanation(r.DetailJson)}")
                        .ToArray();
                    answers.Add(new ExampleAnswer(row.Model, row.Output ?? "", row.Score, explanations));
                }

                examples.Add(new ExampleInstance(
                    benchmark.Key, instance.Id, prompt.System is { Length: > 0 } system ? $"{system}\n\n{prompt.User}" : prompt.User, instance.Gold, answers));
            }
        }

        return examples.ToArray();
    }

    private static string Explanation(string? detailJson)
    {
        if (string.IsNullOrWhiteSpace(detailJson))
        {
            return "";
        }

        try
        {
            using var document = JsonDocument.Parse(detailJson);
            return document.RootElement.TryGetProperty("explanation", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }
}
