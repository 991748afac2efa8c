using System.Globalization;
using System.Text;

namespace MedHelm.Application.Reports.Decision;

/// <summary>
/// Table 1 as CSV (<c>--format csv</c>), one row per model in rank order: <c>model, mean_win_rate, win_rate_ci_low,
/// win_rate_ci_high, win_rate_sd, macro_average, macro_ci_low, macro_ci_high, macro_sd</c>, one column per category
/// (CDS, CNG, ...), then one column per benchmark holding its normalized score. Invariant culture, full precision, an
/// empty cell where undefined; RFC 4180 quoting.
/// </summary>
public sealed class DecisionReportCsvFormatter : IDecisionReportFormatter
{
    /// <inheritdoc />
    public string Name => "csv";

    /// <inheritdoc />
    public string Extension => "csv";

    /// <inheritdoc />
    public string Format(DecisionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var table = report.Table;
        var text = new StringBuilder();
        Line(text, [
            "model", "mean_win_rate", "win_rate_ci_low", "win_rate_ci_high", "win_rate_sd", "macro_average", "macro_ci_low", "macro_ci_high", "macro_sd",
            .. table.CategoryColumns, .. table.Benchmarks.Select(b => b.Name),
        ]);
        foreach (var row in table.Rows)
        {
            Line(text, [
                row.Model, N(row.MeanWinRate), N(row.MeanWinRateCi?.Lower), N(row.MeanWinRateCi?.Upper), N(row.WinRateSd),
                N(row.MacroAverage), N(row.MacroAverageCi?.Lower), N(row.MacroAverageCi?.Upper), N(row.MacroSd),
                .. table.CategoryColumns.Select(c => N(row.Category(c)?.Mean)),
                .. table.Benchmarks.Select(b => N(row.Cell(b.Name)?.Normalized)),
            ]);
        }

        return text.ToString();
    }

    /// <summary>Appends one CSV line (RFC 4180 quoting), shared with the run report's CSV.</summary>
    internal static void Line(StringBuilder text, IEnumerable<string> cells) =>
        text.AppendJoin(',', cells.Select(Quote)).Append('\n');

    private static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;

    private static string N(double? value) => value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "";
}
