using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Jury;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MedHelm.Application.Runs;

/// <summary>
/// The jury step of a run: the judges, one after another (one local judge model in memory at a time; a hosted judge is
/// called through its endpoint), rate the stored outputs of the open-ended benchmarks; every rating and failure is stored;
/// then each instance's score, (mean − 1) / 4 over every stored judge × criterion rating, becomes the main score.
/// </summary>
public sealed class JuryStep(
    IModelLoader loader,
    RunPlanner planner,
    ModelResolver resolver,
    IOptions<JuryOptions> options,
    ILoggerFactory loggers)
{
    /// <summary>
    /// Rates what is not rated yet (a judge that already rated a request in this run is not asked again) and stores the
    /// jury scores. Local judges render their chat templates at <paramref name="chatTemplateTime"/> (the run's).
    /// </summary>
    public async Task RunAsync(
        IResultsDatabase store, string runId, PlannedRun run, IRunObserver observer, CancellationToken cancellationToken, DateTimeOffset? chatTemplateTime = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(observer);
        if (run.Juried.Count == 0 || run.Plan.Jury.Count == 0)
        {
            return;
        }

        var juryOptions = options.Value;
        var logger = loggers.CreateLogger("MedHelm.Jury");
        var work = new List<(PlannedBenchmark Benchmark, JuryRubric Rubric, IReadOnlyList<JuryCandidate> Candidates, IReadOnlyList<JuryItem> Items)>();
        foreach (var benchmark in run.Juried)
        {
            var rubric = JuryRubric.For(benchmark.Definition);
            var instances = benchmark.Instances.GroupBy(i => i.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var candidates = await store.GetJuryCandidatesAsync(runId, benchmark.Definition.Name, cancellationToken).ConfigureAwait(false);
            var items = candidates.Select(c => new JuryItem(
                c.RequestId.ToString(CultureInfo.InvariantCulture),
                instances.TryGetValue(c.InstanceId, out var instance) ? JurySource(benchmark.Definition, instance) : "",
                c.Output,
                rubric.UsesGold && !string.IsNullOrWhiteSpace(c.Gold) ? c.Gold : null)).ToArray();
            work.Add((benchmark, rubric, candidates, items));
        }

        var judged = (await store.GetJuryRatingsAsync(runId, cancellationToken).ConfigureAwait(false)).Select(r => (r.RequestId, r.Judge)).ToHashSet();
        var judgeNames = run.JudgeNames;
        for (var j = 0; j < run.Plan.Jury.Count; j++)
        {
            var name = judgeNames[j];
            var pending = work.Select(w =>
            {
                var indices = Enumerable.Range(0, w.Items.Count)
                    .Where(i => !string.IsNullOrWhiteSpace(w.Items[i].Response) && !judged.Contains((w.Candidates[i].RequestId, name))).ToArray();
                return (w.Rubric, w.Benchmark.Definition.Name, w.Benchmark.Definition.Access, Candidates: indices.Select(i => w.Candidates[i]).ToArray(), Items: indices.Select(i => w.Items[i]).ToArray());
            }).Where(p => p.Items.Length > 0).ToArray();
            if (pending.Length == 0)
            {
                observer.Notice($"jury: {name}: nothing to rate (ratings of this run reused)");
                continue;
            }

            observer.Notice($"jury: {name}: rating {pending.Sum(p => p.Items.Length)} output(s)");
            using var judge = await OpenJudgeAsync(run.Plan.Jury[j], name, pending.Max(p => p.Access), juryOptions, chatTemplateTime, cancellationToken).ConfigureAwait(false);
            foreach (var (rubric, benchmarkName, _, candidates, items) in pending)
            {
                var llmJury = new LlmJury([judge.Client], rubric, VerdictSchema.For(rubric, juryOptions.MaxExplanationChars), logger);
                var watch = Stopwatch.StartNew();
                var results = await llmJury.RateAllAsync(items, new JuryRunOptions { MaxConcurrencyPerJudge = judge.Concurrency }, cancellationToken).ConfigureAwait(false);
                await store.AppendAuditAsync(
                    runId, UsageAudit.JuryRated, UsageAudit.Detail(name, benchmarkName, items.Length, 0, watch.Elapsed, !resolver.IsEndpoint(run.Plan.Jury[j])), cancellationToken)
                    .ConfigureAwait(false);
                var outcomes = Enumerable.Range(0, results.Count).Where(i => results[i].Judges.Count > 0)
                    .Select(i => (candidates[i].RequestId, results[i].Judges[0])).ToArray();
                await store.SaveJudgeOutcomesAsync(runId, outcomes, cancellationToken).ConfigureAwait(false);
                var failures = outcomes.Count(o => !o.Item2.Succeeded);
                var retried = outcomes.Count(o => o.Item2.Succeeded && o.Item2.FailedAttempts > 0);
                observer.Notice($"jury: {name} × {rubric.Benchmark}: {outcomes.Length - failures} verdict(s) ({retried} after a retry), {failures} failure(s)");
            }
        }

        // Combine: the stored outcomes of this plan's judges, scored as LlmJury's JuryResult does.
        var ratings = await store.GetJuryRatingsAsync(runId, cancellationToken).ConfigureAwait(false);
        var summary = new JsonArray();
        foreach (var (benchmark, _, candidates, _) in work)
        {
            var results = StoredJury.ToResults(candidates, ratings, judgeNames);
            var scores = candidates.Select((c, i) => (c.RequestId, results[i].NormalizedScore)).ToArray();
            await store.SaveJuryScoresAsync(runId, benchmark.Definition.MainMetric, scores, cancellationToken).ConfigureAwait(false);
            summary.Add(new JsonObject
            {
                ["benchmark"] = benchmark.Definition.Name,
                ["instances"] = candidates.Count,
                ["judges"] = new JsonArray(judgeNames.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
                ["judge_failures"] = results.Sum(r => r.JudgesFailed),
                ["no_verdict"] = results.Count(r => r.Basis == JuryScoreBasis.NoVerdict),
                ["empty_output"] = results.Count(r => r.Basis == JuryScoreBasis.EmptyResponse),
            });
        }

        await store.AppendAuditAsync(runId, "jury_scored", summary.ToJsonString(), cancellationToken).ConfigureAwait(false);
    }

    private async Task<ModelLease<JudgeClient>> OpenJudgeAsync(
        string argument, string name, AccessTier tier, JuryOptions jury, DateTimeOffset? chatTemplateTime, CancellationToken cancellationToken)
    {
        var chat = await loader.LeaseChatAsync(argument, name, tier, planner.FileModelDefaults, cancellationToken).ConfigureAwait(false);
        try
        {
            var judge = resolver.IsEndpoint(argument)
                ? JudgeClient.Hosted(
                    name, chat.Client, resolver.Endpoints.Items[argument].StructuredOutput,
                    new JudgeClientOptions { MaxRetries = jury.MaxRetries, MaxOutputTokens = jury.MaxOutputTokens })
                : JudgeClient.Local(name, chat.Client, new JudgeClientOptions { ChatTemplateTime = chatTemplateTime });
            return new ModelLease<JudgeClient>(judge, chat.Concurrency, chat);
        }
        catch
        {
            chat.Dispose();
            throw;
        }
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
