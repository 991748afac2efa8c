using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Application.Reports;
using MedHelm.Application.Reports.Decision;
using MedHelm.Application.Runs;
using MedHelm.Application.Tests.Support;
using MedHelm.Core.Catalog;
using MedHelm.Core.Decision;
using static MedHelm.Application.Tests.Reports.Decision.DecisionRuns;

namespace MedHelm.Application.Tests.Reports.Decision;

/// <summary>The decision report over real stored runs (orchestrator, SQLite, scripted models).</summary>
public sealed class DecisionRunReportBuilderTests
{
    private static readonly DecisionRunReportOptions Quick = new() { Decision = new DecisionOptions { BootstrapReplicates = 50 } };

    [Fact]
    public async Task One_run_gives_table_1_with_measured_usage_cost_provenance_and_the_jury_apart()
    {
        await using var harness = new RunHarness();
        await RunTwoModelsAsync(harness);
        await using var database = await harness.OpenDatabaseAsync();
        var report = await new DecisionRunReportBuilder(database, UnitPrices).BuildAsync(["decision"], Quick);

        Assert.Equal(["strong", "weak"], report.Table.Rows.Select(r => r.Model).Order());
        Assert.Equal([Open, Closed], report.Table.Benchmarks.Select(b => b.Name).Order());
        var strong = report.Table.Row("strong")!;
        var stored = (await database.GetRunResultsAsync("decision")).Where(r => r.Model == "strong" && r.Benchmark == Closed).ToArray();
        Assert.Equal(stored.Average(r => r.Score!.Value), strong.Cell(Closed)!.Score, 12);
        Assert.NotNull(strong.Cell(Closed)!.NormalizedCi);

        // usage: 4 instances × (10 prompt, 1 completion) scripted tokens; MedHELM's bound is 4 × the benchmark's output limit
        var usage = report.Usage.Single(c => c.Usage.Model == "strong" && c.Usage.Benchmark == Closed);
        Assert.Equal((4, 4, 40L, 4L), (usage.Usage.Instances, usage.Usage.Computed, usage.Usage.PromptTokens, usage.Usage.CompletionTokens));
        Assert.Equal(4L * BuiltInBenchmarks.Find(Closed)!.MaxTokens, usage.Usage.MaxOutputTokens);
        var wall = Assert.IsType<double>(usage.Usage.WallSeconds);
        Assert.True(wall > 0);
        Assert.Equal(wall, usage.Usage.DeviceSeconds); // the scripted engine has no device list: the CPU, one device

        // unit prices: one per device-second, one per token
        Assert.Equal(wall, usage.Device!.Value, 9);
        Assert.Equal(wall, usage.Energy!.Value, 9);
        var hosted = Assert.Single(usage.Hosted);
        Assert.Equal((40.0 + 4, 40.0 + usage.Usage.MaxOutputTokens), (hosted.Actual, hosted.Estimated));

        var model = report.Models.Single(m => m.Model == "strong");
        Assert.Equal(8, model.Cost.Usage.Instances);
        Assert.Equal(model.Cost.Total!.Value / (strong.MacroAverage * 100), model.CostPerPoint!.Value, 9);

        // the jury: measured per judge × benchmark, apart from the models
        Assert.Equal(["judge-a", "judge-b"], report.Jury.Select(j => j.Judge));
        Assert.All(report.Jury, j => Assert.Equal((Open, 8, true), (j.Benchmark, j.Rated, j.Local)));
        var pair = Assert.Single(report.Agreement, a => a.Model == "strong");
        Assert.Equal(("judge-a", "judge-b", 4), (pair.First, pair.Second, pair.Instances));

        // provenance: bundled samples, their hash, the run
        var cell = report.Provenance.Single(p => p.Model == "weak" && p.Benchmark == Open);
        Assert.Equal((DataOrigin.Bundled, 4, 4), (cell.Data, cell.Instances, cell.Computed));
        Assert.Equal(["decision"], cell.Runs);
        Assert.Matches("^[0-9a-f]{64}$", Assert.Single(cell.DatasetSha256));
        Assert.Contains(DecisionRunReport.PeakMemoryNote, report.Notes);

        // no text unless asked for
        Assert.False(report.IncludesText);
        Assert.Empty(report.Examples);
        Assert.Empty(report.Baselines);
    }

    [Fact]
    public async Task Baselines_and_examples_come_only_on_request_and_examples_carry_the_text()
    {
        await using var harness = new RunHarness();
        await RunTwoModelsAsync(harness, instances: 3);
        await using var database = await harness.OpenDatabaseAsync();
        var report = await new DecisionRunReportBuilder(database, new PricingOptions())
            .BuildAsync(["decision"], Quick with { Baselines = true, IncludeText = true, ExamplesPerBenchmark = 1 });

        var random = report.Baselines.Single(b => b.Benchmark == Closed && b.Name == Baselines.RandomChoice);
        Assert.Equal(1.0 / 3, random.Score, 12); // yes, no, maybe: the exact expectation
        Assert.Equal(3, random.Instances);
        Assert.Contains(report.Baselines, b => b.Benchmark == Closed && b.Name == Baselines.MajorityClass);
        Assert.Contains(report.Baselines, b => b.Benchmark == Open && b.Name == Baselines.CopyInput && b.Metric == "rouge_l");

        Assert.True(report.IncludesText);
        Assert.Equal([Open, Closed], report.Examples.Select(e => e.Benchmark).Order());
        var open = report.Examples.Single(e => e.Benchmark == Open);
        Assert.Contains(open.Answers, a => a.Model == "strong" && a.Output == "Take it with food, twice a day.");
        Assert.Contains(open.Answers.SelectMany(a => a.Explanations), e => e.StartsWith("judge-a · accuracy:", StringComparison.Ordinal) && e.Contains("for accuracy", StringComparison.Ordinal));
        Assert.False(string.IsNullOrWhiteSpace(open.Prompt));

        // no prices configured: costs are unknown, never zero
        Assert.All(report.Models, m => Assert.Null(m.Cost.Total));
        Assert.All(report.Usage, c => Assert.Empty(c.Hosted));
    }

    [Fact]
    public async Task Several_runs_combine_into_one_leaderboard_with_the_newest_result_of_each_instance()
    {
        await using var harness = new RunHarness();
        var strong = harness.Model("strong", seed: 1);
        var other = harness.Model("other", seed: 5);
        harness.Loader.With("strong", Scripted.Chat((_, _) => "yes"));
        harness.Loader.With("other", Scripted.Chat((_, _) => "maybe"));
        await harness.RunAsync(new RunRequest([Closed], null, [strong], ["none"], 3, "week-1", Samples: true));
        await harness.RunAsync(new RunRequest([Closed], null, [other, strong], ["none"], 3, "week-2", Samples: true));

        await using var database = await harness.OpenDatabaseAsync();
        var report = await new DecisionRunReportBuilder(database, UnitPrices).BuildAsync(["week-1", "week-2"], Quick);

        Assert.Equal(["other", "strong"], report.Table.Rows.Select(r => r.Model).Order());
        var cell = report.Provenance.Single(p => p.Model == "strong");
        Assert.Equal(["week-2"], cell.Runs); // the newest run's (reused) results count
        Assert.Equal((3, 0), (cell.Instances, cell.Computed));
        var usage = report.Usage.Single(c => c.Usage.Model == "strong").Usage;
        Assert.NotNull(usage.WallSeconds); // the time of both runs: the first computed, the second reused
        Assert.Contains(report.Notes, n => n.Contains("reuse results from the ledger", StringComparison.Ordinal));
        Assert.Equal(["week-1", "week-2"], report.Decision.Sources.Select(s => s.Name));
    }

    [Fact]
    public async Task Runs_with_no_benchmark_in_common_a_missing_run_and_a_repeated_run_are_refused()
    {
        await using var harness = new RunHarness();
        var strong = harness.Model("strong");
        harness.Loader.With("strong", Scripted.Chat((_, _) => "yes"));
        await harness.RunAsync(new RunRequest([Closed], null, [strong], ["none"], 2, "closed", Samples: true));
        await harness.RunAsync(new RunRequest(["medhallu"], null, [strong], ["none"], 2, "other", Samples: true));
        await using var database = await harness.OpenDatabaseAsync();
        var builder = new DecisionRunReportBuilder(database, UnitPrices);

        var apart = await Assert.ThrowsAsync<RequestValidationException>(() => builder.BuildAsync(["closed", "other"], Quick));
        Assert.Contains("shares no benchmark", apart.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NotFoundException>(() => builder.BuildAsync(["nope"], Quick));
        await Assert.ThrowsAsync<RequestValidationException>(() => builder.BuildAsync(["closed", "closed"], Quick));
        await Assert.ThrowsAsync<RequestValidationException>(() => builder.BuildAsync([], Quick));
    }

    [Fact]
    public async Task Two_models_are_compared_per_benchmark_with_mcnemar_on_the_closed_one_and_an_unknown_model_is_named()
    {
        await using var harness = new RunHarness();
        await RunTwoModelsAsync(harness);
        await using var database = await harness.OpenDatabaseAsync();
        var builder = new DecisionRunReportBuilder(database, UnitPrices);
        var report = await builder.BuildAsync(["decision"], Quick with { Compare = ("strong", "weak") });

        var comparison = Assert.IsType<PairedComparisonResult>(report.Decision.Comparison);
        Assert.Equal(("strong", "weak"), (comparison.First, comparison.Second));
        var closed = comparison.Benchmarks.Single(b => b.Benchmark == Closed);
        var results = (await database.GetRunResultsAsync("decision")).Where(r => r.Benchmark == Closed).ToArray();
        var strong = results.Where(r => r.Model == "strong").ToDictionary(r => r.InstanceId, r => r.Score!.Value);
        var weak = results.Where(r => r.Model == "weak").ToDictionary(r => r.InstanceId, r => r.Score!.Value);
        var mcNemar = Assert.IsType<McNemarResult>(closed.McNemar);
        Assert.Equal(strong.Count(s => s.Value == 1 && weak[s.Key] == 0), mcNemar.OnlyFirstCorrect);
        Assert.Equal(strong.Count(s => s.Value == 0 && weak[s.Key] == 1), mcNemar.OnlySecondCorrect);
        Assert.Equal(strong.Values.Average() - weak.Values.Average(), closed.Difference, 12);
        Assert.Null(comparison.Benchmarks.Single(b => b.Benchmark == Open).McNemar); // jury scores are not 0/1

        var html = DecisionRunReportFormats.Format("html", report, DateTimeOffset.UnixEpoch);
        Assert.Contains("Paired comparison: strong against weak", html, StringComparison.Ordinal);
        Assert.Contains("Paired comparison: strong - weak", DecisionRunReportFormats.Format("table", report, DateTimeOffset.UnixEpoch), StringComparison.Ordinal);

        var unknown = await Assert.ThrowsAsync<RequestValidationException>(() => builder.BuildAsync(["decision"], Quick with { Compare = ("strong", "nobody") }));
        Assert.Contains("no model 'nobody'", unknown.Message, StringComparison.Ordinal);
    }
}
