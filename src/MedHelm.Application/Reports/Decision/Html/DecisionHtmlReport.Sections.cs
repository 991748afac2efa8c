using System.Globalization;
using static MedHelm.Application.Reports.Decision.Html.DecisionCharts;

namespace MedHelm.Application.Reports.Decision.Html;

/// <summary>The cost, floors, detail, agreement, examples and provenance sections.</summary>
public static partial class DecisionHtmlReport
{
    private static void Costs(HtmlBuilder html, DecisionRunReport report)
    {
        var p = report.Pricing;
        var currency = string.IsNullOrWhiteSpace(p.Currency) ? "(no currency)" : p.Currency;
        html.Section("cost-section", "Cost and performance, measured");
        html.P(PricingLine(report));
        html.Raw("<div class=\"chart\">").Raw(CostChart(report.Models, currency)).Raw("</div>");
        html.Table("model-costs", ["Model", "Instances", "Prompt tokens", "Completion tokens", "Reasoning tokens", "Wall s", "Device s", "Tokens/s", $"Cost ({currency})", "Per point of macro average", "Macro average"],
            report.Models.Select(m => (IReadOnlyList<string>)
            [
                m.Model, I(m.Cost.Usage.Instances), I(m.Cost.Usage.PromptTokens), I(m.Cost.Usage.CompletionTokens), I(m.Cost.Usage.ReasoningTokens),
                S(m.Cost.Usage.WallSeconds), S(m.Cost.Usage.DeviceSeconds), S(m.Cost.Usage.TokensPerSecond), M(m.Cost.Total), M(m.CostPerPoint), F(m.MacroAverage),
            ]), "Per model, all benchmarks (cost: local device time, or a hosted model at its own price list)");
        if (p.Hosted.Count > 0)
        {
            var headers = new List<string> { "Model", $"Local ({currency})" };
            foreach (var h in p.Hosted)
            {
                headers.Add($"{h.Name}: MedHELM estimate");
                headers.Add($"{h.Name}: actual tokens");
                headers.Add($"{h.Name}: per point");
            }

            html.Table("local-vs-hosted", headers, report.Models.Select(m =>
            {
                var cells = new List<string> { m.Model, M(m.Cost.Usage.Local ? m.Cost.Total : null) };
                foreach (var (hosted, perPoint) in m.Cost.Hosted.Zip(m.HostedPerPoint))
                {
                    cells.AddRange([M(hosted.Estimated), M(hosted.Actual), M(perPoint.PerPoint)]);
                }

                return (IReadOnlyList<string>)cells;
            }), "Local against hosted: the same tokens at each configured price list (MedHELM's estimate charges every instance the benchmark's maximum output: an upper bound)");
        }

        html.Table("usage", ["Model", "Benchmark", "Instances", "Computed", "Prompt", "Completion", "Reasoning", "Max output (MedHELM)", "Wall s", "Device s", "Tokens/s", "Device cost", "Energy cost"],
            report.Usage.Select(c => (IReadOnlyList<string>)
            [
                c.Usage.Model, c.Usage.Benchmark, I(c.Usage.Instances), I(c.Usage.Computed), I(c.Usage.PromptTokens), I(c.Usage.CompletionTokens), I(c.Usage.ReasoningTokens),
                I(c.Usage.MaxOutputTokens), S(c.Usage.WallSeconds), S(c.Usage.DeviceSeconds), S(c.Usage.TokensPerSecond), M(c.Device), M(c.Energy),
            ]), "Per model × benchmark");
        if (report.Jury.Count > 0)
        {
            html.Table("jury-costs", ["Judge", "Benchmark", "Where", "Outputs rated", "Wall s", "Device cost", "Energy cost"], report.Jury.Select(j => (IReadOnlyList<string>)
            [
                j.Judge, j.Benchmark, j.Local ? "local" : "hosted (tokens not recorded)", I(j.Rated), S(j.WallSeconds), M(j.Device), M(j.Energy),
            ]), $"Jury, shown apart (total device cost {M(Sum(report.Jury.Select(j => j.Device)))})");
        }

        html.P(DecisionRunReport.PeakMemoryNote).End();
    }

    private static string PricingLine(DecisionRunReport report)
    {
        var p = report.Pricing;
        var device = p.DeviceHourPrice is { } d ? $"{M(d)} {p.Currency} per device-hour" : "device-hour price not configured";
        var energy = p.DevicePowerKw is { } kw && p.EnergyPricePerKwh is { } kwh ? $", energy {M(kw)} kW at {M(kwh)} {p.Currency}/kWh" : ", energy not priced";
        var hosted = p.Hosted.Count == 0 ? "no hosted price lists" : string.Join("; ", p.Hosted.Select(h => $"{h.Name}: {M(h.PromptPerMillion)} / {M(h.CompletionPerMillion)} per 1M prompt / completion tokens"));
        return $"Prices from the configuration (Pricing): {device}{energy}; {hosted}. Wall time is measured around each model × benchmark; device seconds = wall seconds × devices held.";
    }

    private static void Baselines(HtmlBuilder html, DecisionRunReport report)
    {
        if (report.Baselines.Count == 0)
        {
            return;
        }

        html.Section("baselines", "Floors (baselines)");
        html.Table("baseline-scores", ["Benchmark", "Floor", "Metric", "Score", "Instances", "Method", "Answer"], report.Baselines.Select(b => (IReadOnlyList<string>)
            [b.Benchmark, b.Name, b.Metric, F(b.Score), I(b.Instances), b.Method, b.Prediction]));
        html.P("Synthetic predictions scored with the project's own metrics over the same instances. Random choice is its exact expectation (no sampling). \"Copy the input\" is scored with ROUGE-L: compare it with the models' ROUGE-L, not with their jury score.").End();
    }

    private static void Detail(HtmlBuilder html, DecisionRunReport report)
    {
        html.Section("benchmarks", "Per benchmark");
        foreach (var b in report.Table.Benchmarks)
        {
            var metric = report.Metrics.GetValueOrDefault(b.Name, "");
            html.H3($"{b.DisplayName} ({b.Name}) · {b.Category} · {b.Subcategory} · {metric}{(b.JuryScored ? " (jury, normalized)" : "")}");
            var rows = report.Table.Rows.Select(r => (r.Model, Cell: r.Cell(b.Name))).Where(x => x.Cell is not null).Select(x =>
            {
                var prov = report.Provenance.FirstOrDefault(p => p.Model == x.Model && p.Benchmark == b.Name);
                var cell = x.Cell!;
                return (IReadOnlyList<string>)
                [
                    x.Model + DataOrigins.Mark(prov?.Data), F(cell.Score), cell.NormalizedCi is { } ci ? $"[{F(ci.Lower)}, {F(ci.Upper)}]" : "–",
                    cell.WinRate is { } w ? F(w) : "–", cell.Undefined > 0 ? $"{I(cell.Instances)} (+{I(cell.Undefined)} undefined)" : I(cell.Instances), I(cell.SubRuns),
                ];
            });
            var floors = report.Baselines.Where(f => f.Benchmark == b.Name)
                .Select(f => (IReadOnlyList<string>)[$"floor: {f.Name}{(f.Metric != metric ? $" ({f.Metric})" : "")}", F(f.Score), "–", "–", I(f.Instances), "–"]);
            html.Table($"detail-{b.Name}", ["Model", "Score", "95% CI", "Win rate here", "Instances", "Sub-runs"], rows.Concat(floors));
        }

        html.End();
    }

    private static void Agreement(HtmlBuilder html, DecisionRunReport report)
    {
        if (report.Agreement.Count == 0)
        {
            return;
        }

        html.Section("jury-agreement", "Jury agreement");
        html.Table("agreement", ["Benchmark", "Model", "Judges", "Instances", "Spearman", "ICC(2,1)"], report.Agreement.Select(a => (IReadOnlyList<string>)
            [a.Benchmark, a.Model, $"{a.First} / {a.Second}", I(a.Instances), Opt(a.Spearman), Opt(a.Icc21)]));
        html.P("Agreement of each pair of judges on the instances both rated (Spearman's rho and ICC(2,1) of their mean criterion scores); – where undefined (fewer than two instances, or no variance).").End();
    }

    private static void Examples(HtmlBuilder html, DecisionRunReport report)
    {
        if (!report.IncludesText)
        {
            return;
        }

        html.Section("examples", "Example instances (patient text)");
        foreach (var e in report.Examples)
        {
            html.H3($"{e.Benchmark} · instance {e.InstanceId}").P("Prompt").Pre(e.Prompt).P("Reference").Pre(e.Gold ?? "(none)");
            foreach (var a in e.Answers)
            {
                html.P($"{a.Model} (score {(a.Score is { } score ? F(score) : "undefined")})").Pre(a.Output);
                if (a.Explanations.Count > 0)
                {
                    html.Pre(string.Join("\n", a.Explanations));
                }
            }
        }

        html.End();
    }

    private static void Provenance(HtmlBuilder html, DecisionRunReport report)
    {
        html.Section("provenance", "Run provenance");
        html.Table("sources", ["Source", "Name", "SHA-256", "Detail"], report.Decision.Sources.Select(x => (IReadOnlyList<string>)[x.Kind, x.Name, x.Sha256 ?? "–", x.Detail]));
        if (report.Runs.Count == 0)
        {
            html.End();
            return;
        }

        html.Table("runs", ["Run", "Status", "Started (UTC)", "MedHelm", "llama.cpp", "Machine", "GPU", "Config SHA-256", "Models", "Judges", "Results"], report.Runs.Select(r => (IReadOnlyList<string>)
        [
            r.RunId, r.Status, r.StartedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), r.AppVersion, r.LlamaCpp ?? "–", r.Machine, r.Gpu ?? "–",
            r.ConfigSha256, string.Join("; ", r.Models), string.Join("; ", r.Judges), I(r.Results),
        ]));
        html.Table("cell-provenance", ["Model", "Benchmark", "Data", "Source", "Dataset SHA-256", "Files", "Instances", "Computed", "Sub-runs", "Runs"], report.Provenance.Select(p => (IReadOnlyList<string>)
        [
            p.Model, p.Benchmark, p.Data is { } d ? DataOrigins.Name(d) + DataOrigins.Mark(d) : "not recorded", p.Source, string.Join(" ", p.DatasetSha256),
            p.Files.Count == 0 ? "–" : string.Join("; ", p.Files), I(p.Instances), I(p.Computed), p.SubRuns.Count == 0 ? "–" : string.Join(", ", p.SubRuns), string.Join(", ", p.Runs),
        ]));
        html.P(DataOrigins.Legend).End();
    }

    private static string I(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    private static string S(double? value) => value is { } v ? v.ToString("#,0.0", CultureInfo.InvariantCulture) : "not measured";

    private static string M(double? value) => value is { } v ? Money(v) : "–";

    private static double? Sum(IEnumerable<double?> values)
    {
        var known = values.OfType<double>().ToArray();
        return known.Length == 0 ? null : known.Sum();
    }
}
