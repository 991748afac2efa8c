using System.Globalization;
using MedHelm.Core.Decision;

namespace MedHelm.Application.Reports.Decision.Html;

/// <summary>The report's charts as inline SVG: the heatmap of normalized scores and cost against win rate (MedHELM's Figure 5).</summary>
public static class DecisionCharts
{
    private const double Cell = 26;

    /// <summary>
    /// Models (rows, Table 1's order) × benchmarks (columns, grouped by category, catalog order): each cell's colour is
    /// the normalized score (white 0 → dark blue 1), its value printed inside; a missing cell is grey and hatched by title.
    /// </summary>
    public static string Heatmap(DecisionTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var columns = table.Benchmarks.Select((b, i) => (b, i)).OrderBy(x => CategoryIndex(table, x.b.Category)).ThenBy(x => x.i).Select(x => x.b).ToArray();
        double left = 12 + 7 * Math.Max(8, table.Rows.Select(r => r.Model.Length).DefaultIfEmpty(8).Max());
        const double top = 150;
        var width = left + Cell * columns.Length + 20;
        var height = top + Cell * table.Rows.Count + 40;
        var svg = new SvgWriter(width, height, "heatmap", "Heatmap of normalized scores, models by benchmarks grouped by category");
        var x = left;
        foreach (var group in columns.GroupBy(c => c.Category))
        {
            var count = group.Count();
            svg.Rect(x, 4, Cell * count - 2, 16, "#e8e8e8", $"{group.Key}: {count} benchmark(s)");
            svg.Text(x + (Cell * count - 2) / 2, 16, group.Key, "middle", 10, bold: true);
            x += Cell * count;
        }

        for (var c = 0; c < columns.Length; c++)
        {
            svg.Text(left + Cell * c + Cell / 2 + 3, top - 6, columns[c].DisplayName, "start", 9, -60);
        }

        for (var r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            var y = top + Cell * r;
            svg.Text(left - 6, y + Cell / 2 + 4, row.Model, "end", 11);
            for (var c = 0; c < columns.Length; c++)
            {
                var cell = row.Cell(columns[c].Name);
                var cx = left + Cell * c;
                if (cell is null)
                {
                    svg.Rect(cx, y, Cell - 2, Cell - 2, "#d0d0d0", $"{row.Model} × {columns[c].DisplayName}: no result");
                    continue;
                }

                var tip = $"{row.Model} × {columns[c].DisplayName}: {F(cell.Normalized)}" + (cell.NormalizedCi is { } ci ? $" [{F(ci.Lower)}, {F(ci.Upper)}]" : "") + $", {cell.Instances} instance(s)";
                svg.Rect(cx, y, Cell - 2, Cell - 2, Blue(cell.Normalized), tip, "heat-cell");
                svg.Text(cx + (Cell - 2) / 2, y + Cell / 2 + 3, F(cell.Normalized, "0.0#").TrimStart('0') is { Length: > 0 } t ? t : "0", "middle", 8, fill: cell.Normalized > 0.55 ? "#fff" : "#111");
            }
        }

        var legendY = top + Cell * table.Rows.Count + 14;
        for (var i = 0; i <= 10; i++)
        {
            svg.Rect(left + i * 18, legendY, 18, 10, Blue(i / 10.0));
        }

        svg.Text(left, legendY + 22, "0", "start", 9).Text(left + 11 * 18, legendY + 22, "1 (normalized score)", "end", 9);
        return svg.ToString();
    }

    /// <summary>
    /// Cost of each model's whole workload (x: what it cost, local device time or a hosted model's own price) against its
    /// mean win rate (y; the macro average when there is no win rate), as MedHELM's Figure 5 plots it. Models without a
    /// known cost are listed under the chart instead of being placed at zero.
    /// </summary>
    public static string CostChart(IReadOnlyList<ModelCost> models, string currency)
    {
        ArgumentNullException.ThrowIfNull(models);
        var useWinRate = models.Any(m => m.MeanWinRate is not null);
        var yLabel = useWinRate ? "mean win rate" : "macro average";
        var placed = models.Where(m => m.Cost.Total is not null).ToArray();
        const double left = 60, top = 20, plotW = 460, plotH = 260;
        var svg = new SvgWriter(left + plotW + 180, top + plotH + 70, "cost-chart", $"Cost ({currency}) against {yLabel} per model");
        svg.Rect(left, top, plotW, plotH, "#fafafa");
        svg.Line(left, top + plotH, left + plotW, top + plotH, "#222").Line(left, top, left, top + plotH, "#222");
        var maxCost = placed.Select(m => m.Cost.Total!.Value).DefaultIfEmpty(0).Max();
        var xMax = maxCost > 0 ? Nice(maxCost * 1.1) : 1;
        for (var i = 0; i <= 4; i++)
        {
            var fx = left + plotW * i / 4;
            var fy = top + plotH - plotH * i / 4;
            svg.Line(fx, top + plotH, fx, top + plotH + 4, "#222").Text(fx, top + plotH + 16, Money(xMax * i / 4), "middle", 9);
            svg.Line(left - 4, fy, left, fy, "#222").Text(left - 6, fy + 3, F(i / 4.0, "0.00"), "end", 9);
            svg.Line(left, fy, left + plotW, fy, "#e2e2e2", 0.5, dashed: true);
        }

        svg.Text(left + plotW / 2, top + plotH + 36, $"cost of the evaluation ({currency})", "middle", 11);
        svg.Text(16, top + plotH / 2, yLabel, "middle", 11, -90);
        string[] palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
        for (var i = 0; i < placed.Length; i++)
        {
            var m = placed[i];
            var yValue = useWinRate ? m.MeanWinRate ?? 0 : m.MacroAverage;
            var px = left + plotW * m.Cost.Total!.Value / xMax;
            var py = top + plotH - plotH * Math.Clamp(yValue, 0, 1);
            var colour = palette[i % palette.Length];
            svg.Circle(px, py, 6, colour, $"{m.Model}: {Money(m.Cost.Total.Value)} {currency}, {yLabel} {F(yValue)}", "cost-point");
            svg.Text(left + plotW + 16, top + 14 + 16 * i, m.Model, "start", 10).Circle(left + plotW + 8, top + 10 + 16 * i, 4, colour);
        }

        var unplaced = models.Where(m => m.Cost.Total is null).Select(m => m.Model).ToArray();
        if (placed.Length == 0)
        {
            svg.Text(left + plotW / 2, top + plotH / 2, "no model has a known cost (set Pricing in appsettings.json)", "middle", 11);
        }

        if (unplaced.Length > 0)
        {
            svg.Text(left, top + plotH + 56, $"not placed (cost unknown): {string.Join(", ", unplaced)}", "start", 9);
        }

        return svg.ToString();
    }

    /// <summary>White (0) to dark blue (1).</summary>
    public static string Blue(double value)
    {
        var v = Math.Clamp(double.IsFinite(value) ? value : 0, 0, 1);
        int Mix(int from, int to) => (int)Math.Round(from + (to - from) * v);
        return string.Create(CultureInfo.InvariantCulture, $"#{Mix(255, 8):x2}{Mix(255, 48):x2}{Mix(255, 107):x2}");
    }

    /// <summary>A number with three decimals (or the given format), invariantly.</summary>
    public static string F(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>An amount of money: 4 significant decimals below 1, 2 above.</summary>
    public static string Money(double value) => value.ToString(Math.Abs(value) < 1 ? "0.####" : "#,0.00", CultureInfo.InvariantCulture);

    private static int CategoryIndex(DecisionTable table, string category)
    {
        var i = table.CategoryColumns.ToList().IndexOf(category);
        return i < 0 ? int.MaxValue : i;
    }

    private static double Nice(double value)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.First(s => s * magnitude >= value);
        return step * magnitude;
    }
}
