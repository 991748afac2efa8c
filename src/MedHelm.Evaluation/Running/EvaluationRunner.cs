using System.Diagnostics;
using MedHelm.Core.Catalog;
using MedHelm.Core.Inference;
using MedHelm.Core.Ledger;
using MedHelm.Core.Metrics;
using MedHelm.Core.Prompts;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Ledger;
using MedHelm.Evaluation.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedHelm.Evaluation.Running;

/// <summary>
/// Sends each instance of a benchmark to a model through <see cref="IChatClient"/> and scores the answers.
/// Logs carry only ids, counts and timings — never prompt or output text, which may hold patient data.
/// </summary>
public sealed partial class EvaluationRunner
{
    /// <summary>The ROUGE metrics logged beside the jury score of an open-ended answer (HELM also logs BERTScore, which needs an embedding model).</summary>
    private static readonly IMetric[] OpenEndedSecondaryMetrics = [new RougeMetric(1), new RougeMetric(2), new RougeMetric(0)];

    private readonly ILogger _logger;
    private readonly EvaluationRunnerOptions _options;

    public EvaluationRunner(ILogger? logger = null, EvaluationRunnerOptions? options = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _options = options ?? new EvaluationRunnerOptions();
        if (_options.MaxConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), _options.MaxConcurrency, "MaxConcurrency must be at least 1.");
        }
    }

    /// <summary>Evaluates the request; results are in instance order.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="NotSupportedException">The benchmark's answer kind is not a letter.</exception>
    public async Task<IReadOnlyList<InstanceResult>> RunAsync(
        EvaluationRequest request,
        IChatClient client,
        IProgress<EvaluationProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        (await ExecuteAsync(request, client, progress, cancellationToken).ConfigureAwait(false)).Results;

    /// <summary>
    /// Why the runner cannot score <paramref name="definition"/> yet, or null when it can (letter answers; yes/no and
    /// label answers scored by exact label match; the metrics of <see cref="RunnerMetrics.Applied"/>: MedCalc-Bench,
    /// MedEC, MIMIC-IV billing codes and EHRSQL, the last given <see cref="EvaluationRequest.EhrSqlDatabasePath"/>).
    /// </summary>
    public static string? UnsupportedReason(BenchmarkDefinition definition)
        => NeedsJury(definition) ? "open-ended answers are scored by the LLM jury: add --jury j1,j2,j3 (or set Jury:Judges in appsettings.json)" : UnscoredReason(definition);

    /// <summary>True for open-ended free-text benchmarks: the runner only generates (<see cref="EvaluationRequest.GenerateOnly"/>), the jury scores.</summary>
    public static bool NeedsJury(BenchmarkDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return definition.AnswerKind == AnswerKind.FreeText && definition.IsOpen;
    }

    private static string? UnscoredReason(BenchmarkDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (RunnerMetrics.Applies(definition))
        {
            return null;
        }

        return definition.AnswerKind switch
        {
            AnswerKind.Letter => null,
            AnswerKind.YesNo or AnswerKind.Label when definition.MainMetric is ExactMatchMetricName or LabelMatch.MetricName => null,
            AnswerKind.YesNo or AnswerKind.Label => $"its metric {definition.MainMetric} is not applied by the runner yet",
            AnswerKind.FreeText when definition.IsOpen => "open-ended answers are scored by the LLM jury, which runs do not call yet",
            AnswerKind.FreeText => $"its metric {definition.MainMetric} is not applied by the runner yet",
            AnswerKind.Number => $"numeric answers ({definition.MainMetric}) are not scored by the runner yet",
            AnswerKind.CodeList => $"code-list answers ({definition.MainMetric}) are not scored by the runner yet",
            _ => $"answer kind {definition.AnswerKind} is not supported",
        };
    }

    /// <summary>
    /// Evaluates the request. With <see cref="EvaluationRequest.Ledger"/>, instances whose ledger key already has a
    /// stored completion are not sent to the model, and each result is queued for the ledger as soon as it exists;
    /// before returning (or throwing) every queued result is committed.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="NotSupportedException">The benchmark's answer kind is not a letter, yes/no or label, and its metric is not one of <see cref="RunnerMetrics.Applied"/>.</exception>
    /// <exception cref="ArgumentException">An EHRSQL benchmark without <see cref="EvaluationRequest.EhrSqlDatabasePath"/>.</exception>
    /// <exception cref="InvalidDataException">An instance lacks a field its metric needs (checked before any model call).</exception>
    public async Task<EvaluationOutcome> ExecuteAsync(
        EvaluationRequest request,
        IChatClient client,
        IProgress<EvaluationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var definition = request.Benchmark;
        definition.Validate();
        if (definition.AnswerKind is not (AnswerKind.Letter or AnswerKind.YesNo or AnswerKind.Label) && !(request.GenerateOnly && NeedsJury(definition))
            && !RunnerMetrics.Applies(definition))
        {
            throw new NotSupportedException(
                $"Benchmark '{definition.Name}' has answer kind {definition.AnswerKind} and metric {definition.MainMetric}; the runner scores letter, yes/no and label answers and the metrics {string.Join(", ", RunnerMetrics.Applied)}.");
        }

        if (request.MaxInstances is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.MaxInstances, "MaxInstances must not be negative.");
        }

        var instances = request.MaxInstances is { } max
            ? request.Instances.Take(max).ToArray()
            : request.Instances.ToArray();
        var metric = RunnerMetrics.Open(request);
        using var disposeMetric = metric as IDisposable; // the EHRSQL database connection
        var prepared = instances.Select(i => Prepare(request, i, metric)).ToArray();
        var results = new InstanceResult[instances.Length];
        var scored = new ScoredInstance[instances.Length];
        var rejected = new System.Collections.Concurrent.ConcurrentDictionary<int, string>();
        var completed = 0;
        var reused = 0;
        long tokens = 0;
        var total = Stopwatch.StartNew();
        var ledger = request.Ledger?.Ledger;

        IReadOnlyDictionary<string, LedgerCompletion> stored = new Dictionary<string, LedgerCompletion>();
        if (ledger is not null)
        {
            stored = await ledger.FindAsync(prepared.Select(p => p.Request!.Key).Distinct(StringComparer.Ordinal).ToArray(), cancellationToken)
                .ConfigureAwait(false);
        }

        var missing = new List<int>(instances.Length);
        Log.Starting(_logger, request.RunId, request.ModelName, definition.Name, instances.Length, _options.MaxConcurrency);

        void Report() => progress?.Report(new EvaluationProgress(
            request.RunId, request.ModelName, definition.Name, Volatile.Read(ref completed), instances.Length)
        {
            Reused = Volatile.Read(ref reused),
            Tokens = Interlocked.Read(ref tokens),
        });

        try
        {
            for (var index = 0; index < instances.Length; index++)
            {
                if (prepared[index].Request is { } keyed && stored.TryGetValue(keyed.Key, out var completion))
                {
                    (results[index], scored[index]) = await CompleteAsync(request, metric, prepared[index], instances[index], completion, CompletionOrigin.Reused, cancellationToken)
                        .ConfigureAwait(false);
                    Interlocked.Increment(ref reused);
                    Interlocked.Increment(ref completed);
                    Report();
                }
                else
                {
                    missing.Add(index);
                }
            }

            if (reused > 0)
            {
                Log.Reused(_logger, request.RunId, request.ModelName, definition.Name, reused, missing.Count);
            }

            // the schedule stops on either token; a call once started ends only with cancellationToken (Drain lets it finish)
            using var schedule = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, request.Drain);
            await Parallel.ForEachAsync(
                missing,
                new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = schedule.Token },
                async (index, _) =>
                {
                    LedgerCompletion completion;
                    try
                    {
                        completion = await CallModelAsync(request, prepared[index], instances[index], client, cancellationToken).ConfigureAwait(false);
                    }
                    catch (RequestRejectedException e)
                    {
                        // the model refused this request (e.g. it cannot fit the context): record it, go on with the others
                        rejected[index] = e.Message;
                        Interlocked.Increment(ref completed);
                        Report();
                        return;
                    }

                    (results[index], scored[index]) = await CompleteAsync(request, metric, prepared[index], instances[index], completion, CompletionOrigin.Computed, cancellationToken)
                        .ConfigureAwait(false);
                    Interlocked.Add(ref tokens, (completion.PromptTokens ?? 0) + (completion.CompletionTokens ?? 0));
                    Interlocked.Increment(ref completed);
                    Report();
                }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || request.Drain.IsCancellationRequested)
        {
            Log.Cancelled(_logger, request.RunId, definition.Name, Volatile.Read(ref completed), instances.Length);
            if (ledger is not null)
            {
                // What finished before the cancellation is kept: commit it, then report the cancellation.
                await ledger.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }

        if (ledger is not null)
        {
            await ledger.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }

        var refused = rejected.OrderBy(p => p.Key).Select(p => new RejectedInstance(instances[p.Key].Id, p.Value)).ToArray();
        if (refused.Length > 0)
        {
            // refused instances have no result: they are neither scored nor stored, and a resume asks again
            var kept = Enumerable.Range(0, instances.Length).Where(i => !rejected.ContainsKey(i)).ToArray();
            results = kept.Select(i => results[i]).ToArray();
            scored = kept.Select(i => scored[i]).ToArray();
            instances = kept.Select(i => instances[i]).ToArray();
            Log.Refused(_logger, request.RunId, request.ModelName, definition.Name, refused.Length);
        }

        var correct = results.Sum(r => r.Score ?? 0);
        Log.Finished(_logger, request.RunId, request.ModelName, definition.Name, instances.Length, correct, total.ElapsedMilliseconds);
        var failures = scored.Select((s, i) => s.Failure is { } reason ? new ScoringFailure(instances[i].Id, reason) : null).OfType<ScoringFailure>().ToArray();
        if (failures.Length > 0)
        {
            Log.ScoringFailures(_logger, request.RunId, request.ModelName, definition.Name, failures.Length, instances.Length);
        }

        var metrics = scored.Select(s => s.Metrics).ToArray();
        var defined = scored.Where(s => !s.Undefined).Select(s => s.Metrics).ToArray();
        var definedResults = results.Count(r => r.Score is not null);
        return new EvaluationOutcome(results, instances.Length - reused, reused)
        {
            Rejected = refused,
            InstanceMetrics = metrics,
            Aggregate = request.GenerateOnly
                ? new Dictionary<string, double>(StringComparer.Ordinal)
                : metric?.Aggregate(defined, request.ScoringMode)
                  ?? new Dictionary<string, double>(StringComparer.Ordinal) { [definition.MainMetric] = definedResults == 0 ? 0 : correct / definedResults },
            ScoringFailures = failures,
        };
    }

    /// <summary>
    /// Every statistic of one instance, and why its answer could not be evaluated (null when it could); an undefined
    /// instance (helm mode where HELM's own code raises) has no statistic.
    /// </summary>
    private readonly record struct ScoredInstance(IReadOnlyDictionary<string, double> Metrics, string? Failure, bool Undefined = false);

    private const string ExactMatchMetricName = "exact_match";

    private sealed record PreparedInstance(PromptMessages Prompt, string PromptHash, ChatOptions Options, LedgerRequest? Request, GoldRecord? Gold);

    private static PreparedInstance Prepare(EvaluationRequest request, BenchmarkInstance instance, IMetric? metric)
    {
        var definition = request.Benchmark;
        GoldRecord? gold = null;
        if (metric is not null)
        {
            // A field missing from the data fails the benchmark before the model is called, not instance by instance.
            gold = RunnerMetrics.GoldRecordFor(definition, instance);
            try
            {
                JsonlPredictionScorer.RequireFields(gold, metric);
            }
            catch (MetricInputFormatException e)
            {
                throw new InvalidDataException($"{definition.Name} instance {instance.Id}: {e.Message}", e);
            }
        }

        var prompt = BenchmarkPrompt.Build(definition, instance);
        var promptHash = PromptTemplateHash.Compute((prompt.System ?? string.Empty) + "\u0000" + prompt.User);
        var options = new ChatOptions
        {
            MaxOutputTokens = definition.MaxTokens,
            Temperature = 0,
            StopSequences = definition.StopSequences.Count > 0 ? definition.StopSequences.ToList() : null,
        };
        if (request.ChatTemplateTime is { } templateTime)
        {
            options.AdditionalProperties = new AdditionalPropertiesDictionary { [ChatRequestProperties.ChatTemplateTime] = templateTime };
        }

        LedgerRequest? keyed = null;
        if (request.Ledger is { } context)
        {
            var templateHash = LedgerKey.TemplateHash(definition, instance);
            var decoding = LedgerKey.Decoding(0, definition.MaxTokens, definition.StopSequences, extras: context.DecodingExtras);
            var key = LedgerKey.Compute(new LedgerKeyParts(
                context.ModelIdentity, context.DatasetSha256, instance.Id, templateHash, decoding, context.Seed, context.SampleIndex));
            keyed = new LedgerRequest(
                key, request.ModelName, context.ModelIdentity, definition.Name, context.DatasetSha256, instance.Id, templateHash,
                promptHash, decoding, context.Seed, context.SampleIndex, instance.Gold);
        }

        return new PreparedInstance(prompt, promptHash, options, keyed, gold);
    }

    private async Task<LedgerCompletion> CallModelAsync(
        EvaluationRequest request, PreparedInstance prepared, BenchmarkInstance instance, IChatClient client, CancellationToken cancellationToken)
    {
        var messages = new List<ChatMessage>(2);
        if (prepared.Prompt.System is not null)
        {
            messages.Add(new ChatMessage(ChatRole.System, prepared.Prompt.System));
        }

        messages.Add(new ChatMessage(ChatRole.User, prepared.Prompt.User));
        var stopwatch = Stopwatch.StartNew();
        ChatResponse response;
        try
        {
            response = await client.GetResponseAsync(messages, prepared.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The exception text may echo the prompt: log its type only.
            Log.InstanceFailed(_logger, request.RunId, instance.Id, ex.GetType().Name);
            throw;
        }

        stopwatch.Stop();
        var reasoning = string.Concat(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(r => r.Text));
        var details = response.AdditionalProperties;
        return new LedgerCompletion(
            response.Text ?? string.Empty,
            reasoning.Length > 0 ? reasoning : null,
            details?.TryGetValue("finish_detail", out var finish) == true ? finish?.ToString() : response.FinishReason?.Value,
            response.Usage?.InputTokenCount,
            response.Usage?.OutputTokenCount,
            Number(details, "reasoning_tokens") is { } rt ? (long)rt : response.Usage?.ReasoningTokenCount,
            Number(details, "reused_prompt_tokens") is { } rp ? (long)rp : null,
            Number(details, "queue_wait_ms"),
            Number(details, "prefill_ms"),
            Number(details, "time_to_first_token_ms"),
            Number(details, "decode_ms"),
            stopwatch.Elapsed.TotalMilliseconds);
    }

    private static double? Number(AdditionalPropertiesDictionary? details, string name) =>
        details is not null && details.TryGetValue(name, out var value) && value is not null
            ? value switch
            {
                double d => d,
                float f => f,
                int i => i,
                long l => l,
                IConvertible c => c.ToDouble(System.Globalization.CultureInfo.InvariantCulture),
                _ => null,
            }
            : null;

    private async Task<(InstanceResult Result, ScoredInstance Scored)> CompleteAsync(
        EvaluationRequest request, IMetric? metric, PreparedInstance prepared, BenchmarkInstance instance, LedgerCompletion completion,
        CompletionOrigin origin, CancellationToken cancellationToken)
    {
        var definition = request.Benchmark;
        var output = completion.Output;
        var scored = request.GenerateOnly
            ? new ScoredInstance(ReferenceOverlap(request, instance, output), null)
            : metric is not null
            ? ScoreWithMetric(request, metric, prepared.Gold!, instance, output)
            : new ScoredInstance(
                new Dictionary<string, double>(StringComparer.Ordinal)
                {
                    [definition.MainMetric] = definition.AnswerKind == AnswerKind.Letter
                        ? ExactMatch.Score(output, instance.Gold, request.ScoringMode, instance.OptionLetters)
                        : LabelMatch.Score(output, instance.Gold, request.ScoringMode, definition.Labels.Count > 0 ? definition.Labels : null),
                },
                null);
        double? score = scored.Undefined ? null : scored.Metrics.GetValueOrDefault(definition.MainMetric);
        var result = new InstanceResult(
            request.RunId,
            request.ModelName,
            definition.Name,
            instance.Id,
            output,
            instance.Gold,
            score,
            completion.PromptTokens,
            completion.CompletionTokens,
            TimeSpan.FromTicks((long)Math.Round(completion.ElapsedMs * TimeSpan.TicksPerMillisecond)),
            definition.MainMetric,
            prepared.PromptHash);
        if (request.Ledger is { } context && prepared.Request is { } keyed)
        {
            // Queued even when cancellation is under way: the answer exists, keep it.
            await context.Ledger.RecordAsync(
                new LedgerEntry(request.RunId, keyed, completion, origin, request.GenerateOnly ? Secondary(scored.Metrics) : Scores(request, scored.Metrics, score)),
                CancellationToken.None).ConfigureAwait(false);
        }

        if (origin == CompletionOrigin.Computed)
        {
            Log.InstanceScored(_logger, request.RunId, instance.Id, score, (long)completion.ElapsedMs, result.PromptTokens, result.CompletionTokens);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return (result, scored);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Run {RunId}: evaluating {Model} on {Benchmark}, {Instances} instances, concurrency {Concurrency}")]
        public static partial void Starting(ILogger logger, string runId, string model, string benchmark, int instances, int concurrency);

        [LoggerMessage(2, LogLevel.Debug, "Run {RunId}: instance {InstanceId} scored {Score} in {ElapsedMs} ms ({PromptTokens} prompt / {CompletionTokens} completion tokens)")]
        public static partial void InstanceScored(ILogger logger, string runId, string instanceId, double? score, long elapsedMs, long? promptTokens, long? completionTokens);

        [LoggerMessage(20, LogLevel.Warning, "Run {RunId}: {Model} refused {Count} instance(s) of {Benchmark}; they are not scored and a resume asks again")]
        public static partial void Refused(ILogger logger, string runId, string model, string benchmark, int count);

        [LoggerMessage(3, LogLevel.Warning, "Run {RunId}: instance {InstanceId} failed with {ExceptionType}")]
        public static partial void InstanceFailed(ILogger logger, string runId, string instanceId, string exceptionType);

        [LoggerMessage(4, LogLevel.Information, "Run {RunId}: {Model} on {Benchmark} finished, {Instances} instances, {Correct} correct, {ElapsedMs} ms")]
        public static partial void Finished(ILogger logger, string runId, string model, string benchmark, int instances, double correct, long elapsedMs);

        [LoggerMessage(5, LogLevel.Warning, "Run {RunId}: {Benchmark} cancelled after {Completed} of {Instances} instances")]
        public static partial void Cancelled(ILogger logger, string runId, string benchmark, int completed, int instances);

        [LoggerMessage(6, LogLevel.Information, "Run {RunId}: {Model} on {Benchmark}: {Reused} instances reused from the ledger, {Missing} to compute")]
        public static partial void Reused(ILogger logger, string runId, string model, string benchmark, int reused, int missing);

        [LoggerMessage(7, LogLevel.Debug, "Run {RunId}: instance {InstanceId} scored 0: {Reason}")]
        public static partial void PredictionFailed(ILogger logger, string runId, string instanceId, string reason);

        [LoggerMessage(8, LogLevel.Warning, "Run {RunId}: instance {InstanceId} could not be scored and counts 0: {Reason}")]
        public static partial void ScoringFailed(ILogger logger, string runId, string instanceId, string reason);

        [LoggerMessage(9, LogLevel.Information, "Run {RunId}: {Model} on {Benchmark}: {Failures} of {Instances} answers could not be used (scored 0)")]
        public static partial void ScoringFailures(ILogger logger, string runId, string model, string benchmark, int failures, int instances);
    }
}
