using MedHelm.Evaluation.Jury;
using Microsoft.Extensions.AI;

namespace MedHelm.Evaluation.Tests.Jury;

public sealed class JuryTests
{
    private static string Verdict(int accuracy, int completeness, int clarity) =>
        $"{{\"accuracy\": {{\"score\": {accuracy}, \"explanation\": \"a\"}}, \"completeness\": {{\"score\": {completeness}, \"explanation\": \"b\"}}, " +
        $"\"clarity\": {{\"score\": {clarity}, \"explanation\": \"c\"}}}}";

    private static readonly JuryItem s_item = new("i1", "Doctor: hello. Patient: cough.", "HPI: cough.", "HPI: cough for a week.");

    [Fact]
    public async Task A_local_judge_is_sent_the_verdict_grammar_and_a_token_limit_that_fits_it()
    {
        var client = ScriptedChatClient.Constant(Verdict(4, 4, 4));
        var jury = new LlmJury([JudgeClient.Local("local", client)], JuryRubric.For("aci_bench"));

        var result = await jury.RateAsync(s_item);

        var (messages, options) = Assert.Single(client.Calls);
        Assert.Equal(jury.Schema.Grammar, options!.AdditionalProperties![JudgeClient.GrammarProperty]);
        Assert.Equal(jury.Schema.MaxOutputTokens, options.MaxOutputTokens);
        Assert.Equal(0f, options.Temperature);
        Assert.Null(options.ResponseFormat);
        Assert.Equal(ChatRole.User, Assert.Single(messages).Role);
        Assert.Equal(1, result.JudgesCounted);
        Assert.Equal(0.75, result.NormalizedScore, 12);
    }

    [Fact]
    public async Task A_local_judge_with_the_runs_template_time_sends_it_beside_the_grammar()
    {
        var client = ScriptedChatClient.Constant(Verdict(4, 4, 4));
        var time = new DateTimeOffset(2026, 3, 7, 10, 0, 0, TimeSpan.Zero);
        var jury = new LlmJury([JudgeClient.Local("local", client, new JudgeClientOptions { ChatTemplateTime = time })], JuryRubric.For("aci_bench"));

        await jury.RateAsync(s_item);

        var (_, options) = Assert.Single(client.Calls);
        Assert.Equal(time, options!.AdditionalProperties![Core.Inference.ChatRequestProperties.ChatTemplateTime]);
        Assert.Equal(jury.Schema.Grammar, options.AdditionalProperties[JudgeClient.GrammarProperty]);
    }

    [Fact]
    public async Task A_hosted_judge_with_structured_output_gets_the_json_schema_as_response_format()
    {
        var client = ScriptedChatClient.Constant(Verdict(5, 5, 5));
        var jury = new LlmJury([JudgeClient.Hosted("hosted", client, supportsJsonSchema: true)], JuryRubric.For("medi_qa"));

        await jury.RateAsync(s_item);

        var (_, options) = Assert.Single(client.Calls);
        var format = Assert.IsType<ChatResponseFormatJson>(options!.ResponseFormat);
        Assert.Equal("jury_verdict", format.SchemaName);
        Assert.Equal(jury.Schema.JsonSchemaText, format.Schema!.Value.GetRawText());
        Assert.Null(options.AdditionalProperties);
    }

    [Fact]
    public async Task Malformed_json_from_a_hosted_judge_is_counted_retried_once_recorded_failed_and_the_score_says_how_many_judges()
    {
        var bad = ScriptedChatClient.Constant("{\"accuracy\": {\"score\": 4, \"explanation\": \"fine\"}, \"completeness\": {\"score\": ");
        var judges = new[]
        {
            JudgeClient.Local("judge-a", ScriptedChatClient.Constant(Verdict(5, 4, 3))),
            JudgeClient.Hosted("judge-b", bad, supportsJsonSchema: false),
            JudgeClient.Local("judge-c", ScriptedChatClient.Constant(Verdict(3, 2, 1))),
        };
        var jury = new LlmJury(judges, JuryRubric.For("aci_bench"));

        var result = await jury.RateAsync(s_item);

        Assert.Equal(2, bad.Calls.Count);
        var retry = bad.Calls.Last().Messages;
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.User], retry.Select(m => m.Role));
        Assert.Contains("unterminated JSON object", retry[2].Text, StringComparison.Ordinal);
        var failed = result.Of("judge-b")!;
        Assert.False(failed.Succeeded);
        Assert.Equal(2, failed.Attempts.Count);
        Assert.Equal(2, failed.FailedAttempts);
        Assert.Contains("unterminated", failed.Failure, StringComparison.Ordinal);
        Assert.NotNull(failed.Answer);
        Assert.Equal(2, result.JudgesCounted);
        Assert.Equal(1, result.JudgesFailed);
        Assert.Equal(JuryScoreBasis.Verdicts, result.Basis);
        Assert.Equal(3.0, result.Score, 12);
        Assert.Equal(0.5, result.NormalizedScore, 12);

        var report = JuryReport.Build("aci_bench", jury.Schema.Criteria, judges.Select(j => j.Name).ToArray(), [result]);
        var b = report.Judges.Single(j => j.Judge == "judge-b");
        Assert.Equal((0, 1, 2), (b.Verdicts, b.Failures, b.FailedAttempts));
        Assert.Equal(1, report.JudgeFailures);
        Assert.Contains("judge-b", report.Format(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retry_that_parses_counts_the_failed_first_attempt_and_keeps_the_verdict()
    {
        var calls = 0;
        var client = new ScriptedChatClient((_, _) => Task.FromResult(ScriptedChatClient.Response(
            Interlocked.Increment(ref calls) == 1 ? "Sure! Scores: accuracy 4" : "```json\n" + Verdict(4, 4, 2) + "\n```", 100, 50)));
        var jury = new LlmJury([JudgeClient.Hosted("h", client, supportsJsonSchema: false)], JuryRubric.For("medi_qa"));

        var result = await jury.RateAsync(s_item);

        var outcome = result.Of("h")!;
        Assert.True(outcome.Succeeded);
        Assert.Equal(2, outcome.Attempts.Count);
        Assert.Equal(1, outcome.FailedAttempts);
        Assert.Equal(100, outcome.Attempts[1].InputTokens);
        Assert.Equal(2, outcome.Verdict!.Ratings["clarity"].Score);
    }

    [Fact]
    public async Task A_local_judge_is_not_retried_and_a_throwing_judge_is_recorded_not_fatal()
    {
        var local = ScriptedChatClient.Constant("not json");
        var throwing = new ScriptedChatClient((_, _) => throw new HttpRequestException("secret prompt text"));
        var jury = new LlmJury([JudgeClient.Local("l", local), JudgeClient.Hosted("t", throwing, true)], JuryRubric.Default);

        var result = await jury.RateAsync(s_item);

        Assert.Single(local.Calls);
        Assert.Equal(2, throwing.Calls.Count);
        Assert.Equal("the judge call failed (HttpRequestException)", result.Of("t")!.Failure);
        Assert.Equal(JuryScoreBasis.NoVerdict, result.Basis);
        Assert.Equal(0, result.JudgesCounted);
        Assert.Equal(1.0, result.Score);
        Assert.Equal(0.0, result.NormalizedScore);
    }

    [Fact]
    public async Task An_empty_output_asks_no_judge_and_scores_the_floor()
    {
        var client = ScriptedChatClient.Constant(Verdict(5, 5, 5));
        var jury = new LlmJury([JudgeClient.Local("l", client)], JuryRubric.Default);

        var result = await jury.RateAsync(s_item with { Response = "  \n" });

        Assert.Empty(client.Calls);
        Assert.Equal(JuryScoreBasis.EmptyResponse, result.Basis);
        Assert.Equal(0, result.JudgesCounted);
        Assert.Equal(0.0, result.NormalizedScore);
    }

    [Fact]
    public async Task Rating_many_outputs_shares_the_rubric_prefix_and_keeps_item_order()
    {
        var judgeA = ScriptedChatClient.ByPrompt(("case-0", Verdict(1, 1, 1)), ("case-1", Verdict(2, 2, 2)), ("case-2", Verdict(3, 3, 3)), ("case-3", Verdict(4, 4, 4)), ("case-4", Verdict(5, 5, 5)));
        var judgeB = ScriptedChatClient.ByPrompt(("case-0", Verdict(2, 1, 1)), ("case-1", Verdict(2, 3, 2)), ("case-2", Verdict(3, 4, 3)), ("case-3", Verdict(5, 4, 4)), ("case-4", Verdict(5, 5, 4)));
        var jury = new LlmJury([JudgeClient.Local("a", judgeA), JudgeClient.Local("b", judgeB)], JuryRubric.For("mtsamples_replicate"));
        var items = Enumerable.Range(0, 6).Select(i => new JuryItem($"id{i}", $"case-{i} source", i == 5 ? "" : $"case-{i} plan", $"gold {i}")).ToArray();

        var results = await jury.RateAllAsync(items, new JuryRunOptions { MaxConcurrencyPerJudge = 3, JudgesTogether = false });

        Assert.Equal(items.Select(i => i.InstanceId), results.Select(r => r.InstanceId));
        Assert.Equal(5, judgeA.Calls.Count);
        Assert.True(judgeA.PeakConcurrency <= 3);
        var texts = judgeA.Calls.Concat(judgeB.Calls).Select(c => c.Messages.Single().Text).ToArray();
        Assert.All(texts, t => Assert.StartsWith(jury.Prompts.RubricText, t, StringComparison.Ordinal));
        Assert.Equal(1.0, results[0].Of("a")!.Verdict!.MeanScore);
        Assert.Equal(JuryScoreBasis.EmptyResponse, results[5].Basis);

        var report = JuryReport.Build("mtsamples_replicate", jury.Schema.Criteria, ["a", "b"], results);
        Assert.Equal(6, report.Instances);
        Assert.Equal(1, report.InstancesByBasis[JuryScoreBasis.EmptyResponse]);
        Assert.Equal(3.0, report.Judges[0].MeanScore, 12);
        Assert.Equal(3.0, report.Judges[0].CriterionMeans["clarity"], 12);
        Assert.Equal(3.4, report.Judges[1].CriterionMeans["accuracy"], 12);
        var pair = Assert.Single(report.Pairs);
        Assert.Equal(5, pair.Instances);
        Assert.Equal(1.0, pair.Spearman, 12);
        Assert.InRange(pair.Icc21, 0.8, 1.0);
    }

    [Fact]
    public void Judges_need_unique_names()
    {
        var c = ScriptedChatClient.Constant("x");
        Assert.Throws<ArgumentException>(() => new LlmJury([JudgeClient.Local("x", c), JudgeClient.Local("x", c)], JuryRubric.Default));
        Assert.Throws<ArgumentException>(() => new LlmJury([], JuryRubric.Default));
        Assert.True(JudgeClient.Local("x", c).SupportsGrammar);
        Assert.Equal(1, JudgeClient.Local("x", c).MaxAttempts);
        Assert.Equal(2, JudgeClient.Hosted("x", c, false).MaxAttempts);
    }
}
