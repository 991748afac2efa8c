using System.Diagnostics;
using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Core.Prompts;
using MedHelm.Core.Results;
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
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var definition = request.Benchmark;
        definition.Validate();
        if (definition.AnswerKind is not (AnswerKind.Letter or AnswerKind.YesNo or AnswerKind.Label))
        {
            throw new NotSupportedException(
                $"Benchmark '{definition.Name}' has answer kind {definition.AnswerKind}; only letter, yes/no and label answers are supported so far.");
        }

        if (request.MaxInstances is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.MaxInstances, "MaxInstances must not be negative.");
        }

        var instances = request.MaxInstances is { } max
            ? request.Instances.Take(max).ToArray()
            : request.Instances.ToArray();
        var results = new InstanceResult[instances.Length];
        var completed = 0;
        var total = Stopwatch.StartNew();
        Log.Starting(_logger, request.RunId, request.ModelName, definition.Name, instances.Length, _options.MaxConcurrency);

        try
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, instances.Length),
                new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
                async (index, token) =>
                {
                    results[index] = await EvaluateAsync(request, instances[index], client, token).ConfigureAwait(false);
                    var done = Interlocked.Increment(ref completed);
                    progress?.Report(new EvaluationProgress(request.RunId, request.ModelName, definition.Name, done, instances.Length));
                }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.Cancelled(_logger, request.RunId, definition.Name, Volatile.Read(ref completed), instances.Length);
            throw;
        }

        var correct = results.Sum(r => r.Score);
        Log.Finished(_logger, request.RunId, request.ModelName, definition.Name, instances.Length, correct, total.ElapsedMilliseconds);
        return results;
    }

    private async Task<InstanceResult> EvaluateAsync(
        EvaluationRequest request, BenchmarkInstance instance, IChatClient client, CancellationToken cancellationToken)
    {
        var definition = request.Benchmark;
        var prompt = BenchmarkPrompt.Build(definition, instance);
        var messages = new List<ChatMessage>(2);
        if (prompt.System is not null)
        {
            messages.Add(new ChatMessage(ChatRole.System, prompt.System));
        }

        messages.Add(new ChatMessage(ChatRole.User, prompt.User));
        var options = new ChatOptions
        {
            MaxOutputTokens = definition.MaxTokens,
            Temperature = 0,
            StopSequences = definition.StopSequences.Count > 0 ? definition.StopSequences.ToList() : null,
        };

        var stopwatch = Stopwatch.StartNew();
        ChatResponse response;
        try
        {
            response = await client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The exception text may echo the prompt: log its type only.
            Log.InstanceFailed(_logger, request.RunId, instance.Id, ex.GetType().Name);
            throw;
        }

        stopwatch.Stop();
        var output = response.Text ?? string.Empty;
        var score = definition.AnswerKind == AnswerKind.Letter
            ? ExactMatch.Score(output, instance.Gold, request.ScoringMode, instance.OptionLetters)
            : LabelMatch.Score(output, instance.Gold, request.ScoringMode, definition.Labels.Count > 0 ? definition.Labels : null);
        var result = new InstanceResult(
            request.RunId,
            request.ModelName,
            definition.Name,
            instance.Id,
            output,
            instance.Gold,
            score,
            response.Usage?.InputTokenCount,
            response.Usage?.OutputTokenCount,
            stopwatch.Elapsed,
            definition.MainMetric,
            PromptTemplateHash.Compute((prompt.System ?? string.Empty) + "\u0000" + prompt.User));
        Log.InstanceScored(_logger, request.RunId, instance.Id, score, stopwatch.ElapsedMilliseconds, result.PromptTokens, result.CompletionTokens);
        return result;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Run {RunId}: evaluating {Model} on {Benchmark}, {Instances} instances, concurrency {Concurrency}")]
        public static partial void Starting(ILogger logger, string runId, string model, string benchmark, int instances, int concurrency);

        [LoggerMessage(2, LogLevel.Debug, "Run {RunId}: instance {InstanceId} scored {Score} in {ElapsedMs} ms ({PromptTokens} prompt / {CompletionTokens} completion tokens)")]
        public static partial void InstanceScored(ILogger logger, string runId, string instanceId, double score, long elapsedMs, long? promptTokens, long? completionTokens);

        [LoggerMessage(3, LogLevel.Warning, "Run {RunId}: instance {InstanceId} failed with {ExceptionType}")]
        public static partial void InstanceFailed(ILogger logger, string runId, string instanceId, string exceptionType);

        [LoggerMessage(4, LogLevel.Information, "Run {RunId}: {Model} on {Benchmark} finished, {Instances} instances, {Correct} correct, {ElapsedMs} ms")]
        public static partial void Finished(ILogger logger, string runId, string model, string benchmark, int instances, double correct, long elapsedMs);

        [LoggerMessage(5, LogLevel.Warning, "Run {RunId}: {Benchmark} cancelled after {Completed} of {Instances} instances")]
        public static partial void Cancelled(ILogger logger, string runId, string benchmark, int completed, int instances);
    }
}
