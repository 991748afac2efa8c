using System.Text.Json;
using System.Text.RegularExpressions;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Formats;
using MedHelm.Evaluation.Metrics;

namespace MedHelm.Evaluation.EhrSql;

/// <summary>How the gold queries of an EHRSQL file fare against a database.</summary>
/// <param name="Answerable">Answerable questions (gold SQL present).</param>
/// <param name="Failed">Gold queries that did not run (error, time or row limit).</param>
/// <param name="NonEmpty">Gold queries that returned at least one row.</param>
/// <param name="NonNull">Gold queries that returned at least one row with a non-NULL value.</param>
/// <param name="Errors">Up to 20 failures: question id and error.</param>
public sealed record EhrSqlGoldCheckResult(int Answerable, int Failed, int NonEmpty, int NonNull, IReadOnlyList<string> Errors)
{
    /// <summary>Share of answerable gold queries with at least one row.</summary>
    public double NonEmptyShare => Answerable == 0 ? 0 : (double)NonEmpty / Answerable;

    /// <summary>Share of answerable gold queries with at least one non-NULL value.</summary>
    public double NonNullShare => Answerable == 0 ? 0 : (double)NonNull / Answerable;
}

/// <summary>
/// Runs the gold SQL (<c>query</c>) of EHRSQL question files against a database, read-only, to see whether the database
/// can tell right answers from wrong ones: execution accuracy means little when most gold results are empty.
/// </summary>
public static partial class EhrSqlGoldCheck
{
    /// <summary>Checks every answerable question of <paramref name="questionFiles"/> (EHRSQL JSON arrays).</summary>
    /// <param name="databasePath">SQLite database.</param>
    /// <param name="questionFiles">test.json / valid.json.</param>
    /// <param name="ehrSqlTime">Rewrite the queries as EHRSQL's own evaluation does: <c>current_time</c> becomes
    /// <see cref="SyntheticEicuDatabase.Now"/> and <c>%y</c> becomes <c>%Y</c>. HELM (and the metric) run the queries
    /// unchanged, where SQLite's <c>current_time</c> is today's clock time.</param>
    public static EhrSqlGoldCheckResult Run(string databasePath, IEnumerable<string> questionFiles, bool ehrSqlTime = false)
    {
        ArgumentNullException.ThrowIfNull(questionFiles);
        using var runner = new SqliteQueryRunner(databasePath, TimeSpan.FromSeconds(10), 100_000);
        int answerable = 0, failed = 0, nonEmpty = 0, nonNull = 0;
        var errors = new List<string>();
        foreach (var file in questionFiles)
        {
            using var document = ReadQuestions(file);
            foreach (var record in document.RootElement.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.Object))
            {
                var query = record.TryGetProperty("query", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString()!.Trim() : string.Empty;
                var impossible = record.TryGetProperty("is_impossible", out var i) && i.ValueKind == JsonValueKind.True;
                if (impossible || query.Length == 0 || query.Equals("nan", StringComparison.OrdinalIgnoreCase) || query.Equals("null", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                answerable++;
                if (ehrSqlTime)
                {
                    query = RewriteTime(query);
                }

                var result = runner.Execute(query, allowTrailingText: false);
                if (!result.Succeeded)
                {
                    failed++;
                    if (errors.Count < 20)
                    {
                        errors.Add($"{(record.TryGetProperty("id", out var id) ? id.ToString() : "?")}: {result.Error}");
                    }

                    continue;
                }

                if (result.Rows.Count > 0)
                {
                    nonEmpty++;
                    if (result.Rows.Any(r => r.Any(v => v is not null)))
                    {
                        nonNull++;
                    }
                }
            }
        }

        return new EhrSqlGoldCheckResult(answerable, failed, nonEmpty, nonNull, errors);
    }

    /// <summary>EHRSQL's time post-processing: <c>current_time</c> → the fixed "now", <c>%y</c> → <c>%Y</c>.</summary>
    public static string RewriteTime(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return CurrentTime().Replace(query, $"'{SyntheticEicuDatabase.Now}'").Replace("%y", "%Y", StringComparison.Ordinal);
    }

    /// <summary>
    /// A question file as a JSON array; a file that is missing, not a regular file, not UTF-8, not valid JSON (also a lone
    /// surrogate escape) or not an array is a <see cref="DatasetFormatException"/> naming it and the line.
    /// </summary>
    private static JsonDocument ReadQuestions(string file)
    {
        var report = new DatasetValidationReport();
        var source = SourceText.Load(file, report, ImportLimits.Default, lineOriented: false);
        var document = source is null ? null : JsonSource.Parse(source, report);
        report.ThrowIfInvalid();
        if (document!.RootElement.ValueKind != JsonValueKind.Array)
        {
            document.Dispose();
            throw new DatasetFormatException(file, null, null, "expected a JSON array of questions (EHRSQL's test.json or valid.json)", 1);
        }

        return document;
    }

    [GeneratedRegex(@"\bcurrent_time\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CurrentTime();
}
