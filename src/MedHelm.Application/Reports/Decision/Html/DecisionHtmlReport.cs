using System.Globalization;
using MedHelm.Core.Decision;
using static MedHelm.Application.Reports.Decision.Html.DecisionCharts;

namespace MedHelm.Application.Reports.Decision.Html;

/// <summary>
/// The decision report as one self-contained HTML file: inline style, inline SVG charts, no script, font, image or link
/// to anything outside it; a Content-Security-Policy meta tag (<see cref="ContentSecurityPolicy"/>) makes the browser
/// refuse anything else. Every text is HTML-encoded. A print stylesheet keeps it readable as PDF.
/// </summary>
public static partial class DecisionHtmlReport
{
    /// <summary>Nothing may load: inline styles and data: images only.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

    /// <summary>The whole page.</summary>
    public static string Render(DecisionRunReport report, DateTimeOffset generatedUtc)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new HtmlBuilder();
        if (report.IncludesText)
        {
            html.Raw("<!-- ").Text(report.IncludesText ? DecisionRunReport.PatientTextWarning : "").Raw(" -->\n");
        }

        html.Raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Raw($"<meta http-equiv=\"Content-Security-Policy\" content=\"{SvgWriter.Encode(ContentSecurityPolicy)}\">")
            .Raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>MedHELM decision report</title><style>")
            .Raw(Style).Raw("</style></head><body><main>");
        if (report.IncludesText)
        {
            html.P(DecisionRunReport.PatientTextWarning, "warning");
        }

        html.Raw("<h1>MedHELM decision report</h1>")
            .P($"Generated {generatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)} from {string.Join(", ", report.Decision.Sources.Select(r => $"{r.Kind} {r.Name}"))}: "
               + $"{report.Table.Rows.Count} model(s) × {report.Table.Benchmarks.Count} benchmark(s).");
        DataCaveat(html, report);
        Leaderboard(html, report);
        html.Section("heatmap-section", "Normalized scores by benchmark").Raw("<div class=\"chart\">").Raw(Heatmap(report.Table)).Raw("</div>")
            .P("Each cell is a model's score on one benchmark on 0-1 (jury scores (x − 1) / 4); benchmarks grouped by MedHELM category. Hover a cell for its interval.").End();
        Categories(html, report);
        Comparison(html, report);
        Costs(html, report);
        Baselines(html, report);
        Detail(html, report);
        Agreement(html, report);
        Examples(html, report);
        Provenance(html, report);
        html.Section("notes", "Notes").Raw("<ul>");
        foreach (var note in report.Table.Notes.Concat(report.Notes))
        {
            html.Raw("<li>").Text(note).Raw("</li>");
        }

        return html.Raw("</ul>").End().Raw("</main></body></html>\n").ToString();
    }

    private static void DataCaveat(HtmlBuilder html, DecisionRunReport report)
    {
        var marked = report.Provenance.Where(p => p.Data is DataOrigin.Bundled or DataOrigin.Synthetic).Select(p => p.Benchmark).Distinct().Count();
        if (marked > 0)
        {
            html.P($"{marked} benchmark(s) ran on bundled excerpts or synthetic stand-ins ({DataOrigins.Legend}): a demonstration of the pipeline, not a measurement of the models.", "caveat");
        }
    }

    private static void Leaderboard(HtmlBuilder html, DecisionRunReport report)
    {
        var t = report.Table;
        var headers = new List<string> { "#", "Model", "Mean win rate [95% CI]", "Win SD", "Macro average [95% CI]", "Macro SD", "Benchmarks" };
        headers.AddRange(t.CategoryColumns);
        html.Section("table1", "Leaderboard (MedHELM Table 1)");
        html.Table("leaderboard", headers, t.Rows.Select((r, i) =>
        {
            var cells = new List<string>
            {
                (i + 1).ToString(CultureInfo.InvariantCulture), r.Model, WithCi(r.MeanWinRate, r.MeanWinRateCi), Opt(r.WinRateSd), WithCi(r.MacroAverage, r.MacroAverageCi),
                Opt(r.MacroSd), r.Cells.Count.ToString(CultureInfo.InvariantCulture),
            };
            cells.AddRange(t.CategoryColumns.Select(c => r.Category(c) is { } m ? F(m.Mean) : "–"));
            return (IReadOnlyList<string>)cells;
        }));
        html.P($"Mean win rate: per benchmark, the share of other models a model beats (ties count half), averaged over the benchmarks where at least two models have a score. Intervals: {t.Options.BootstrapReplicates} bootstrap replicates of the instances, seed {t.Options.Seed}.").End();
    }

    private static void Categories(HtmlBuilder html, DecisionRunReport report)
    {
        var subcategories = report.Table.Rows.SelectMany(r => r.Subcategories.Select(s => s.Name)).Distinct(StringComparer.Ordinal).ToArray();
        html.Section("categories", "Category and subcategory means");
        html.Table("category-means", ["Model", .. report.Table.CategoryColumns], report.Table.Rows.Select(r =>
            (IReadOnlyList<string>)[r.Model, .. report.Table.CategoryColumns.Select(c => r.Category(c) is { } m ? $"{F(m.Mean)} ({m.Benchmarks})" : "–")]));
        html.Table("subcategory-means", ["Subcategory", .. report.Table.Rows.Select(r => r.Model)], subcategories.Select(s =>
            (IReadOnlyList<string>)[s, .. report.Table.Rows.Select(r => r.Subcategories.FirstOrDefault(x => x.Name == s) is { } m ? F(m.Mean) : "–")]));
        html.P("Plain means of the normalized scores of the benchmarks inside each group; the count of benchmarks in brackets.").End();
    }

    private static void Comparison(HtmlBuilder html, DecisionRunReport report)
    {
        if (report.Decision.Comparison is not { } c)
        {
            return;
        }

        html.Section("comparison-section", $"Paired comparison: {c.First} against {c.Second}");
        html.Table("comparison", ["Benchmark", "Paired instances", c.First, c.Second, "Difference", F(c.Options.Confidence * 100, "0.#") + "% CI", "McNemar b / c", "p", "MDE", "Note"],
            c.Benchmarks.Select(b => (IReadOnlyList<string>)
            [
                b.Benchmark, b.PairedInstances.ToString(CultureInfo.InvariantCulture), F(b.First), F(b.Second), F(b.Difference), b.DifferenceCi is { } d ? $"[{F(d.Lower)}, {F(d.Upper)}]" : "–",
                b.McNemar is { } m ? $"{m.OnlyFirstCorrect} / {m.OnlySecondCorrect}" : "–", b.McNemar is { } t ? F(t.PValue, "0.0000") : "–", Opt(b.MinimumDetectableEffect), b.Note ?? "",
            ]), "Normalized scores on the instances both models answered; b / c: instances only the first / only the second got right");
        html.P("The difference's interval is a paired bootstrap over the shared instances; p is McNemar's exact test (0/1 scores only); "
               + "MDE is the smallest difference this many instances would detect with 80% power at alpha 0.05.").End();
    }

    private static string WithCi(double? value, ConfidenceInterval? ci) =>
        value is not { } v ? "–" : ci is { } c ? $"{F(v)} [{F(c.Lower)}, {F(c.Upper)}]" : F(v);

    private static string Opt(double? value) => value is { } v && double.IsFinite(v) ? F(v) : "–";

    private const string Style =
        """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#111;margin:0;background:#fff}
        main{max-width:1200px;margin:0 auto;padding:16px 24px}
        h1{font-size:1.6em;margin:.4em 0}h2{font-size:1.25em;border-bottom:2px solid #08306b;padding-bottom:2px;margin-top:1.6em}h3{font-size:1.05em}
        table{border-collapse:collapse;margin:.5em 0 1em;font-size:.85em}caption{text-align:left;font-weight:bold;padding:4px 0}
        th,td{border:1px solid #c8c8c8;padding:3px 6px;vertical-align:top}th{background:#eef2f7;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
        tbody tr:nth-child(even){background:#f8f8f8}
        .chart{overflow-x:auto}.warning{background:#b00020;color:#fff;padding:8px;font-weight:bold}.caveat{background:#fff4d6;border-left:4px solid #e0a000;padding:6px}
        pre{white-space:pre-wrap;word-break:break-word;background:#f4f4f4;padding:6px;font-size:.8em;max-height:24em;overflow:auto}
        @media print{main{max-width:none;padding:0}h2{break-after:avoid}tr,svg,pre{break-inside:avoid}pre{max-height:none;overflow:visible}.chart{overflow:visible}
        body{font-size:10pt}a{color:inherit;text-decoration:none}}
        @page{size:A4 landscape;margin:12mm}
        """;
}
