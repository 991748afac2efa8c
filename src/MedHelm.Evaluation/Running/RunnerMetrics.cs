using System.Text.Json;
using System.Text.Json.Nodes;
using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Metrics;

namespace MedHelm.Evaluation.Running;

/// <summary>
/// The metrics the runner applies besides letter exact match and label match: MedCalc-Bench accuracy, MedEC error
/// flag accuracy, MIMIC-IV billing-code F1 and EHRSQL execution accuracy. Each instance is scored through
/// <see cref="JsonlPredictionScorer.ScoreRecord"/>, the path <c>medhelm metrics score</c> takes for one JSONL line,
/// with a gold record built from the instance (<see cref="GoldRecordFor"/>).
/// </summary>
public static class RunnerMetrics
{
    /// <summary>Main metrics (<see cref="BenchmarkDefinition.MainMetric"/>) the runner scores with an <see cref="IMetric"/>.</summary>
    public static IReadOnlyList<string> Applied { get; } =
    [
        MedCalcAccuracy.MetricName, MedecMetrics.FlagAccuracy, BillingCodeF1.F1Name, EhrSqlExecutionAccuracy.MetricName,
    ];

    /// <summary>True when <paramref name="definition"/> is closed and its main metric is one of <see cref="Applied"/>.</summary>
    public static bool Applies(BenchmarkDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return !definition.IsOpen && Applied.Contains(definition.MainMetric, StringComparer.Ordinal);
    }

    /// <summary>True when scoring <paramref name="definition"/> needs an EHRSQL execution database.</summary>
    public static bool NeedsDatabase(BenchmarkDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return Applies(definition) && definition.MainMetric == EhrSqlExecutionAccuracy.MetricName;
    }

    /// <summary>
    /// The metric for a request's benchmark, or null when the runner scores it otherwise (letters, labels) or not at
    /// all (<see cref="EvaluationRequest.GenerateOnly"/>). The EHRSQL metric opens the request's database read-only
    /// and must be disposed.
    /// </summary>
    /// <exception cref="ArgumentException">EHRSQL without <see cref="EvaluationRequest.EhrSqlDatabasePath"/>.</exception>
    /// <exception cref="FileNotFoundException">The EHRSQL database does not exist.</exception>
    public static IMetric? Open(EvaluationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var definition = request.Benchmark;
        if (request.GenerateOnly || !Applies(definition))
        {
            return null;
        }

        if (NeedsDatabase(definition))
        {
            if (string.IsNullOrWhiteSpace(request.EhrSqlDatabasePath))
            {
                throw new ArgumentException(
                    $"Benchmark '{definition.Name}' is scored by executing SQL: the request needs {nameof(EvaluationRequest.EhrSqlDatabasePath)} (a SQLite database in the EHRSQL eICU schema).",
                    nameof(request));
            }

            return new EhrSqlExecutionAccuracy(
                request.EhrSqlDatabasePath, request.EhrSqlQueryTimeout ?? EhrSqlExecutionAccuracy.DefaultTimeout,
                request.EhrSqlMaxRows ?? EhrSqlExecutionAccuracy.DefaultMaxRows);
        }

        if (!MetricRegistry.TryGet(definition.MainMetric, out var metric) || metric.Name != definition.MainMetric)
        {
            throw new InvalidOperationException($"The metric {definition.MainMetric} is not in the registry.");
        }

        return metric;
    }

    /// <summary>
    /// The gold record of an instance, with the fields of <c>metrics score</c>: every metadata entry the importer kept
    /// (MedCalc-Bench's <c>category</c>, <c>lower_limit</c>, <c>upper_limit</c>, …) and <c>gold</c> = the instance's
    /// gold answer. For EHRSQL: <c>query</c> = the gold SQL, or the dataset's <c>null</c> for an unanswerable item
    /// (the importer stores those with an empty gold; HELM executes the text <c>null</c>, which fails, so an empty
    /// answer scores 1 in helm mode), <c>is_impossible</c> and <c>value</c> (the template values, a JSON object).
    /// </summary>
    public static GoldRecord GoldRecordFor(BenchmarkDefinition definition, BenchmarkInstance instance)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(instance);
        var record = new JsonObject();
        foreach (var (key, value) in instance.Metadata)
        {
            record[key] = value;
        }

        record["gold"] = instance.Gold;
        if (definition.MainMetric == EhrSqlExecutionAccuracy.MetricName)
        {
            record["query"] = string.IsNullOrWhiteSpace(instance.Gold) ? "null" : instance.Gold;
            record["is_impossible"] = string.Equals(instance.Metadata.GetValueOrDefault("is_impossible")?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
            record["value"] = TemplateValues(instance.Metadata.GetValueOrDefault("value"));
        }

        return new GoldRecord(JsonSerializer.SerializeToElement(record));
    }

    // The importer keeps EHRSQL's "value" object as its JSON text; anything but an object counts as no values.
    private static JsonObject? TemplateValues(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
