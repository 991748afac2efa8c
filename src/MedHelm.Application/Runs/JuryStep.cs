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

        var work = await CandidatesAsync(store, runId, run, cancellationToken).ConfigureAwait(false);
        for (var j = 0; j < run.Plan.Jury.Count; j++)
        {
            await RateAsync(store, runId, run, j, work.Select(w => (w, 0, w.Items.Count)).ToArray(), observer, chatTemplateTime, cancellationToken).ConfigureAwait(false);
        }

        await ScoreAsync(store, runId, run, work, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The jury's work as a cluster shards it: per judge and juried benchmark, how many stored outputs it rates (in the
    /// order <see cref="RateRangeAsync"/> counts them) and the memory its model needs (the GGUF file's size; 0 hosted).
    /// Empty without a jury.
    /// </summary>
    public async Task<IReadOnlyList<JuryWork>> WorkAsync(IResultsDatabase store, string runId, PlannedRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(run);
        if (run.Juried.Count == 0 || run.Plan.Jury.Count == 0)
        {
            return [];
        }

        var work = await CandidatesAsync(store, runId, run, cancellationToken).ConfigureAwait(false);
        return Enumerable.Range(0, run.Plan.Jury.Count)
            .SelectMany(j => work.Select(w => new JuryWork(run.JudgeNames[j], w.Benchmark.Definition.Name, w.Items.Count, JudgeBytes(run.Plan.Jury[j]))))
            .Where(w => w.Outputs > 0)
            .ToArray();
    }

    /// <summary>
    /// One judge rates the stored outputs <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> − 1
    /// of one benchmark (a cluster's jury shard) that it has not rated yet; returns how many it rated. The scores are
    /// combined afterwards by <see cref="ScoreAsync"/> on the run's server.
    /// </summary>
    /// <exception cref="Errors.NotFoundException">The run has no such judge or juried benchmark.</exception>
    public async Task<int> RateRangeAsync(
        IResultsDatabase store, string runId, PlannedRun run, string judge, string benchmark, int first, int count, DateTimeOffset? chatTemplateTime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(run);
        var j = run.JudgeNames.ToList().IndexOf(judge);
        var juried = run.Juried.FirstOrDefault(b => b.Definition.Name == benchmark);
        if (j < 0 || j >= run.Plan.Jury.Count || juried is null)
        {
            throw new Errors.NotFoundException($"Run '{runId}' has no judge '{judge}' rating '{benchmark}'.");
        }

        var work = await CandidatesAsync(store, runId, run, cancellationToken, juried).ConfigureAwait(false);
        var item = work[0];
        var from = Math.Clamp(first, 0, item.Items.Count);
        return await RateAsync(store, runId, run, j, [(item, from, Math.Clamp(count, 0, item.Items.Count - from))], NullRunObserver.Instance, chatTemplateTime, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Combines the stored outcomes of the plan's judges into each juried instance's score (as LlmJury's JuryResult does) and audits the summary.</summary>
    public async Task ScoreAsync(IResultsDatabase store, string runId, PlannedRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(run);
        if (run.Juried.Count > 0 && run.Plan.Jury.Count > 0)
        {
            await ScoreAsync(store, runId, run, await CandidatesAsync(store, runId, run, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The juried benchmarks' stored outputs (candidates) with what a judge is given for each.</summary>
    private static async Task<IReadOnlyList<JuryBenchmarkWork>> CandidatesAsync(
        IResultsDatabase store, string runId, PlannedRun run, CancellationToken cancellationToken, PlannedBenchmark? only = null)
    {
        var work = new List<JuryBenchmarkWork>();
        foreach (var benchmark in only is null ? run.Juried : [only])
        {
            var rubric = JuryRubric.For(benchmark.Definition);
            var instances = benchmark.Instances.GroupBy(i => i.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var candidates = await store.GetJuryCandidatesAsync(runId, benchmark.Definition.Name, cancellationToken).ConfigureAwait(false);
            var items = candidates.Select(c => new JuryItem(
                c.RequestId.ToString(CultureInfo.InvariantCulture),
                instances.TryGetValue(c.InstanceId, out var instance) ? JurySource(benchmark.Definition, instance) : "",
                c.Output,
                rubric.UsesGold && !string.IsNullOrWhiteSpace(c.Gold) ? c.Gold : null)).ToArray();
            work.Add(new JuryBenchmarkWork(benchmark, rubric, candidates, items));
        }

        return work;
    }

    /// <summary>Judge <paramref name="j"/> rates, in each given range, the outputs it has not rated in this run; returns how many.</summary>
    private async Task<int> RateAsync(
        IResultsDatabase store, string runId, PlannedRun run, int j, IReadOnlyList<(JuryBenchmarkWork Work, int First, int Count)> ranges, IRunObserver observer,
        DateTimeOffset? chatTemplateTime, CancellationToken cancellationToken)
    {
        var juryOptions = options.Value;
        var logger = loggers.CreateLogger("MedHelm.Jury");
        var judged = (await store.GetJuryRatingsAsync(runId, cancellationToken).ConfigureAwait(false)).Select(r => (r.RequestId, r.Judge)).ToHashSet();
        var name = run.JudgeNames[j];
        var pending = ranges.Select(r =>
        {
            var w = r.Work;
            var indices = Enumerable.Range(r.First, r.Count)
                .Where(i => !string.IsNullOrWhiteSpace(w.Items[i].Response) && !judged.Contains((w.Candidates[i].RequestId, name))).ToArray();
            return (w.Rubric, w.Benchmark.Definition.Name, w.Benchmark.Definition.Access, Candidates: indices.Select(i => w.Candidates[i]).ToArray(), Items: indices.Select(i => w.Items[i]).ToArray());
        }).Where(p => p.Items.Length > 0).ToArray();
        if (pending.Length == 0)
        {
            observer.Notice($"jury: {name}: nothing to rate (ratings of this run reused)");
            return 0;
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

        return pending.Sum(p => p.Items.Length);
    }

    private static async Task ScoreAsync(IResultsDatabase store, string runId, PlannedRun run, IReadOnlyList<JuryBenchmarkWork> work, CancellationToken cancellationToken)
    {
        var judgeNames = run.JudgeNames;
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

    /// <summary>The memory a judge's model needs: its GGUF file's size, 0 for a hosted endpoint (or a file not found here).</summary>
    private long JudgeBytes(string argument)
    {
        if (resolver.IsEndpoint(argument))
        {
            return 0;
        }

        var path = resolver.Resolve(argument, planner.FileModelDefaults.Sequences, planner.FileModelDefaults.ContextPerSequence).Path;
        return File.Exists(path) ? new FileInfo(path).Length : 0;
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

/// <summary>A juried benchmark's stored outputs and what the judges are given for each.</summary>
internal sealed record JuryBenchmarkWork(PlannedBenchmark Benchmark, JuryRubric Rubric, IReadOnlyList<JuryCandidate> Candidates, IReadOnlyList<JuryItem> Items);

/// <summary>One judge's work on one juried benchmark, as a cluster cuts it into shards.</summary>
/// <param name="Judge">The judge's name in the run.</param>
/// <param name="Benchmark">The benchmark.</param>
/// <param name="Outputs">The stored outputs it rates (candidates), in the order ranges count them.</param>
/// <param name="MemoryBytes">The memory its model needs (GGUF size; 0 hosted).</param>
public sealed record JuryWork(string Judge, string Benchmark, int Outputs, long MemoryBytes);
