using System.Globalization;
using System.Text;
using MedHelm.Core.Decision;

namespace MedHelm.Application.Reports.Decision;

/// <summary>
/// The decision report as plain text (<c>--format table</c>): the sources, Table 1 (mean win rate with its interval, win
/// SD, macro average with its interval, SD, category means, benchmarks counted), the notes, the normalized score of
/// every model × benchmark and, when asked for, the paired comparison. Numbers with 3 decimals, "-" where undefined.
/// </summary>
public sealed class DecisionReportTextFormatter : IDecisionReportFormatter
{
    /// <inheritdoc />
    public string Name => "table";

    /// <inheritdoc />
    public string Extension => "txt";

    /// <inheritdoc />
    public string Format(DecisionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        var table = report.Table;
        foreach (var s in report.Sources)
        {
            text.Append(CultureInfo.InvariantCulture, $"source    {s.Kind} {s.Name}{(s.Sha256 is null ? "" : " sha256 " + s.Sha256)}{(s.Detail.Length > 0 ? ": " + s.Detail : "")}\n");
        }

        var intervals = table.Options.BootstrapReplicates > 0 && table.Rows.Any(r => r.MacroAverageCi is not null);
        text.Append("method    MedHELM Table 1: mean win rate, win SD, macro average of normalized scores (jury (x - 1) / 4), SD, category means");
        text.Append(intervals
            ? string.Create(CultureInfo.InvariantCulture, $"; {table.Options.Confidence:P0} percentile bootstrap, {table.Options.BootstrapReplicates} replicates, seed {table.Options.Seed}\n")
            : "\n");
        text.Append('\n');
        AppendTable1(text, table, intervals);
        if (table.Notes.Count > 0)
        {
            text.Append('\n');
            foreach (var note in table.Notes)
            {
                text.Append("note: ").Append(note).Append('\n');
            }
        }

        text.Append('\n');
        AppendScores(text, table);
        if (report.Comparison is { } comparison)
        {
            text.Append('\n');
            AppendComparison(text, comparison);
        }

        return text.ToString();
    }

    private static void AppendTable1(StringBuilder text, DecisionTable table, bool intervals)
    {
        var ci = string.Create(CultureInfo.InvariantCulture, $"{table.Options.Confidence * 100:0.#}% CI");
        List<string> header = ["Model", "Win rate"];
        if (intervals)
        {
            header.Add(ci);
        }

        header.AddRange(["Win SD", "Macro-avg"]);
        if (intervals)
        {
            header.Add(ci);
        }

        header.Add("SD");
        header.AddRange(table.CategoryColumns);
        header.Add("Benchmarks");
        var grid = new TextGrid(header);
        foreach (var row in table.Rows)
        {
            List<string> cells = [row.Model, F(row.MeanWinRate)];
            if (intervals)
            {
                cells.Add(Ci(row.MeanWinRateCi));
            }

            cells.AddRange([F(row.WinRateSd), F(row.MacroAverage)]);
            if (intervals)
            {
                cells.Add(Ci(row.MacroAverageCi));
            }

            cells.Add(F(row.MacroSd));
            cells.AddRange(table.CategoryColumns.Select(c => F(row.Category(c)?.Mean)));
            cells.Add(row.Cells.Count.ToString(CultureInfo.InvariantCulture));
            grid.Add(cells);
        }

        grid.AppendTo(text);
    }

    private static void AppendScores(StringBuilder text, DecisionTable table)
    {
        text.Append("Normalized scores (0-1) per benchmark\n");
        var grid = new TextGrid(["Benchmark", "Category", .. table.Rows.Select(r => r.Model)], leftColumns: 2);
        foreach (var benchmark in table.Benchmarks)
        {
            grid.Add([benchmark.Name, benchmark.Category, .. table.Rows.Select(r => F(r.Cell(benchmark.Name)?.Normalized))]);
        }

        grid.AppendTo(text);
    }

    private static void AppendComparison(StringBuilder text, PairedComparisonResult comparison)
    {
        text.Append(CultureInfo.InvariantCulture, $"Paired comparison: {comparison.First} - {comparison.Second} (normalized; MDE at 80% power, alpha 0.05)\n");
        var ci = string.Create(CultureInfo.InvariantCulture, $"{comparison.Options.Confidence * 100:0.#}% CI");
        var grid = new TextGrid(["Benchmark", "Pairs", comparison.First, comparison.Second, "Difference", ci, "McNemar b/c", "p", "MDE", "Note"]);
        foreach (var c in comparison.Benchmarks)
        {
            grid.Add([
                c.Benchmark, c.PairedInstances.ToString(CultureInfo.InvariantCulture), F(c.First), F(c.Second), F(c.Difference), Ci(c.DifferenceCi),
                c.McNemar is { } m ? string.Create(CultureInfo.InvariantCulture, $"{m.OnlyFirstCorrect}/{m.OnlySecondCorrect}") : "-",
                c.McNemar is { } t ? t.PValue.ToString("0.0000", CultureInfo.InvariantCulture) : "-",
                F(c.MinimumDetectableEffect), c.Note ?? "",
            ]);
        }

        grid.AppendTo(text);
    }

    private static string F(double? value) => value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "-";

    private static string Ci(ConfidenceInterval? ci) =>
        ci is { } c ? string.Create(CultureInfo.InvariantCulture, $"[{c.Lower:0.000}, {c.Upper:0.000}]") : "-";
}
