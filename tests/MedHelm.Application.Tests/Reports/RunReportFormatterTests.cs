using System.Text.Json.Nodes;
using MedHelm.Application.Reports;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Ledger;
using static MedHelm.Application.Tests.Reports.StoredRuns;

namespace MedHelm.Application.Tests.Reports;

public sealed class RunReportFormatterTests
{
    // the keys runs show --json printed before the report model; every one stays
    private static readonly Dictionary<string, string[]> OldKeys = new()
    {
        ["$"] = ["run", "configuration", "models", "counts", "leaderboard", "secondary_means", "results", "jury", "jury_reports", "audit"],
        ["run"] = ["run_id", "status", "started_utc", "finished_utc", "app_version", "llama_cpp_version", "machine", "gpu", "config_sha256"],
        ["models"] = ["name", "path", "sha256", "size_bytes", "architecture", "quantization", "parameters"],
        ["counts"] = ["results", "computed", "reused"],
        ["leaderboard"] = ["model", "benchmark", "score", "instances", "prompt_tokens", "completion_tokens", "seconds"],
        ["secondary_means"] = ["model", "benchmark", "metric", "mean", "instances"],
        ["results"] = ["model", "benchmark", "instance_id", "request_key", "origin", "metric", "score", "output_sha256", "prompt_tokens", "completion_tokens", "elapsed_ms", "output", "secondary"],
        ["jury"] = ["benchmark", "judge", "instances", "verdicts", "failures", "ratings", "mean_rating"],
        ["jury_reports"] = ["model", "benchmark", "instances", "mean_score", "mean_normalized_score", "instances_by_basis", "instances_by_judges_counted", "judge_failures", "criteria", "judges", "agreement"],
        ["audit"] = ["at_utc", "event", "detail"],
    };

    [Fact]
    public async Task The_json_keeps_every_old_key_and_adds_gold_sub_runs_and_data()
    {
        await using var temp = await TempResults.CreateAsync();
        await StoreRunAsync(temp.Store);
        var report = await new RunReportBuilder(temp.Store).BuildAsync("run-1");

        var json = JsonNode.Parse(RunReportJsonFormatter.Format(report))!.AsObject();

        Assert.Equal(OldKeys["$"], json.Select(p => p.Key).Where(OldKeys["$"].Contains));
        foreach (var (section, keys) in OldKeys.Where(k => k.Key != "$"))
        {
            var objects = json[section] is JsonArray array ? array.Select(n => n!.AsObject()).ToArray() : [json[section]!.AsObject()];
            Assert.NotEmpty(objects);
            Assert.All(objects, o => Assert.Equal(keys, o.Select(p => p.Key).Where(keys.Contains)));
        }

        // the stored configuration as it is
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(report.Run.ConfigurationJson), json["configuration"]));
        Assert.Equal("run-1", (string?)json["run"]!["run_id"]);
        Assert.Equal("completed", (string?)json["run"]!["status"]);
        Assert.Equal(21, (int)json["counts"]!["results"]!);

        var clear = json["leaderboard"]!.AsArray().Single(r => (string?)r!["benchmark"] == "clear" && (string?)r["model"] == "m1")!;
        Assert.Equal("synthetic", (string?)clear["data"]);
        Assert.Equal(2.0 / 3.0, (double)clear["score"]!, 12);
        Assert.Equal(["alcohol_dependence", "chronic_pain"], clear["sub_runs"]!.AsArray().Select(s => (string?)s!["name"]));
        Assert.Equal([3, 1], clear["sub_runs"]!.AsArray().Select(s => (int)s!["instances"]!));
        var pubmed = json["leaderboard"]!.AsArray().First(r => (string?)r!["benchmark"] == "pubmed_qa")!;
        Assert.Equal(("bundled", 0), ((string?)pubmed["data"], pubmed["sub_runs"]!.AsArray().Count));
        Assert.Equal("imported", (string?)json["leaderboard"]!.AsArray().Single(r => (string?)r!["benchmark"] == "medec")!["data"]);

        var benchmarks = json["benchmarks"]!.AsArray();
        Assert.Equal(["pubmed_qa", "clear", "medec", "med_dialog"], benchmarks.Select(b => (string?)b!["name"]));
        Assert.Equal(["bundled", "synthetic", "imported", "imported"], benchmarks.Select(b => (string?)b!["data"]));
        Assert.Equal(["healthcaremagic", "icliniq"], benchmarks[3]!["sub_runs"]!.AsArray().Select(s => (string?)s));

        var c4 = json["results"]!.AsArray().Single(r => (string?)r!["instance_id"] == "c4" && (string?)r["model"] == "m1")!;
        Assert.Equal(("B", "chronic_pain"), ((string?)c4["gold"], (string?)c4["sub_run"]));
        var p1 = json["results"]!.AsArray().Single(r => (string?)r!["instance_id"] == "p1" && (string?)r["model"] == "m1")!;
        Assert.Equal("yes", (string?)p1["gold"]);
        Assert.True(p1.AsObject().ContainsKey("sub_run"));
        Assert.Null(p1["sub_run"]);
        var e1 = json["results"]!.AsArray().Single(r => (string?)r!["instance_id"] == "e1")!;
        Assert.Equal(0.5, (double)e1["secondary"]!["medec_error_sentence_accuracy"]!);

        Assert.Equal(2, json["jury"]!.AsArray().Count);
        Assert.Equal("j2", (string?)json["jury_reports"]![0]!["judges"]![1]!["judge"]);
        Assert.Equal("run_completed", (string?)json["audit"]![0]!["event"]);
        Assert.Equal(24, (int)json["audit"]![0]!["detail"]!["computed"]!);
    }

    [Fact]
    public async Task The_text_report_marks_bundled_and_synthetic_rows_and_shows_the_sub_runs_under_the_leaderboard()
    {
        await using var temp = await TempResults.CreateAsync();
        var run = await StoreRunAsync(temp.Store);
        var report = await new RunReportBuilder(temp.Store).BuildAsync("run-1");

        var text = RunReportTextFormatter.Format(report);
        var lines = text.Split('\n');

        Assert.Equal("run       run-1 (completed)", lines[0]);
        Assert.Equal("started   2025-06-01 12:00:00 UTC; finished 2025-06-01 12:05:00 UTC", lines[1]);
        Assert.Equal("app       1.0.0+abc; llama.cpp v0.5.0; storage SQLite 3.53.0", lines[2]);
        Assert.Equal($"config    sha256 {report.ConfigSha256}", lines[5]);
        Assert.Equal($"model     m1: /models/m1.gguf sha256 {new string('a', 64)}, llama, Q4_K_M, 1,000 parameters", lines[6]);
        Assert.Contains($"data      pubmed_qa: sha256 {run.PubMed.DatasetSha256}, 4 instances (bundled:pubmed_qa) *", lines);
        Assert.Contains($"data      clear: sha256 {run.Clear.DatasetSha256}, 4 instances (bundled:clear) †", lines);
        Assert.Contains($"data      medec: sha256 {run.Medec.DatasetSha256}, 2 instances (/srv/imports/medec)", lines);
        Assert.Contains("skipped   medcalc_bench: not imported", lines);
        Assert.Contains("results   21 (21 computed, 0 reused)", lines);

        // the leaderboard: marked rows and the legend right under the table
        var rows = report.Leaderboard.Select(r => r.Row).ToArray();
        var marked = rows.Select(r => r.Benchmark switch { "clear" => r with { Benchmark = "clear †" }, "pubmed_qa" => r with { Benchmark = "pubmed_qa *" }, _ => r }).ToArray();
        Assert.Contains("\n\n" + Leaderboard.FormatTable(marked) + DataOrigins.Legend + "\n\n\n", text, StringComparison.Ordinal);
        Assert.Single(lines, l => l == DataOrigins.Legend);
        Assert.Single(lines, l => l.StartsWith("m1  ", StringComparison.Ordinal) && l.Contains("  clear †  ", StringComparison.Ordinal) && l.Contains("0.667", StringComparison.Ordinal));

        // then the sub-runs, the secondary statistics and the jury
        var subRuns = Array.IndexOf(lines, "Sub-runs: a benchmark made of several runs scores the unweighted mean of its sub-run means (MedHELM)");
        Assert.True(subRuns > Array.IndexOf(lines, DataOrigins.Legend));
        Assert.Equal("Model  Benchmark   Sub-run             Score  Instances", lines[subRuns + 1]);
        Assert.Equal("m1     clear       alcohol_dependence  0.333          3", lines[subRuns + 3]);
        Assert.Equal("m1     clear       chronic_pain        1.000          1", lines[subRuns + 4]);
        Assert.Equal("m1     med_dialog  healthcaremagic     0.500          2", lines[subRuns + 5]);
        Assert.Equal("m1     med_dialog  icliniq             1.000          1", lines[subRuns + 6]);
        Assert.Equal("m2     clear       alcohol_dependence  1.000          3", lines[subRuns + 7]);
        Assert.Equal("m2     clear       chronic_pain        0.000          1", lines[subRuns + 8]);
        Assert.Equal("", lines[subRuns + 9]);
        Assert.Equal("Secondary statistics: means over the scored instances, not on the leaderboard", lines[subRuns + 10]);
        Assert.Contains(RunReportTextFormatter.FormatJuryReports(report.JuryReports) + "\n", text, StringComparison.Ordinal);
        Assert.Contains("Jury on med_dialog", text, StringComparison.Ordinal);
        Assert.EndsWith("\n\neverything, with per-instance results: medhelm runs show run-1 --json\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_marks_and_sub_runs_the_leaderboard_prints_as_before()
    {
        await using var temp = await TempResults.CreateAsync();
        var pubmed = await ImportAsync(temp.Store, "pubmed_qa", "/srv/imports/pubmed_qa", [Instance("p1", "yes"), Instance("p2", "no")]);
        await SaveRunAsync(temp.Store, "plain", Application.Runs.RunManifestJson.Serialize(Manifest(["m1"], [pubmed])));
        await RecordAsync(temp.Store, [Entry("plain", "m1", pubmed, "p1", [new MetricScore("exact_match", 1)]), Entry("plain", "m1", pubmed, "p2", [new MetricScore("exact_match", 0)])]);

        var report = await new RunReportBuilder(temp.Store).BuildAsync("plain");
        var stored = await temp.Store.GetLeaderboardAsync("plain");
        var text = RunReportTextFormatter.Format(report);

        Assert.Equal(Leaderboard.FormatTable(stored), RunReportTextFormatter.FormatLeaderboard(report.Leaderboard));
        Assert.Equal(Leaderboard.FormatTable(stored), RunReportTextFormatter.FormatLeaderboardTable(stored));
        Assert.Contains("results   2 (2 computed, 0 reused)\n\n" + Leaderboard.FormatTable(stored) + "\n\neverything, with per-instance results", text, StringComparison.Ordinal);
        Assert.DoesNotContain("†", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Sub-runs", text, StringComparison.Ordinal);
        Assert.Equal("", RunReportTextFormatter.FormatSubRuns(report.Leaderboard));
        Assert.Equal("No results.", RunReportTextFormatter.FormatLeaderboard([]));
    }

    [Fact]
    public async Task Jury_reports_format_as_the_run_command_prints_them()
    {
        await using var temp = await TempResults.CreateAsync();
        await StoreRunAsync(temp.Store);
        var report = await new RunReportBuilder(temp.Store).BuildAsync("run-1");
        var entry = Assert.Single(report.JuryReports);

        // one model: each report as it formats itself; several: headed by the model
        Assert.Equal(entry.Report.Format(), RunReportTextFormatter.FormatJuryReports([entry]));
        var other = entry with { Model = "m2" };
        Assert.Equal("[m1] " + entry.Report.Format() + "[m2] " + entry.Report.Format(), RunReportTextFormatter.FormatJuryReports([entry, other]));
        Assert.Equal("", RunReportTextFormatter.FormatJuryReports([]));

        // the same reports from ratings and candidates in hand (the run's jury step)
        var ratings = await temp.Store.GetJuryRatingsAsync("run-1");
        var candidates = await temp.Store.GetJuryCandidatesAsync("run-1", "med_dialog");
        var built = Assert.Single(RunJuryReports.Build(ratings, [("med_dialog", candidates)], ["j1", "j2"]));
        Assert.Equal(entry.Report.Format(), built.Report.Format());
        Assert.Empty(RunJuryReports.Build(ratings, [("med_dialog", candidates)], []));

        var json = RunReportJsonFormatter.FormatJuryReports(report.JuryReports);
        Assert.Equal(3, (int)json[0]!["instances"]!);
        Assert.Equal(1, (int)json[0]!["judge_failures"]!);
    }
}
