using System.Text.RegularExpressions;
using MedHelm.Core.Metrics;

namespace MedHelm.Evaluation.Metrics;

/// <summary>
/// EHRSQL execution accuracy (<c>ehr_sql_execution_accuracy</c>, main), <c>ehr_sql_query_validity</c> and HELM's
/// answerability precision/recall. Gold fields: <c>query</c> (gold SQL; "null"/"nan"/empty when unanswerable),
/// optional <c>is_impossible</c> and <c>value</c> (the dataset's template values).
/// </summary>
/// <remarks>
/// Both queries run read-only against the benchmark's SQLite database through <see cref="SqliteQueryRunner"/>
/// (time and row limits in both modes; a query that hits a limit counts as a failed query). Results are compared
/// as sets of rows (order and duplicates ignored, 1 = 1.0).
/// <para><see cref="ScoringMode.Helm"/> (HELM <c>EhrSqlAnnotator</c> + <c>EhrSqlMetric</c>): the SQL is the content
/// of <c>&lt;sql&gt;…&lt;/sql&gt;</c> if present, else the whole output, with every backtick and any line "sql"
/// removed; more than one statement is an error. Score 1 when the gold query is non-empty and either both results
/// are non-empty and equal as sets, or both are empty and the raw output is empty. A failing gold query gives an
/// empty result; when the gold result is empty and the record has a <c>value</c> object with entries, HELM
/// substitutes those values for the gold rows, which can never equal result rows, so such items score 0.
/// <c>is_impossible</c> is ignored (HELM looks for it in the prompt text, where it never is); an unanswerable item
/// scores 1 only through the "both empty" rule (its gold "null" fails to run, so an empty output scores 1).</para>
/// <para><see cref="ScoringMode.Corrected"/>: the SQL is taken from <c>&lt;sql&gt;</c> tags (closing tag optional),
/// else the first <c>```</c> code fence (language tag optional), else from the first line starting with SELECT/WITH,
/// else the whole output; text after the first statement is ignored; backticks inside SQL are kept (they quote
/// identifiers). Unanswerable (<c>is_impossible</c> true, or gold query empty/"null"/"nan"): 1 iff no SQL was
/// produced. Answerable: 1 iff SQL was produced, both queries ran, and the row sets are equal (both empty counts
/// as equal). <c>value</c> is not used.</para>
/// </remarks>
public sealed partial class EhrSqlExecutionAccuracy : IMetric, IDisposable
{
    /// <summary>Main statistic.</summary>
    public const string MetricName = "ehr_sql_execution_accuracy";

    /// <summary>Default per-query time limit.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Default per-query row limit.</summary>
    public const int DefaultMaxRows = 100_000;

    /// <summary>Per-instance statistic: 1 when SQL was produced and ran without error (time and row limits included).</summary>
    public const string QueryValidityName = "ehr_sql_query_validity";

    /// <summary>Per-instance statistic: 1 when the output counts as an answer (corrected: SQL was found; helm: the output is not empty).</summary>
    public const string PredictedAnswerableName = "ehr_sql_total_predicted_answerable";

    /// <summary>Per-instance statistic: 1 when the gold query failed to run (corrected mode).</summary>
    public const string GoldQueryErrorName = "ehr_sql_gold_query_error";

    private const string Validity = QueryValidityName;
    private const string PrecisionAnswerable = "ehr_sql_precision_answerable";
    private const string RecallAnswerable = "ehr_sql_recall_answerable";
    private const string TotalPredicted = PredictedAnswerableName;
    private const string TotalGold = "ehr_sql_total_ground_truth_answerable";
    private const string GoldError = GoldQueryErrorName;

    private readonly SqliteQueryRunner _runner;

    /// <summary>Opens the benchmark database read-only.</summary>
    public EhrSqlExecutionAccuracy(string databasePath, TimeSpan? timeout = null, int maxRows = DefaultMaxRows) =>
        _runner = new SqliteQueryRunner(databasePath, timeout ?? DefaultTimeout, maxRows);

    /// <inheritdoc />
    public string Name => MetricName;

    /// <inheritdoc />
    public string Description => "EHRSQL execution accuracy against a SQLite database (--database); gold 'query', optional 'is_impossible', 'value'.";

    /// <inheritdoc />
    public IReadOnlyList<string> RequiredFields { get; } = ["query"];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Score(string? prediction, GoldRecord gold, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(gold);
        var isImpossible = gold.OptionalBool("is_impossible") ?? false;
        return mode == ScoringMode.Helm
            ? ScoreHelm(PythonText.Strip(prediction), PythonText.Strip(gold.RequireString("query")), isImpossible, gold.OptionalObjectValues("value"))
            : ScoreCorrected(prediction, gold.RequireString("query").Trim(), isImpossible);
    }

    private Dictionary<string, double> ScoreHelm(string output, string goldQuery, bool isImpossible, IReadOnlyList<string>? values)
    {
        // EhrSqlAnnotator: the gold query runs first; an SQL error leaves its result empty, but a second statement
        // raises sqlite3.ProgrammingError, which HELM does not catch.
        var goldResult = _runner.Execute(goldQuery, allowTrailingText: false);
        if (goldResult.Error == SqliteQueryRunner.OneStatementError)
        {
            throw new ReferenceUndefinedException("ProgrammingError", "the gold SQL holds more than one statement");
        }

        var goldRows = goldResult.Rows;
        var goldFromValues = goldRows.Count == 0 && values is { Count: > 0 };
        var goldNonEmpty = goldRows.Count > 0 || goldFromValues;

        var sql = ExtractSql(output, ScoringMode.Helm);
        SqlQueryResult predicted = sql.Length == 0
            ? new SqlQueryResult([], "No query generated")
            : _runner.Execute(sql, allowTrailingText: false);

        // EhrSqlMetric.
        double accuracy = 0;
        if (goldQuery.Length > 0)
        {
            if (goldNonEmpty && predicted.Rows.Count > 0)
            {
                accuracy = !goldFromValues && SameRows(goldRows, predicted.Rows) ? 1 : 0;
            }
            else if (!goldNonEmpty && predicted.Rows.Count == 0 && output.Length == 0)
            {
                accuracy = 1;
            }
        }

        var answerable = !isImpossible && goldQuery.Length > 0;
        var predictedAnswerable = output.Length > 0;
        var stats = Stats(accuracy, predictedAnswerable && predicted.Succeeded, answerable, predictedAnswerable, goldError: false);
        stats.Remove(GoldError);
        return stats;
    }

    private Dictionary<string, double> ScoreCorrected(string? prediction, string goldQuery, bool isImpossible)
    {
        var unanswerable = isImpossible || goldQuery.Length == 0
            || goldQuery.Equals("null", StringComparison.OrdinalIgnoreCase) || goldQuery.Equals("nan", StringComparison.OrdinalIgnoreCase);
        var sql = ExtractSql(prediction, ScoringMode.Corrected);
        var abstained = sql.Length == 0;
        SqlQueryResult? predicted = abstained ? null : _runner.Execute(sql, allowTrailingText: true);
        var valid = predicted is { Succeeded: true };
        if (unanswerable)
        {
            return Stats(abstained ? 1 : 0, valid, answerable: false, predictedAnswerable: !abstained, goldError: false);
        }

        var goldResult = _runner.Execute(goldQuery, allowTrailingText: true);
        var accuracy = valid && goldResult.Succeeded && SameRows(goldResult.Rows, predicted!.Rows) ? 1 : 0;
        return Stats(accuracy, valid, answerable: true, predictedAnswerable: !abstained, goldError: !goldResult.Succeeded);
    }

    private static Dictionary<string, double> Stats(double accuracy, bool valid, bool answerable, bool predictedAnswerable, bool goldError)
    {
        var correctAnswerable = answerable && predictedAnswerable ? 1 : 0;
        return new Dictionary<string, double>
        {
            [MetricName] = accuracy,
            [Validity] = valid ? 1 : 0,
            [PrecisionAnswerable] = predictedAnswerable ? correctAnswerable : 0,
            [RecallAnswerable] = answerable ? correctAnswerable : 0,
            [TotalPredicted] = predictedAnswerable ? 1 : 0,
            [TotalGold] = answerable ? 1 : 0,
            [GoldError] = goldError ? 1 : 0,
        };
    }

    /// <summary>
    /// Helm: the mean of every per-instance statistic, as HELM's statistics report them. Corrected: means of accuracy
    /// and validity; answerability precision = Σ correct-answerable / Σ predicted-answerable and recall =
    /// Σ correct-answerable / Σ gold-answerable; <c>ehr_sql_gold_query_error</c> the number of failing gold queries.
    /// </summary>
    public IReadOnlyDictionary<string, double> Aggregate(IReadOnlyList<IReadOnlyDictionary<string, double>> instances, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(instances);
        if (mode == ScoringMode.Helm)
        {
            return MeanMetric.Mean(instances, MetricName);
        }

        double Sum(string key) => instances.Sum(i => i.GetValueOrDefault(key));
        var n = instances.Count;
        var correct = Sum(RecallAnswerable);
        var predictedTotal = Sum(TotalPredicted);
        var goldTotal = Sum(TotalGold);
        return new Dictionary<string, double>
        {
            [MetricName] = n == 0 ? 0 : Sum(MetricName) / n,
            [Validity] = n == 0 ? 0 : Sum(Validity) / n,
            [PrecisionAnswerable] = predictedTotal == 0 ? 0 : correct / predictedTotal,
            [RecallAnswerable] = goldTotal == 0 ? 0 : correct / goldTotal,
            [GoldError] = Sum(GoldError),
        };
    }

    /// <summary>The SQL a model output contains, per mode (empty when none).</summary>
    public static string ExtractSql(string? output, ScoringMode mode)
    {
        var text = (output ?? string.Empty).Trim();
        if (text.Length == 0)
        {
            return string.Empty;
        }

        if (mode == ScoringMode.Helm)
        {
            text = PythonText.Strip(output);
            var tagged = HelmSqlTag().Match(text);
            var sql = PythonText.Strip(PythonText.Strip(tagged.Success ? tagged.Groups[1].Value : text).Replace("`", "", StringComparison.Ordinal));
            return HelmSqlLine().Replace(sql, "");
        }

        var tag = OpenSqlTag().Match(text);
        if (tag.Success)
        {
            return StripFences(tag.Groups[1].Value).Trim();
        }

        var fence = Fence().Match(text);
        if (fence.Success)
        {
            return fence.Groups[1].Value.Trim();
        }

        var start = SelectStart().Match(text);
        if (start.Success && start.Index > 0)
        {
            return text[start.Index..].Trim();
        }

        return SqlPrefix().Replace(text, "").Trim();
    }

    private static string StripFences(string text)
    {
        var fence = Fence().Match(text);
        return fence.Success ? fence.Groups[1].Value : text;
    }

    private static bool SameRows(IReadOnlyList<object?[]> a, IReadOnlyList<object?[]> b)
    {
        var left = a.Select(SqliteQueryRunner.RowKey).ToHashSet(StringComparer.Ordinal);
        var right = b.Select(SqliteQueryRunner.RowKey).ToHashSet(StringComparer.Ordinal);
        return left.SetEquals(right);
    }

    /// <inheritdoc />
    public void Dispose() => _runner.Dispose();

    // HELM's <\s*sql\s*>(.*?)<\/?\s*sql\s*> with Python's \s (which includes U+001C-U+001F).
    [GeneratedRegex(@"<[\s\x1c-\x1f]*sql[\s\x1c-\x1f]*>(.*?)<\/?[\s\x1c-\x1f]*sql[\s\x1c-\x1f]*>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex HelmSqlTag();

    [GeneratedRegex(@"^sql\n", RegexOptions.Multiline)]
    private static partial Regex HelmSqlLine();

    [GeneratedRegex(@"<\s*sql\s*>(.*?)(?:<\/?\s*sql\s*>|$)", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex OpenSqlTag();

    [GeneratedRegex(@"```[ \t]*(?:sql|sqlite)?[ \t]*\r?\n?(.*?)(?:```|$)", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Fence();

    [GeneratedRegex(@"^[ \t]*(?:SELECT|WITH)\b", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex SelectStart();

    [GeneratedRegex(@"^(?:sql|query)\s*:\s*", RegexOptions.IgnoreCase)]
    private static partial Regex SqlPrefix();
}
