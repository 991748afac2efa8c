using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Ledger;
using MedHelm.Evaluation.Metrics;

namespace MedHelm.Evaluation.Running;

/// <summary>Scoring of one answer: the benchmark's metric, its secondary statistics and the reference-overlap metrics logged beside a jury score.</summary>
public sealed partial class EvaluationRunner
{
    /// <summary>The main score first (null: undefined), then (with <see cref="EvaluationRequest.StoreSecondaryMetrics"/>) the others by name, marked secondary.</summary>
    private static List<MetricScore> Scores(EvaluationRequest request, IReadOnlyDictionary<string, double> metrics, double? score)
    {
        var main = request.Benchmark.MainMetric;
        var scores = new List<MetricScore> { new(main, score, IsMain: true) };
        if (request.StoreSecondaryMetrics)
        {
            scores.AddRange(metrics.Where(m => m.Key != main).OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new MetricScore(m.Key, m.Value, IsMain: false)));
        }

        return scores;
    }

    /// <summary>Only secondary scores, by name (an open-ended answer: the jury stores the main one later).</summary>
    private static List<MetricScore> Secondary(IReadOnlyDictionary<string, double> metrics) =>
        metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new MetricScore(m.Key, m.Value, IsMain: false)).ToList();

    /// <summary>
    /// The secondary statistics of a generated (not scored) answer: for an open-ended benchmark
    /// (<see cref="NeedsJury"/>) with <see cref="EvaluationRequest.StoreSecondaryMetrics"/> and a non-blank gold
    /// reference, the ROUGE-1, ROUGE-2 and ROUGE-L F-measures in the request's <see cref="EvaluationRequest.ScoringMode"/>
    /// (a metric named like the benchmark's main metric is left out: that name belongs to the jury score); else none.
    /// </summary>
    private static Dictionary<string, double> ReferenceOverlap(EvaluationRequest request, BenchmarkInstance instance, string output)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        var definition = request.Benchmark;
        if (!request.StoreSecondaryMetrics || !NeedsJury(definition) || string.IsNullOrWhiteSpace(instance.Gold))
        {
            return metrics;
        }

        var gold = GoldRecord.From(("gold", instance.Gold));
        foreach (var metric in OpenEndedSecondaryMetrics)
        {
            if (metric.Name != definition.MainMetric)
            {
                metrics[metric.Name] = metric.Score(output, gold, request.ScoringMode)[metric.Name];
            }
        }

        return metrics;
    }

    /// <summary>
    /// Scores one answer with <paramref name="metric"/> through the path of <c>metrics score</c>. Never throws for a
    /// bad answer: SQL that does not run scores 0 (the metric's own rule) and is reported as a failure; a gold record
    /// the metric rejects scores 0 with the failure named (exception type and field; never text). An input on which
    /// HELM's own code raises (helm mode, <see cref="ReferenceUndefinedException"/>) is undefined: no statistic, the
    /// reason reported as the failure, and left out of the means.
    /// </summary>
    private ScoredInstance ScoreWithMetric(EvaluationRequest request, IMetric metric, GoldRecord gold, BenchmarkInstance instance, string output)
    {
        var main = request.Benchmark.MainMetric;
        try
        {
            var metrics = JsonlPredictionScorer.ScoreRecord(output, gold, metric, request.ScoringMode);
            string? failure = null;
            if (metric is EhrSqlExecutionAccuracy
                && metrics.GetValueOrDefault(EhrSqlExecutionAccuracy.PredictedAnswerableName) > 0
                && metrics.GetValueOrDefault(EhrSqlExecutionAccuracy.QueryValidityName) == 0)
            {
                failure = "the model's SQL did not run (SQL error, more than one statement, time limit or row limit)";
                Log.PredictionFailed(_logger, request.RunId, instance.Id, failure);
            }

            return new ScoredInstance(metrics, failure);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (e is ReferenceUndefinedException undefined)
            {
                var reason = $"undefined, the reference fails here: {undefined.Message}";
                Log.ScoringFailed(_logger, request.RunId, instance.Id, reason);
                return new ScoredInstance(new Dictionary<string, double>(StringComparer.Ordinal), reason, Undefined: true);
            }

            var failure = e is MetricInputFormatException format
                ? $"the metric rejected the gold record (field '{format.Field}')"
                : $"scoring failed with {e.GetType().Name}";
            Log.ScoringFailed(_logger, request.RunId, instance.Id, failure);
            return new ScoredInstance(new Dictionary<string, double>(StringComparer.Ordinal) { [main] = 0 }, failure);
        }
    }
}
