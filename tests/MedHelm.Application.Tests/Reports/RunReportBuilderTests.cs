using MedHelm.Application.Errors;
using MedHelm.Application.Reports;
using MedHelm.Application.Runs;
using MedHelm.Evaluation.Ledger;
using static MedHelm.Application.Tests.Reports.StoredRuns;

namespace MedHelm.Application.Tests.Reports;

public sealed class RunReportBuilderTests
{
    [Fact]
    public async Task A_report_built_from_a_stored_run_has_its_provenance_leaderboard_secondary_means_and_jury()
    {
        await using var temp = await TempResults.CreateAsync();
        var run = await StoreRunAsync(temp.Store);

        var report = await new RunReportBuilder(temp.Store).BuildAsync("run-1");

        Assert.Equal(("run-1", "1.0.0+abc", "none"), (report.Run.RunId, report.Run.AppVersion, report.Run.GpuDescription));
        Assert.Equal(64, report.ConfigSha256.Length);
        Assert.Equal(run.Manifest.Benchmarks.Select(b => b.Name), report.Manifest!.Benchmarks.Select(b => b.Name));
        Assert.Equal(["m1", "m2"], report.Models.Select(m => m.Name));
        Assert.Equal(new RunCounts(21, 21, 0), report.Counts);

        // leaderboard: ordered by benchmark, then score; CLEAR and MedDialog score the mean of their sub-run means
        Assert.Equal(
            [
                ("clear", "m1", 0.666667, 4), ("clear", "m2", 0.5, 4),
                ("med_dialog", "m1", 0.75, 3),
                ("medec", "m1", 1.0, 2),
                ("pubmed_qa", "m2", 0.75, 4), ("pubmed_qa", "m1", 0.5, 4),
            ],
            report.Leaderboard.Select(r => (r.Row.Benchmark, r.Row.Model, Math.Round(r.Row.Score, 6), r.Row.Instances)));
        var clearM1 = report.Leaderboard[0];
        Assert.Equal([("alcohol_dependence", 3), ("chronic_pain", 1)], clearM1.SubRuns.Select(s => (s.SubRun, s.Instances)));
        Assert.Equal(1.0 / 3.0, clearM1.SubRuns[0].Score, 12);
        Assert.Equal(1.0, clearM1.SubRuns[1].Score);
        Assert.Equal([("healthcaremagic", 0.5), ("icliniq", 1.0)], report.Leaderboard[2].SubRuns.Select(s => (s.SubRun, s.Score)));
        Assert.All(report.Leaderboard.Where(r => r.Row.Benchmark is "medec" or "pubmed_qa"), r => Assert.Empty(r.SubRuns));

        // every other number of a row is the stored one
        var stored = await temp.Store.GetLeaderboardAsync("run-1");
        Assert.Equal(
            stored.Select(r => (r.Model, r.Benchmark, r.Instances, r.PromptTokens, r.CompletionTokens, r.Seconds)).Order(),
            report.Leaderboard.Select(r => (r.Row.Model, r.Row.Benchmark, r.Row.Instances, r.Row.PromptTokens, r.Row.CompletionTokens, r.Row.Seconds)).Order());
        Assert.Equal(0.5, stored.Single(r => r is { Model: "m1", Benchmark: "clear" }).Score); // the pooled mean the report replaces

        Assert.Equal(
            [new SecondaryMean("m1", "med_dialog", "rouge_l", 0.25, 3), new SecondaryMean("m1", "medec", "medec_error_sentence_accuracy", 0.25, 2)],
            report.SecondaryMeans);

        Assert.Equal(
            [new JuryCount("med_dialog", "j1", 3, 3, 0, 9, 3.333333), new JuryCount("med_dialog", "j2", 3, 2, 1, 6, 2.5)],
            report.JuryCounts.Select(c => c with { MeanRating = Math.Round(c.MeanRating!.Value, 6) }));
        var jury = Assert.Single(report.JuryReports);
        Assert.Equal(("m1", "med_dialog", 3), (jury.Model, jury.Benchmark, jury.Report.Instances));
        Assert.Equal(["j1", "j2"], jury.Report.Judges.Select(j => j.Judge));
        Assert.Equal(1, jury.Report.JudgeFailures);

        Assert.Equal(["run_completed"], report.Audit.Select(a => a.Event));
    }

    [Fact]
    public async Task Each_result_has_its_gold_answer_and_sub_run_from_the_import_the_manifest_names()
    {
        await using var temp = await TempResults.CreateAsync();
        await StoreRunAsync(temp.Store);

        var report = await new RunReportBuilder(temp.Store).BuildAsync("run-1");
        var results = report.Results.ToDictionary(r => (r.Row.Model, r.Row.Benchmark, r.Row.InstanceId));
        Assert.Equal(21, results.Count);
        Assert.Equal(("maybe", null), (results[("m2", "pubmed_qa", "p3")].Gold, results[("m2", "pubmed_qa", "p3")].SubRun));
        Assert.Equal(("B", "chronic_pain"), (results[("m1", "clear", "c4")].Gold, results[("m1", "clear", "c4")].SubRun));
        Assert.Equal("alcohol_dependence", results[("m2", "clear", "c1")].SubRun);
        Assert.Equal("3 The patient has asthma.", results[("m1", "medec", "e2")].Gold);
        Assert.All(report.Results, r => Assert.Null(r.Row.Output));

        // an open-ended benchmark's reference text may be patient data: only with the outputs, like their text
        Assert.Equal((null, "icliniq"), (results[("m1", "med_dialog", "d3")].Gold, results[("m1", "med_dialog", "d3")].SubRun));
        var withOutputs = await new RunReportBuilder(temp.Store).BuildAsync("run-1", new RunReportOptions { IncludeOutputs = true });
        var d3 = withOutputs.Results.Single(r => r.Row.InstanceId == "d3");
        Assert.Equal(("reference three", "summary of d3"), (d3.Gold, d3.Row.Output));

        Assert.Equal(
            [("pubmed_qa", DataOrigin.Bundled, ""), ("clear", DataOrigin.Synthetic, "alcohol_dependence,attention_deficit_hyperactivity_disorder"),
             ("medec", DataOrigin.Imported, ""), ("med_dialog", DataOrigin.Imported, "healthcaremagic,icliniq")],
            report.Benchmarks.Select(b => (b.Name, b.Data, string.Join(",", b.SubRuns.Take(2)))));
        Assert.Equal(13, report.Benchmarks.Single(b => b.Name == "clear").SubRuns.Count); // the built-in definition's runs
    }

    [Fact]
    public async Task Rows_on_bundled_or_synthetic_data_are_marked()
    {
        await using var temp = await TempResults.CreateAsync();
        await StoreRunAsync(temp.Store);

        var report = await new RunReportBuilder(temp.Store).BuildAsync("run-1");
        Assert.Equal(
            [("clear", DataOrigin.Synthetic), ("clear", DataOrigin.Synthetic), ("med_dialog", DataOrigin.Imported), ("medec", DataOrigin.Imported),
             ("pubmed_qa", DataOrigin.Bundled), ("pubmed_qa", DataOrigin.Bundled)],
            report.Leaderboard.Select(r => (r.Row.Benchmark, r.Data!.Value)));
    }

    [Fact]
    public async Task An_unknown_run_is_not_found()
    {
        await using var temp = await TempResults.CreateAsync();
        await StoreRunAsync(temp.Store);
        var builder = new RunReportBuilder(temp.Store, temp.Store, temp.Store, temp.Store);

        var e = await Assert.ThrowsAsync<NotFoundException>(() => builder.BuildAsync("nope"));
        Assert.Equal("There is no run 'nope'.", e.Message);
        Assert.Equal(ErrorKind.NotFound, e.Kind);
        await Assert.ThrowsAsync<NotFoundException>(() => builder.BuildLeaderboardAsync("nope"));
    }

    [Fact]
    public async Task A_run_without_a_manifest_is_reported_from_its_results()
    {
        await using var temp = await TempResults.CreateAsync();
        var pubmed = await ImportAsync(temp.Store, "pubmed_qa", "/srv/imports/pubmed_qa", [Instance("p1", "yes"), Instance("p2", "no")]);
        await SaveRunAsync(temp.Store, "legacy", """{"models":["m1"],"benchmarks":["pubmed_qa"]}""");
        await RecordAsync(temp.Store, [Entry("legacy", "m1", pubmed, "p1", [new MetricScore("exact_match", 1)]), Entry("legacy", "m1", pubmed, "p2", [new MetricScore("exact_match", 0)])]);

        var report = await new RunReportBuilder(temp.Store).BuildAsync("legacy");

        Assert.Null(report.Manifest);
        Assert.Empty(report.Benchmarks);
        Assert.Equal(["m1"], report.Models.Select(m => m.Name));
        var row = Assert.Single(report.Leaderboard);
        Assert.Equal((0.5, (DataOrigin?)null), (row.Row.Score, row.Data));
        Assert.All(report.Results, r => Assert.Equal((null, null), (r.Gold, r.SubRun)));
        Assert.DoesNotContain(DataOrigins.Legend, RunReportTextFormatter.Format(report), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_a_benchmark_whose_definition_declares_sub_runs_is_averaged_by_sub_run()
    {
        // DischargeMe's importer tags each instance with its section, but the benchmark is one run
        await using var temp = await TempResults.CreateAsync();
        var discharge = await ImportAsync(temp.Store, "dischargeme", "/srv/imports/dischargeme",
            [Instance("h1/bhc", "x", "brief_hospital_course"), Instance("h2/bhc", "x", "brief_hospital_course"), Instance("h1/di", "y", "discharge_instructions")]);
        await SaveRunAsync(temp.Store, "dm", RunManifestJson.Serialize(Manifest(["m1"], [discharge])));
        await RecordAsync(temp.Store,
        [
            Entry("dm", "m1", discharge, "h1/bhc", [new MetricScore("dischargeme_accuracy", 1)]),
            Entry("dm", "m1", discharge, "h2/bhc", [new MetricScore("dischargeme_accuracy", 1)]),
            Entry("dm", "m1", discharge, "h1/di", [new MetricScore("dischargeme_accuracy", 0)]),
        ]);

        var report = await new RunReportBuilder(temp.Store).BuildAsync("dm");

        var row = Assert.Single(report.Leaderboard);
        Assert.Equal(2.0 / 3.0, row.Row.Score, 12);
        Assert.Empty(row.SubRuns);
        Assert.Empty(Assert.Single(report.Benchmarks).SubRuns);
        Assert.All(report.Results, r => Assert.Null(r.SubRun));
    }

    [Fact]
    public async Task The_leaderboard_across_runs_takes_the_latest_result_of_each_instance_and_the_most_caveated_data()
    {
        await using var temp = await TempResults.CreateAsync();
        var bundled = await ImportAsync(temp.Store, "pubmed_qa", "bundled:pubmed_qa", [Instance("p1", "yes"), Instance("p2", "no"), Instance("p3", "yes")]);
        var imported = await ImportAsync(temp.Store, "pubmed_qa", "/srv/imports/pubmed_qa", [Instance("p1", "yes"), Instance("p2", "no"), Instance("p3", "yes"), Instance("p4", "no")]);
        var clear = await ImportAsync(temp.Store, "clear", "/srv/imports/clear", [Instance("c1", "A", "a"), Instance("c2", "A", "a"), Instance("c3", "A", "b")]);
        var at = DateTimeOffset.Parse(Started, System.Globalization.CultureInfo.InvariantCulture);
        await SaveRunAsync(temp.Store, "old", RunManifestJson.Serialize(Manifest(["m1"], [bundled])), at);
        await SaveRunAsync(temp.Store, "new", RunManifestJson.Serialize(Manifest(["m1", "m2"], [imported, clear])), at.AddDays(1));
        static MetricScore[] Score(double v) => [new MetricScore("exact_match", v)];
        await RecordAsync(temp.Store,
        [
            Entry("old", "m1", bundled, "p1", Score(0)), Entry("old", "m1", bundled, "p2", Score(0)), Entry("old", "m1", bundled, "p3", Score(1)),
            // the newer run redoes p1 and p2 of m1 on the imported data, and all of m2
            Entry("new", "m1", imported, "p1", Score(1)), Entry("new", "m1", imported, "p2", Score(1)),
            Entry("new", "m2", imported, "p1", Score(1)), Entry("new", "m2", imported, "p4", Score(0)),
            Entry("new", "m1", clear, "c1", Score(1)), Entry("new", "m1", clear, "c2", Score(1)), Entry("new", "m1", clear, "c3", Score(0)),
        ]);

        var board = await new RunReportBuilder(temp.Store).BuildLeaderboardAsync(null);

        Assert.Null(board.RunId);
        Assert.Equal(
            [("clear", "m1", 0.5, 3, DataOrigin.Imported), ("pubmed_qa", "m1", 1.0, 3, DataOrigin.Bundled), ("pubmed_qa", "m2", 0.5, 2, DataOrigin.Imported)],
            board.Rows.Select(r => (r.Row.Benchmark, r.Row.Model, r.Row.Score, r.Row.Instances, r.Data!.Value)));
        Assert.Equal(2, board.Rows[0].SubRuns.Count);

        // the same rows as the store's cross-run leaderboard, but for the sub-run mean
        var stored = await temp.Store.GetLeaderboardAsync(null);
        Assert.Equal(stored.Select(r => r with { Score = 0 }).OrderBy(r => r.Benchmark).ThenBy(r => r.Model), board.Rows.Select(r => r.Row with { Score = 0 }));

        var one = await new RunReportBuilder(temp.Store).BuildLeaderboardAsync("old");
        Assert.Equal([("pubmed_qa", "m1", 1.0 / 3.0, DataOrigin.Bundled)], one.Rows.Select(r => (r.Row.Benchmark, r.Row.Model, r.Row.Score, r.Data!.Value)));
    }
}
