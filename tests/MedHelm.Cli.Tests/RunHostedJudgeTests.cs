using System.Text.Json;
using MedHelm.Cli.Tests.Support;
using MedHelm.Gguf.TestModels;

namespace MedHelm.Cli.Tests;

/// <summary>
/// Hosted judges in a run: a judge behind an OpenAI-compatible endpoint (a local fake here) that answers with
/// malformed JSON is retried once per instance, each failure is stored and reported, and every score says how many
/// judges it rests on. A hosted judge that may not see a benchmark's data stops the run before any work.
/// </summary>
public sealed class RunHostedJudgeTests
{
    private static TempHome Home(FakeChatEndpoint endpoint, bool allowPatientData = false)
    {
        var home = new TempHome(new
        {
            Models = new Dictionary<string, object>
            {
                ["tiny"] = new { File = "tiny.gguf", Sequences = 2, ContextPerSequence = 4096 },
                ["local-judge"] = new { File = "judge.gguf", Sequences = 2, ContextPerSequence = 8192 },
            },
            Endpoints = new
            {
                Enabled = true,
                Items = new Dictionary<string, object>
                {
                    ["cloud"] = new { BaseUrl = endpoint.BaseUrl, Model = "judge", MaxRetries = 0, TimeoutSeconds = 30, StructuredOutput = false, AllowPatientData = allowPatientData },
                },
            },
            Jury = new { MaxRetries = 1 },
        });
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = 5 }, home.PathOf("tiny.gguf"));
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = 101 }, home.PathOf("judge.gguf"));
        return home;
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_hosted_judge_answering_malformed_json_is_retried_once_recorded_failed_and_scores_rest_on_the_other_judge()
    {
        using var endpoint = new FakeChatEndpoint(_ => "{\"accuracy\": {\"score\": 4, \"explanation\": \"fine\"");
        using var home = Home(endpoint);

        var result = await CliProcess.RunAsync(
            ["run", "--samples", "--benchmarks", "medication_qa", "--models", "tiny", "--jury", "local-judge,cloud", "--max-instances", "3", "--run-id", "hosted"], home.Folder);

        Assert.True(result.ExitCode == 0, result.ToString());
        var db = home.PathOf("data", "medhelm.db");
        var rated = await RunJuryTests.ScalarAsync(db,
            "SELECT COUNT(*) FROM run_completions l JOIN completions c ON c.request_id = l.request_id WHERE l.run_id = 'hosted' AND trim(c.output, ' ' || char(9) || char(10) || char(13)) <> ''");
        Assert.True(rated > 0, "the generated model wrote no non-empty output to judge");
        Assert.Equal(2 * rated, endpoint.Requests); // one try and one corrective retry per output
        Assert.Equal(rated, await RunJuryTests.ScalarAsync(db,
            "SELECT COUNT(*) FROM jury_ratings WHERE run_id = 'hosted' AND judge = 'cloud' AND criterion = '(failure)' AND rating IS NULL AND json_extract(verdict_json, '$.attempts') = 2"));
        Assert.Equal(rated * 3, await RunJuryTests.ScalarAsync(db,
            "SELECT COUNT(*) FROM jury_ratings WHERE run_id = 'hosted' AND judge = 'local-judge' AND rating BETWEEN 1 AND 5"));
        Assert.Contains($"jury: cloud × medication_qa: 0 verdict(s) (0 after a retry), {rated} failure(s)", result.StdErr, StringComparison.Ordinal);
        Assert.Contains($"judges behind each score: 1 judge(s) for {rated} instance(s)", result.StdOut, StringComparison.Ordinal);

        // every output has the jury's main score and, against its reference answer, ROUGE-1/2/L as secondary scores only
        Assert.Equal(3L, await RunJuryTests.ScalarAsync(db, "SELECT COUNT(*) FROM scores WHERE run_id = 'hosted' AND metric = 'medication_qa_accuracy' AND is_main = 1"));
        Assert.Equal(3L, await RunJuryTests.ScalarAsync(db, "SELECT COUNT(*) FROM scores WHERE run_id = 'hosted' AND is_main = 1"));
        Assert.Equal(9L, await RunJuryTests.ScalarAsync(db,
            "SELECT COUNT(*) FROM scores WHERE run_id = 'hosted' AND metric IN ('rouge_1', 'rouge_2', 'rouge_l') AND is_main = 0 AND value BETWEEN 0 AND 1"));

        var show = await CliProcess.RunAsync(["runs", "show", "hosted", "--json"], home.Folder);
        Assert.True(show.ExitCode == 0, show.ToString());
        using var document = JsonDocument.Parse(show.StdOut);
        var leaderboard = Assert.Single(document.RootElement.GetProperty("leaderboard").EnumerateArray());
        Assert.Equal(3, leaderboard.GetProperty("instances").GetInt32());
        var instances = document.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(3, instances.Length);
        Assert.All(instances, r =>
        {
            Assert.Equal("medication_qa_accuracy", r.GetProperty("metric").GetString());
            Assert.Equal(["rouge_1", "rouge_2", "rouge_l"], r.GetProperty("secondary").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        });
        Assert.Equal(instances.Average(r => r.GetProperty("score").GetDouble()), leaderboard.GetProperty("score").GetDouble(), 9);
        var means = document.RootElement.GetProperty("secondary_means").EnumerateArray().ToArray();
        Assert.Equal(["rouge_1", "rouge_2", "rouge_l"], means.Select(m => m.GetProperty("metric").GetString()));
        Assert.All(means, m =>
        {
            Assert.Equal(("medication_qa", 3), (m.GetProperty("benchmark").GetString(), m.GetProperty("instances").GetInt32()));
            var metric = m.GetProperty("metric").GetString()!;
            Assert.Equal(instances.Average(r => r.GetProperty("secondary").GetProperty(metric).GetDouble()), m.GetProperty("mean").GetDouble(), 9);
        });
        var text = await CliProcess.RunAsync(["runs", "show", "hosted"], home.Folder);
        Assert.Contains("Secondary statistics: means over the scored instances, not on the leaderboard", text.StdOut, StringComparison.Ordinal);
        Assert.Matches(@"medication_qa +rouge_l +\d\.\d{3} +3", text.StdOut);
        var report = Assert.Single(document.RootElement.GetProperty("jury_reports").EnumerateArray());
        Assert.Equal((int)rated, report.GetProperty("instances_by_judges_counted").GetProperty("1").GetInt32());
        var cloud = Assert.Single(report.GetProperty("judges").EnumerateArray(), j => j.GetProperty("judge").GetString() == "cloud");
        Assert.Equal((int)rated, cloud.GetProperty("failures").GetInt32());
        Assert.Equal(2 * (int)rated, cloud.GetProperty("failed_attempts").GetInt32());
        Assert.Equal(0, cloud.GetProperty("verdicts").GetInt32());
    }

    [Fact]
    public async Task A_hosted_judge_without_patient_data_permission_stops_a_run_on_gated_data_before_any_work()
    {
        using var endpoint = new FakeChatEndpoint(_ => "{}");
        using var home = Home(endpoint, allowPatientData: false);

        var result = await CliProcess.RunAsync(
            ["run", "--samples", "--benchmarks", "mimic_rrs", "--models", "tiny", "--jury", "local-judge,cloud", "--max-instances", "2", "--run-id", "refused"], home.Folder);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("AllowPatientData", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(0, endpoint.Requests);
        var db = home.PathOf("data", "medhelm.db");
        Assert.Equal(0L, await RunJuryTests.ScalarAsync(db, "SELECT COUNT(*) FROM run_completions WHERE run_id = 'refused'"));
    }
}
