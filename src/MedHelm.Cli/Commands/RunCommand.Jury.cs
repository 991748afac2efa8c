using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedHelm.Cli.Hosting;
using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Jury;
using MedHelm.Evaluation.Running;
using MedHelm.Gguf;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Models;
using MedHelm.Storage;

namespace MedHelm.Cli.Commands;

/// <summary>The jury step of a run: judges loaded one after another rate the stored open-ended outputs.</summary>
internal static partial class RunCommand
{
    /// <summary>
    /// Rates the stored outputs of the open-ended benchmarks with each judge of the plan, loading one judge model at a
    /// time (judge-major order), and stores every rating and failure in <c>jury_ratings</c>. A judge that already rated
    /// a request in this run is not asked again. Then each instance's score, (mean − 1) / 4 over every stored judge ×
    /// criterion rating (1 when there is none), is stored as the benchmark's main metric.
    /// </summary>
    private static async Task RunJuryAsync(
        CliHost host, SqliteResultStore store, string runId, RunPlan plan, IReadOnlyList<PlannedBenchmark> benchmarks, DemoOptions demo, int threads,
        CancellationToken cancellationToken)
    {
        if (benchmarks.Count == 0 || plan.Jury.Count == 0)
        {
            return;
        }

        var logger = host.Logger("MedHelm.Jury");
        var work = new List<(PlannedBenchmark Benchmark, JuryRubric Rubric, IReadOnlyList<JuryCandidate> Candidates, IReadOnlyList<JuryItem> Items)>();
        foreach (var benchmark in benchmarks)
        {
            var rubric = JuryRubric.For(benchmark.Definition);
            var instances = benchmark.Instances.GroupBy(i => i.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var candidates = await store.GetJuryCandidatesAsync(runId, benchmark.Definition.Name, cancellationToken);
            var items = candidates.Select(c => new JuryItem(
                c.RequestId.ToString(CultureInfo.InvariantCulture),
                instances.TryGetValue(c.InstanceId, out var instance) ? JurySource(benchmark.Definition, instance) : "",
                c.Output,
                rubric.UsesGold && !string.IsNullOrWhiteSpace(c.Gold) ? c.Gold : null)).ToArray();
            work.Add((benchmark, rubric, candidates, items));
        }

        var judged = (await store.GetJuryRatingsAsync(runId, cancellationToken)).Select(r => (r.RequestId, r.Judge)).ToHashSet();
        var judgeNames = new List<string>();
        foreach (var argument in plan.Jury)
        {
            var (name, path, settings) = host.ResolveModel(argument, demo.Sequences, demo.ContextPerSequence);
            if (judgeNames.Contains(name, StringComparer.Ordinal))
            {
                throw new ArgumentException($"The judge '{name}' is listed twice in --jury.");
            }

            judgeNames.Add(name);
            var pending = work.Select(w =>
            {
                var indices = Enumerable.Range(0, w.Items.Count)
                    .Where(i => !string.IsNullOrWhiteSpace(w.Items[i].Response) && !judged.Contains((w.Candidates[i].RequestId, name))).ToArray();
                return (w.Rubric, Candidates: indices.Select(i => w.Candidates[i]).ToArray(), Items: indices.Select(i => w.Items[i]).ToArray());
            }).Where(p => p.Items.Length > 0).ToArray();
            if (pending.Length == 0)
            {
                Console.Error.WriteLine($"jury: {name}: nothing to rate (ratings of this run reused)");
                continue;
            }

            Console.Error.WriteLine($"jury: {name}: rating {pending.Sum(p => p.Items.Length)} output(s)");
            using var loaded = LlamaModel.Load(path, settings.ToModelSettings(), host.Logger("MedHelm.Models"));
            using var client = new LlamaChatClient(loaded, new LlamaChatClientOptions { ModelName = name, Engine = settings.ToEngineOptions(threads) }, host.Logger("MedHelm.Generation"));
            var judge = JudgeClient.Local(name, client);
            foreach (var (rubric, candidates, items) in pending)
            {
                var jury = new LlmJury([judge], rubric, VerdictSchema.For(rubric), logger);
                var results = await jury.RateAllAsync(items, new JuryRunOptions { MaxConcurrencyPerJudge = client.Context.Sequences }, cancellationToken);
                var outcomes = Enumerable.Range(0, results.Count).Where(i => results[i].Judges.Count > 0)
                    .Select(i => (candidates[i].RequestId, results[i].Judges[0])).ToArray();
                await store.SaveJudgeOutcomesAsync(runId, outcomes, cancellationToken);
                var failures = outcomes.Count(o => !o.Item2.Succeeded);
                Console.Error.WriteLine($"jury: {name} × {rubric.Benchmark}: {outcomes.Length - failures} verdict(s), {failures} failure(s)");
            }
        }

        // Combine: the stored outcomes of this plan's judges, as LlmJury's JuryResult scores them.
        var ratings = (await store.GetJuryRatingsAsync(runId, cancellationToken))
            .Where(r => judgeNames.Contains(r.Judge, StringComparer.Ordinal))
            .ToLookup(r => r.RequestId);
        var summary = new JsonArray();
        foreach (var (benchmark, _, candidates, _) in work)
        {
            var scores = new List<(long, double)>(candidates.Count);
            foreach (var candidate in candidates)
            {
                var outcomes = ratings[candidate.RequestId].GroupBy(r => r.Judge, StringComparer.Ordinal).Select(g =>
                {
                    var rated = g.Where(r => r.Rating is not null).ToArray();
                    return rated.Length == 0
                        ? new JudgeOutcome(g.Key, null, "no verdict", [], null)
                        : new JudgeOutcome(g.Key, new JudgeVerdict(rated.ToDictionary(r => r.Criterion, r => new CriterionRating((int)r.Rating!.Value, ""), StringComparer.Ordinal)), null, [], null);
                }).ToArray();
                var basis = string.IsNullOrWhiteSpace(candidate.Output) ? JuryScoreBasis.EmptyResponse
                    : outcomes.Any(o => o.Succeeded) ? JuryScoreBasis.Verdicts : JuryScoreBasis.NoVerdict;
                scores.Add((candidate.RequestId, new JuryResult(candidate.InstanceId, outcomes, basis).NormalizedScore));
            }

            await store.SaveJuryScoresAsync(runId, benchmark.Definition.MainMetric, scores, cancellationToken);
            summary.Add(new JsonObject { ["benchmark"] = benchmark.Definition.Name, ["instances"] = candidates.Count, ["judges"] = new JsonArray(judgeNames.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()) });
        }

        await store.AppendAuditAsync(runId, "jury_scored", summary.ToJsonString(), cancellationToken);
    }

    /// <summary>What the model was given for <paramref name="instance"/>, without the adapter's instructions: the judge's source.</summary>
    private static string JurySource(BenchmarkDefinition definition, BenchmarkInstance instance)
    {
        var text = new System.Text.StringBuilder();
        foreach (var field in definition.InputFields)
        {
            if (instance.Fields.TryGetValue(field.Key, out var value) && !string.IsNullOrWhiteSpace(value))
            {
                text.Append(field.Label).Append(": ").Append(value.Trim()).Append('\n');
            }
        }

        if (!string.IsNullOrWhiteSpace(instance.Question))
        {
            text.Append(instance.Question.Trim());
        }

        return text.ToString().Trim();
    }
}
