using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedHelm.Evaluation.Jury;

/// <summary>One model output to be judged.</summary>
/// <param name="InstanceId">The benchmark instance.</param>
/// <param name="Source">The instance input (what the model was given, without adapter instructions).</param>
/// <param name="Response">The model's output.</param>
/// <param name="Gold">The reference answer, or null.</param>
public sealed record JuryItem(string InstanceId, string Source, string Response, string? Gold);

/// <summary>What an instance's jury score rests on.</summary>
public enum JuryScoreBasis
{
    /// <summary>The mean of the verdicts of <see cref="JuryResult.JudgesCounted"/> judges.</summary>
    Verdicts,

    /// <summary>The model's output was empty: no judge was asked (MedHELM), and the score is the floor, 1.</summary>
    EmptyResponse,

    /// <summary>Every judge failed: the score is MedHELM's default 1, flagged so a report can set it apart.</summary>
    NoVerdict,
}

/// <summary>The jury's result for one instance.</summary>
public sealed record JuryResult(string InstanceId, IReadOnlyList<JudgeOutcome> Judges, JuryScoreBasis Basis)
{
    /// <summary>Judges whose verdict the score includes.</summary>
    public int JudgesCounted => Judges.Count(j => j.Succeeded);

    /// <summary>Judges that gave no verdict after every attempt.</summary>
    public int JudgesFailed => Judges.Count(j => !j.Succeeded);

    /// <summary>
    /// The plain mean of every returned judge × criterion score, 1-5 (MedHELM's llm_jury_metrics); 1 when there is
    /// none (empty output or no verdict, as the reference implementation does).
    /// </summary>
    public double Score => JudgesCounted == 0 ? VerdictSchema.MinScore : Judges.Where(j => j.Succeeded).SelectMany(j => j.Verdict!.Ratings.Values).Average(r => r.Score);

    /// <summary><see cref="Score"/> on 0-1: (score − 1) / 4, as MedHELM's leaderboard normalizes it.</summary>
    public double NormalizedScore => (Score - VerdictSchema.MinScore) / (VerdictSchema.MaxScore - VerdictSchema.MinScore);

    /// <summary>The outcome of one judge, or null when it was not asked.</summary>
    public JudgeOutcome? Of(string judge) => Judges.FirstOrDefault(j => string.Equals(j.Judge, judge, StringComparison.Ordinal));
}

/// <summary>How <see cref="LlmJury.RateAllAsync"/> schedules judge calls.</summary>
public sealed record JuryRunOptions
{
    /// <summary>Requests in flight per judge (match the judge engine's slots so they decode in one batch).</summary>
    public int MaxConcurrencyPerJudge { get; init; } = 4;

    /// <summary>
    /// True: all judges work at once. False: one judge rates every instance before the next starts (judge-major
    /// order), for when the judge models do not fit in memory together; the caller loads and releases the models.
    /// </summary>
    public bool JudgesTogether { get; init; } = true;
}

/// <summary>
/// A jury of judges rating free-text outputs of one benchmark on its rubric. Every judge's verdict or failure is
/// kept; nothing is dropped in silence. Logs carry ids, counts and timings only, never prompt or output text.
/// </summary>
public sealed partial class LlmJury
{
    private readonly IReadOnlyList<JudgeClient> _judges;
    private readonly ILogger _logger;

    public LlmJury(IReadOnlyList<JudgeClient> judges, JuryRubric rubric, VerdictSchema? schema = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(judges);
        if (judges.Count == 0)
        {
            throw new ArgumentException("A jury needs at least one judge.", nameof(judges));
        }

        if (judges.Select(j => j.Name).Distinct(StringComparer.Ordinal).Count() != judges.Count)
        {
            throw new ArgumentException("Judge names must be unique.", nameof(judges));
        }

        _judges = judges.ToArray();
        Prompts = new JudgePromptBuilder(rubric, schema);
        _logger = logger ?? NullLogger.Instance;
    }

    public IReadOnlyList<JudgeClient> Judges => _judges;

    public JudgePromptBuilder Prompts { get; }

    public JuryRubric Rubric => Prompts.Rubric;

    public VerdictSchema Schema => Prompts.Schema;

    /// <summary>Rates one output with every judge (in parallel).</summary>
    public async Task<JuryResult> RateAsync(JuryItem item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (string.IsNullOrWhiteSpace(item.Response))
        {
            Log.EmptyResponse(_logger, Rubric.Benchmark, item.InstanceId);
            return new JuryResult(item.InstanceId, [], JuryScoreBasis.EmptyResponse);
        }

        var prompt = Prompts.Build(item.Source, item.Response, item.Gold);
        var outcomes = await Task.WhenAll(_judges.Select(j => RateOneAsync(j, item.InstanceId, prompt, cancellationToken))).ConfigureAwait(false);
        return Combine(item.InstanceId, outcomes);
    }

    /// <summary>Rates many outputs; results are in item order.</summary>
    public async Task<IReadOnlyList<JuryResult>> RateAllAsync(
        IReadOnlyList<JuryItem> items, JuryRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        options ??= new JuryRunOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrencyPerJudge, 1, nameof(options));
        var stopwatch = Stopwatch.StartNew();
        var prompts = items.Select(i => string.IsNullOrWhiteSpace(i.Response) ? null : Prompts.Build(i.Source, i.Response, i.Gold)).ToArray();
        var outcomes = new JudgeOutcome[items.Count, _judges.Count];

        async Task RunJudge(int j)
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, items.Count).Where(i => prompts[i] is not null),
                new ParallelOptions { MaxDegreeOfParallelism = options.MaxConcurrencyPerJudge, CancellationToken = cancellationToken },
                async (i, token) => outcomes[i, j] = await RateOneAsync(_judges[j], items[i].InstanceId, prompts[i]!, token).ConfigureAwait(false))
                .ConfigureAwait(false);
        }

        if (options.JudgesTogether)
        {
            await Task.WhenAll(Enumerable.Range(0, _judges.Count).Select(RunJudge)).ConfigureAwait(false);
        }
        else
        {
            for (var j = 0; j < _judges.Count; j++)
            {
                await RunJudge(j).ConfigureAwait(false);
            }
        }

        var results = new JuryResult[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            if (prompts[i] is null)
            {
                Log.EmptyResponse(_logger, Rubric.Benchmark, items[i].InstanceId);
                results[i] = new JuryResult(items[i].InstanceId, [], JuryScoreBasis.EmptyResponse);
                continue;
            }

            results[i] = Combine(items[i].InstanceId, Enumerable.Range(0, _judges.Count).Select(j => outcomes[i, j]).ToArray());
        }

        Log.Finished(_logger, Rubric.Benchmark, items.Count, _judges.Count, results.Sum(r => r.JudgesFailed), stopwatch.ElapsedMilliseconds);
        return results;
    }

    private JuryResult Combine(string instanceId, IReadOnlyList<JudgeOutcome> outcomes)
    {
        var result = new JuryResult(instanceId, outcomes, outcomes.Any(o => o.Succeeded) ? JuryScoreBasis.Verdicts : JuryScoreBasis.NoVerdict);
        if (result.Basis == JuryScoreBasis.NoVerdict)
        {
            Log.NoVerdict(_logger, Rubric.Benchmark, instanceId, outcomes.Count);
        }

        return result;
    }

    private async Task<JudgeOutcome> RateOneAsync(JudgeClient judge, string instanceId, JudgePrompt prompt, CancellationToken cancellationToken)
    {
        var outcome = await judge.RateAsync(prompt, Schema, cancellationToken).ConfigureAwait(false);
        if (outcome.Succeeded)
        {
            Log.Rated(_logger, Rubric.Benchmark, instanceId, judge.Name, outcome.Attempts.Count);
        }
        else
        {
            Log.JudgeFailed(_logger, Rubric.Benchmark, instanceId, judge.Name, outcome.Attempts.Count, outcome.Failure ?? "unknown");
        }

        return outcome;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Jury {Benchmark}: instance {InstanceId} rated by {Judge} after {Attempts} attempt(s)")]
        public static partial void Rated(ILogger logger, string benchmark, string instanceId, string judge, int attempts);

        [LoggerMessage(2, LogLevel.Warning, "Jury {Benchmark}: judge {Judge} gave no verdict on instance {InstanceId} after {Attempts} attempt(s): {Reason}")]
        public static partial void JudgeFailed(ILogger logger, string benchmark, string instanceId, string judge, int attempts, string reason);

        [LoggerMessage(3, LogLevel.Information, "Jury {Benchmark}: instance {InstanceId} has an empty output; no judge asked, score 1")]
        public static partial void EmptyResponse(ILogger logger, string benchmark, string instanceId);

        [LoggerMessage(4, LogLevel.Warning, "Jury {Benchmark}: no verdict from any of {Judges} judges on instance {InstanceId}; default score 1")]
        public static partial void NoVerdict(ILogger logger, string benchmark, string instanceId, int judges);

        [LoggerMessage(5, LogLevel.Information, "Jury {Benchmark}: {Instances} instances, {Judges} judges, {Failures} judge failures, {ElapsedMs} ms")]
        public static partial void Finished(ILogger logger, string benchmark, int instances, int judges, int failures, long elapsedMs);
    }
}
