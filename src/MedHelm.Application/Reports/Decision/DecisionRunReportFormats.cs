using System.Globalization;
using System.Text;
using MedHelm.Application.Errors;
using MedHelm.Application.Reports.Decision.Html;

namespace MedHelm.Application.Reports.Decision;

/// <summary>
/// The formats of <c>medhelm report --run</c>: <c>table</c> (Table 1 as <c>report --scores</c> prints it, then cost,
/// floors, jury, provenance), <c>json</c> (<see cref="DecisionRunReportJson"/>), <c>csv</c> (one row per model ×
/// benchmark: score, interval, data, tokens, time, cost; never text) and <c>html</c> (<see cref="DecisionHtmlReport"/>).
/// A report that holds text says so on its first line (in JSON, its first property).
/// </summary>
public static class DecisionRunReportFormats
{
    /// <summary>The names accepted by <c>--format</c>, the default first.</summary>
    public static IReadOnlyList<string> Names { get; } = ["table", "json", "csv", "html"];

    /// <summary>The report in the format <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="RequestValidationException">An unknown format.</exception>
    public static string Format(string name, DecisionRunReport report, DateTimeOffset generatedUtc)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(report);
        return name.ToLowerInvariant() switch
        {
            "table" => Text(report),
            "json" => DecisionRunReportJson.Format(report, generatedUtc),
            "csv" => Csv(report),
            "html" => DecisionHtmlReport.Render(report, generatedUtc),
            _ => throw new RequestValidationException($"Unknown report format '{name}'; the formats are {string.Join(", ", Names)}."),
        };
    }

    /// <summary>The plain-text report.</summary>
    public static string Text(DecisionRunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        if (report.IncludesText)
        {
            text.Append(DecisionRunReport.PatientTextWarning).Append("\n\n");
        }

        text.Append(new DecisionReportTextFormatter().Format(report.Decision)).Append('\n');
        var currency = report.Pricing.Currency;
        text.Append(CultureInfo.InvariantCulture, $"Cost per model ({(currency.Length == 0 ? "no prices configured" : currency)}; device seconds = measured wall seconds × devices)\n");
        var models = new TextGrid(["model", "instances", "prompt tok", "completion tok", "reasoning tok", "wall s", "device s", "tok/s", "cost", "per point", .. report.Pricing.Hosted.Select(h => $"{h.Name} est/actual")]);
        foreach (var m in report.Models)
        {
            var u = m.Cost.Usage;
            models.Add([m.Model, I(u.Instances), I(u.PromptTokens), I(u.CompletionTokens), I(u.ReasoningTokens), S(u.WallSeconds), S(u.DeviceSeconds), S(u.TokensPerSecond),
                M(m.Cost.Total), M(m.CostPerPoint), .. m.Cost.Hosted.Select(h => $"{M(h.Estimated)}/{M(h.Actual)}")]);
        }

        models.AppendTo(text);
        if (report.Jury.Count > 0)
        {
            text.Append("\nJury (apart)\n");
            var jury = new TextGrid(["judge", "benchmark", "rated", "wall s", "device cost"], 2);
            foreach (var j in report.Jury)
            {
                jury.Add([j.Judge, j.Benchmark, I(j.Rated), S(j.WallSeconds), j.Local ? M(j.Device) : "hosted"]);
            }

            jury.AppendTo(text);
        }

        if (report.Baselines.Count > 0)
        {
            text.Append("\nFloors\n");
            var floors = new TextGrid(["benchmark", "floor", "metric", "score", "instances", "method"], 3);
            foreach (var b in report.Baselines)
            {
                floors.Add([b.Benchmark, b.Name, b.Metric, F(b.Score), I(b.Instances), b.Method]);
            }

            floors.AppendTo(text);
        }

        text.Append("\nData\n");
        var data = new TextGrid(["model", "benchmark", "data", "instances", "computed", "dataset sha256", "runs"], 3);
        foreach (var p in report.Provenance)
        {
            data.Add([p.Model, p.Benchmark, p.Data is { } d ? DataOrigins.Name(d) + DataOrigins.Mark(d) : "?", I(p.Instances), I(p.Computed), string.Join(" ", p.DatasetSha256.Select(h => h.Length > 12 ? h[..12] : h)), string.Join(",", p.Runs)]);
        }

        data.AppendTo(text);
        foreach (var e in report.Examples)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nExample: {e.Benchmark} instance {e.InstanceId}\n--- prompt\n{e.Prompt}\n--- reference\n{e.Gold ?? "(none)"}\n");
            foreach (var a in e.Answers)
            {
                text.Append(CultureInfo.InvariantCulture, $"--- {a.Model} (score {(a.Score is { } score ? F(score) : "undefined")})\n{a.Output}\n");
                foreach (var explanation in a.Explanations)
                {
                    text.Append("    ").Append(explanation).Append('\n');
                }
            }
        }

        text.Append('\n');
        foreach (var note in report.Notes)
        {
            text.Append("note: ").Append(note).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>One CSV row per model × benchmark; never any text of instances.</summary>
    public static string Csv(DecisionRunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        Line(text, ["model", "benchmark", "score", "normalized", "ci_low", "ci_high", "win_rate", "instances", "undefined", "computed", "data", "dataset_sha256", "prompt_tokens",
            "completion_tokens", "reasoning_tokens", "max_output_tokens", "wall_seconds", "device_seconds", "device_cost", "energy_cost", "runs"]);
        foreach (var row in report.Table.Rows)
        {
            foreach (var cell in row.Cells)
            {
                var p = report.Provenance.First(x => x.Model == row.Model && x.Benchmark == cell.Benchmark);
                var u = report.Usage.First(x => x.Usage.Model == row.Model && x.Usage.Benchmark == cell.Benchmark);
                Line(text, [row.Model, cell.Benchmark, R(cell.Score), R(cell.Normalized), R(cell.NormalizedCi?.Lower), R(cell.NormalizedCi?.Upper), R(cell.WinRate),
                    I(cell.Instances), I(cell.Undefined), I(p.Computed), p.Data is { } d ? DataOrigins.Name(d) : "", string.Join(" ", p.DatasetSha256), I(u.Usage.PromptTokens),
                    I(u.Usage.CompletionTokens), I(u.Usage.ReasoningTokens), I(u.Usage.MaxOutputTokens), R(u.Usage.WallSeconds), R(u.Usage.DeviceSeconds), R(u.Device),
                    R(u.Energy), string.Join(" ", p.Runs)]);
            }
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, IEnumerable<string> cells) => DecisionReportCsvFormatter.Line(text, cells);

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string R(double? value) => value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    private static string F(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);

    private static string S(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static string M(double? value) => value is { } v ? Html.DecisionCharts.Money(v) : "-";
}
