using MedHelm.Application.Ports;
using MedHelm.Application.Reports;
using MedHelm.Core.Results;
using MedHelm.Service.Apis;
using MedHelm.Service.Dashboard;

namespace MedHelm.Service.Tests.Dashboard;

public sealed class DashboardPagesTests
{
    private const string Hostile = "<script>alert(\"x\")</script>";
    private const string HostileAttribute = "\" onmouseover=\"alert(1)";
    private const string Canary = "CANARY-PATIENT-TEXT-31c9";

    private static readonly ReportLeaderboardRow[] Board =
    [
        new(new LeaderboardRow(Hostile, "medbullets", 0.75, 4, 100, 8, 1.5), DataOrigin.Bundled, []),
        new(new LeaderboardRow("plain", "medbullets", 0.25, 4, 100, 8, 1.5), DataOrigin.Bundled, []),
        new(new LeaderboardRow("plain", HostileAttribute, 3.5, 2, 50, 4, 0.5), null, []),
    ];

    [Fact]
    public void Hostile_model_and_benchmark_names_are_encoded_on_every_page()
    {
        var views = new[] { new RunView(Hostile, "completed", null, null, null, Hostile, Hostile, 1, 1, 0, null) };
        var models = new[] { new ModelsApi.ModelView(Hostile, "recorded", HostileAttribute, null, 1234, null, null) };
        var detail = new RunDetailModel(views[0], [Result(Hostile, Hostile)], [], WithText: true, MaySeeText: true);
        var form = new StartRunFormModel([(HostileAttribute, Hostile)], [Hostile], "__token", HostileAttribute, null, Hostile);
        var audit = new[] { new AuditEvent(1, DateTimeOffset.UnixEpoch, Hostile, Hostile, "{\"by\":\"</code><script>\"}") };

        foreach (var markup in new[]
        {
            DashboardPages.Leaderboard(Board, Hostile), DashboardPages.Heatmap(Board), DashboardPages.Runs(views, mayStart: true), DashboardPages.RunDetail(detail),
            DashboardPages.Models(models), DashboardPages.StartRun(form), DashboardPages.Audit(audit, new AuditChainVerification(1, null, null)),
            DashboardPages.Cluster(Cluster(Hostile, HostileAttribute)),
            new Markup(DashboardLayout.Render(Hostile, "/dashboard", Markup.Empty, new DashboardUser(Hostile, AccessRole.Admin), "n0nce", withScript: false)),
        })
        {
            Assert.DoesNotContain("<script>", markup.Value, StringComparison.Ordinal);
            Assert.DoesNotContain("\" onmouseover", markup.Value, StringComparison.Ordinal);
            Assert.DoesNotContain("</code><script>", markup.Value, StringComparison.Ordinal);
        }

        var leaderboard = DashboardPages.Leaderboard(Board, null).Value;
        Assert.Contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;", leaderboard, StringComparison.Ordinal);
        Assert.Contains("&quot; onmouseover=&quot;alert(1)", leaderboard, StringComparison.Ordinal);
        // a hostile run id is escaped in the link's path as well as encoded in its text
        Assert.Contains("href=\"/dashboard/runs/%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E\"", DashboardPages.Runs(views, false).Value, StringComparison.Ordinal);
    }

    [Fact]
    public void A_viewer_run_page_has_scores_but_no_output_or_jury_explanation_even_when_the_rows_carry_them()
    {
        var run = new RunView("r1", "completed", null, null, null, null, "op", 1, 1, 0, null);
        var jury = new[] { new JuryRatingView("m", "medi_qa", "i1", "judge", "accuracy", 4, "explains " + Canary) };
        var rows = new[] { Result("m", "medi_qa") with { Output = "answer " + Canary } };

        var viewer = DashboardPages.RunDetail(new RunDetailModel(run, rows, jury, WithText: true, MaySeeText: false)).Value;
        Assert.DoesNotContain(Canary, viewer, StringComparison.Ordinal);
        Assert.DoesNotContain("show-outputs", viewer, StringComparison.Ordinal);
        Assert.DoesNotContain("<th>Output</th>", viewer, StringComparison.Ordinal);
        Assert.Contains("0.75", viewer, StringComparison.Ordinal); // the score is there
        Assert.Contains("<td>accuracy</td>", viewer, StringComparison.Ordinal); // and the jury's rating, without its explanation

        var operatorWithout = DashboardPages.RunDetail(new RunDetailModel(run, rows, jury, WithText: false, MaySeeText: true)).Value;
        Assert.DoesNotContain(Canary, operatorWithout, StringComparison.Ordinal);
        Assert.Contains("id=\"show-outputs\" href=\"/dashboard/runs/r1?outputs=true\"", operatorWithout, StringComparison.Ordinal);

        var operatorWith = DashboardPages.RunDetail(new RunDetailModel(run, rows, jury, WithText: true, MaySeeText: true)).Value;
        Assert.Contains("answer " + Canary, operatorWith, StringComparison.Ordinal);
        Assert.Contains("explains " + Canary, operatorWith, StringComparison.Ordinal);
    }

    [Fact]
    public void The_heatmap_shades_each_cell_by_score_and_marks_a_missing_pair()
    {
        var html = DashboardPages.Heatmap(Board).Value;
        Assert.Contains("class=\"cell heat-6\"", html, StringComparison.Ordinal); // 0.75 on a [0, 1] benchmark
        Assert.Contains("class=\"cell heat-2\"", html, StringComparison.Ordinal); // 0.25
        Assert.Contains("class=\"cell heat-8\"", html, StringComparison.Ordinal); // the only score of a 1-5 benchmark
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "heat-none"));
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(html, "<tr><th class=\"model\">").Count);
    }

    [Fact]
    public void Undefined_scores_show_as_undefined_and_a_cell_without_a_defined_instance_is_not_shaded()
    {
        ReportLeaderboardRow[] board =
        [
            new(new LeaderboardRow("m1", "mimiciv_billing_code", 0.5, 3, 30, 3, 0.3) { Undefined = 1 }, null, []),
            new(new LeaderboardRow("m2", "mimiciv_billing_code", double.NaN, 1, 10, 1, 0.1) { Undefined = 1 }, null, []),
        ];

        var leaderboard = DashboardPages.Leaderboard(board, null).Value;
        Assert.Contains("3 (1 undefined)", leaderboard, StringComparison.Ordinal);
        Assert.Contains("<td class=\"n\">undefined</td>", leaderboard, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", leaderboard, StringComparison.Ordinal);

        var heatmap = DashboardPages.Heatmap(board).Value;
        Assert.DoesNotContain("NaN", heatmap, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(heatmap, "<tr><th class=\"model\">"));

        var detail = DashboardPages.RunDetail(new RunDetailModel(
            new RunView("r", "completed", null, null, null, null, null, 1, 1, 0, null), [Result("m1", "b") with { Score = null }], [], WithText: false, MaySeeText: false)).Value;
        Assert.Contains(">undefined</td>", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_layout_links_only_what_the_role_may_open_and_carries_the_nonce_on_its_style_and_script()
    {
        var viewer = DashboardLayout.Render("T", "/dashboard/runs", Markup.Empty, new DashboardUser("v", AccessRole.Viewer), "abc", withScript: true);
        Assert.DoesNotContain("/dashboard/audit", viewer, StringComparison.Ordinal);
        Assert.DoesNotContain("/dashboard/runs/new", viewer, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/dashboard/runs\" aria-current=\"page\">", viewer, StringComparison.Ordinal);
        Assert.Contains("<style nonce=\"abc\">", viewer, StringComparison.Ordinal);
        Assert.Contains("<script nonce=\"abc\">", viewer, StringComparison.Ordinal);
        Assert.DoesNotContain(" style=\"", viewer, StringComparison.Ordinal); // no inline style attribute: the CSP would block it

        var admin = DashboardLayout.Render("T", "/dashboard", Markup.Empty, new DashboardUser("a", AccessRole.Admin), "abc", withScript: false);
        Assert.Contains("/dashboard/audit", admin, StringComparison.Ordinal);
        Assert.Contains("/dashboard/runs/new", admin, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", admin, StringComparison.Ordinal);
        Assert.Equal(
            "default-src 'none'; style-src 'nonce-abc'; script-src 'nonce-abc'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            DashboardLayout.ContentSecurityPolicy("abc"));
    }

    [Theory]
    [InlineData(null, "medbullets", "10", "model")]
    [InlineData("m", "", "10", "benchmark")]
    [InlineData("m", "medbullets", "0", "maxInstances")]
    [InlineData("m", "medbullets", "1e3", "maxInstances")]
    public void A_form_field_that_does_not_parse_is_a_validation_error_naming_it(string? model, string? benchmark, string? max, string field)
    {
        var error = Assert.Throws<Application.Errors.RequestValidationException>(() => DashboardEndpoints.ToRequest(new StartRunForm(model, benchmark, max, "none", null, null)));
        Assert.StartsWith(field + ":", error.Message, StringComparison.Ordinal);
        var jury = Assert.Throws<Application.Errors.RequestValidationException>(() => DashboardEndpoints.ToRequest(new StartRunForm("m", "b", null, "all", null, null)));
        Assert.StartsWith("jury:", jury.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_form_becomes_the_same_run_request_the_api_builds()
    {
        var request = DashboardEndpoints.ToRequest(new StartRunForm("/models/tiny.gguf", "medbullets", "3", "none", "true", " r1 "));
        Assert.Equal(["/models/tiny.gguf"], request.Models);
        Assert.Equal(["medbullets"], request.Benchmarks);
        Assert.Equal(["none"], request.Jury);
        Assert.Equal(3, request.MaxInstances);
        Assert.Equal("r1", request.RunId);
        Assert.True(request.Samples);
        var configured = DashboardEndpoints.ToRequest(new StartRunForm("m", "medbullets", "", "configured", null, null));
        Assert.Empty(configured.Jury);
        Assert.Null(configured.MaxInstances);
        Assert.False(configured.Samples);
    }

    [Fact]
    public void Jury_explanations_are_read_from_the_stored_details_only_when_patient_text_was_asked_for()
    {
        var ratings = new[]
        {
            new Evaluation.Jury.StoredJuryRating(2, "m", "medi_qa", "i2", "judge", "accuracy", 4, "{\"explanation\":\"cites " + Canary + "\",\"attempts\":1}"),
            new Evaluation.Jury.StoredJuryRating(1, "m", "medi_qa", "i1", "judge", Evaluation.Jury.StoredJuryRating.FailureCriterion, null, "{\"failure\":\"no JSON verdict\"}"),
            new Evaluation.Jury.StoredJuryRating(3, "m", "medi_qa", "i3", "judge", "accuracy", 2, "not json"),
        };

        var withText = DashboardEndpoints.Jury(ratings, withText: true);
        Assert.Equal(["i1", "i2", "i3"], withText.Select(j => j.InstanceId));
        Assert.Equal("no JSON verdict", withText[0].Explanation);
        Assert.Equal("cites " + Canary, withText[1].Explanation);
        Assert.Null(withText[2].Explanation);
        Assert.Equal(4, withText[1].Rating);
        Assert.All(DashboardEndpoints.Jury(ratings, withText: false), j => Assert.Null(j.Explanation));
    }

    private static RunResultRow Result(string model, string benchmark) =>
        new(model, benchmark, "i1", "key", "computed", "exact_match", 0.75, new string('a', 64), 10, 2, 12.5, null);

    [Fact]
    public void The_cluster_page_shows_each_server_its_devices_models_shards_and_tokens_and_each_sharded_run()
    {
        var page = DashboardPages.Cluster(Cluster("llama", "medbullets")).Value;
        Assert.Contains("<b id=\"cluster-id\">hospital</b>: 2 active server(s)", page, StringComparison.Ordinal);
        Assert.Contains("<tr data-silo=\"10.0.0.5:11111@1\">", page, StringComparison.Ordinal);
        Assert.Contains("H100 (GPU) 40.0 / 80.0 GiB", page, StringComparison.Ordinal);
        Assert.Contains("<td class=\"n shards\">1 / 4</td><td class=\"n tokens\">512.5</td>", page, StringComparison.Ordinal);
        Assert.Contains("<td class=\"n\">3</td><td class=\"n\">1</td><td class=\"n\">1</td><td class=\"n\">1</td>", page, StringComparison.Ordinal); // shards, done, in flight, pending
        Assert.Contains("no silo has 90000 MiB of accelerator memory free for r1-70b", page, StringComparison.Ordinal);
        Assert.Contains("<td class=\"n\">50-99</td>", page, StringComparison.Ordinal);
        Assert.Contains("href=\"/dashboard/runs/r1\"", page, StringComparison.Ordinal);

        var alone = DashboardPages.Cluster(new ClusterApi.ClusterStatusView(false, null, [], [])).Value;
        Assert.Contains("id=\"cluster-alone\"", alone, StringComparison.Ordinal);
        var idle = DashboardPages.Cluster(new ClusterApi.ClusterStatusView(true, "hospital", [], [])).Value;
        Assert.Contains("id=\"silos-empty\"", idle, StringComparison.Ordinal);
        Assert.Contains("id=\"sharded-runs-empty\"", idle, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"shards\"", idle, StringComparison.Ordinal);
    }

    private static ClusterApi.ClusterStatusView Cluster(string model, string benchmark) => new(
        true,
        "hospital",
        [
            new ClusterApi.SiloView("10.0.0.5:11111@1", "gpu-a", [new ClusterApi.DeviceView("H100", "GPU", 40L << 30, 80L << 30)], [model], 1, 4, 512.5, DateTimeOffset.UnixEpoch),
            new ClusterApi.SiloView("10.0.0.6:11111@1", "gpu-b", [new ClusterApi.DeviceView("H100", "GPU", 80L << 30, 80L << 30)], [], 0, 4, 0, DateTimeOffset.UnixEpoch),
        ],
        [
            new ClusterApi.RunShardsView("r1", 3, 1, 1,
                [new ClusterApi.ShardInFlightView($"{model}/{benchmark}/50-99", model, benchmark, 50, 50, "10.0.0.5:11111@1", DateTimeOffset.UnixEpoch)],
                ["no silo has 90000 MiB of accelerator memory free for r1-70b"]),
        ]);
}
