using MedHelm.Application.Tests.Support;
using MedHelm.Evaluation.Jury;
using MedHelm.Gguf.TestModels;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;

namespace MedHelm.Application.Tests.Runs;

/// <summary>
/// The jury with real local judges, in-process: three generated random-weight llama models, each behind its own
/// batched engine, decoding under the verdict grammar. Random weights produce nonsense explanations, but the grammar
/// must still make every verdict parse with scores 1-5.
/// </summary>
public sealed class LocalJudgesTests : IDisposable
{
    private readonly TempFolder _folder = new("medhelm-jury-tests-");

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task Three_generated_judges_rate_every_output_with_no_parse_failure()
    {
        TestLlamaRuntime.Initialize();
        var clients = new List<LlamaChatClient>();
        try
        {
            foreach (var seed in new[] { 101, 202, 303 })
            {
                var path = _folder.File($"judge-{seed}.gguf");
                TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64, Seed = seed }, path);
                clients.Add(new LlamaChatClient(LlamaModel.Load(path), new LlamaChatClientOptions
                {
                    ModelName = $"judge-{seed}",
                    Engine = new LlamaEngineOptions { Context = new LlamaContextSettings { Sequences = 3, ContextPerSequence = 2048, Threads = 1 } },
                }, ownsModel: true));
            }

            var judges = clients.Select(c => JudgeClient.Local(c.Metadata.DefaultModelId!, c)).ToArray();
            var rubric = JuryRubric.For("aci_bench");
            var jury = new LlmJury(judges, rubric, VerdictSchema.For(rubric, maxExplanationChars: 60));
            var items = Enumerable.Range(1, 5).Select(i => new JuryItem(
                $"inst-{i}",
                $"Doctor: What brings you in today? Patient: I have had a cough and fever for {i} days.",
                $"HPI: cough and fever for {i} days. Plan: chest x-ray.",
                $"HISTORY OF PRESENT ILLNESS: {i} days of productive cough and fever. PLAN: chest radiograph.")).ToArray();

            // judge-major order, as when the judge models do not fit in memory together (and one engine per core here)
            var results = await jury.RateAllAsync(items, new JuryRunOptions { MaxConcurrencyPerJudge = 3, JudgesTogether = false });

            Assert.Equal(5, results.Count);
            foreach (var result in results)
            {
                Assert.Equal(JuryScoreBasis.Verdicts, result.Basis);
                Assert.Equal(3, result.JudgesCounted);
                foreach (var outcome in result.Judges)
                {
                    Assert.True(outcome.Succeeded, $"{outcome.Judge}: {outcome.Failure}");
                    Assert.Single(outcome.Attempts);
                    Assert.Equal(["accuracy", "completeness", "clarity"], outcome.Verdict!.Ratings.Keys);
                    Assert.All(outcome.Verdict.Ratings.Values, r =>
                    {
                        Assert.InRange(r.Score, 1, 5);
                        Assert.InRange(r.Explanation.Length, 1, 60);
                    });
                }

                Assert.InRange(result.NormalizedScore, 0, 1);
            }

            var report = JuryReport.Build(rubric.Benchmark, rubric.CriterionNames, judges.Select(j => j.Name).ToArray(), results);
            Assert.Equal(0, report.JudgeFailures);
            Assert.All(report.Judges, j => Assert.Equal(5, j.Verdicts));
            Assert.Equal(3, report.Pairs.Count);
            Assert.Contains("judge-101", report.Format(), StringComparison.Ordinal);

            // the rubric prefix is shared by every judge prompt, so each engine reuses its KV instead of recomputing it
            Assert.All(clients, c => Assert.True(c.Engine.ReusedPromptTokens > 0, $"{c.Metadata.DefaultModelId} reused no prompt tokens"));
        }
        finally
        {
            foreach (var c in clients)
            {
                c.Dispose();
            }
        }
    }

    public void Dispose() => _folder.Dispose();
}
