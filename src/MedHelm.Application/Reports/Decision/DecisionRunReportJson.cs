using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedHelm.Application.Reports.Decision;

/// <summary>
/// The decision report of runs as JSON: <c>warning</c> first when it holds text, then Table 1 as
/// <see cref="DecisionReportJsonFormatter"/> writes it, then <c>runs</c>, <c>provenance</c>, <c>usage</c>,
/// <c>model_costs</c>, <c>jury_costs</c>, <c>pricing</c>, <c>baselines</c>, <c>jury_agreement</c>, <c>examples</c>
/// (only with text) and <c>report_notes</c>; snake_case, null where unknown.
/// </summary>
public static class DecisionRunReportJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>The report as indented JSON.</summary>
    public static string Format(DecisionRunReport report, DateTimeOffset generatedUtc)
    {
        ArgumentNullException.ThrowIfNull(report);
        var json = new JsonObject();
        if (report.IncludesText)
        {
            json["warning"] = DecisionRunReport.PatientTextWarning;
        }

        json["generated_utc"] = generatedUtc.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in DecisionReportJsonFormatter.ToJson(report.Decision).ToArray())
        {
            json[key] = value?.DeepClone();
        }

        json["runs"] = Array(report.Runs, r => new JsonObject
        {
            ["run_id"] = r.RunId, ["status"] = r.Status, ["started_utc"] = r.StartedUtc.UtcDateTime.ToString("O"), ["app_version"] = r.AppVersion, ["llama_cpp"] = r.LlamaCpp,
            ["machine"] = r.Machine, ["gpu"] = r.Gpu, ["config_sha256"] = r.ConfigSha256, ["models"] = Strings(r.Models), ["judges"] = Strings(r.Judges), ["results"] = r.Results,
        });
        json["provenance"] = Array(report.Provenance, p => new JsonObject
        {
            ["model"] = p.Model, ["benchmark"] = p.Benchmark, ["data"] = p.Data is { } d ? DataOrigins.Name(d) : null, ["source"] = p.Source,
            ["dataset_sha256"] = Strings(p.DatasetSha256), ["files"] = Strings(p.Files), ["instances"] = p.Instances, ["computed"] = p.Computed,
            ["sub_runs"] = Strings(p.SubRuns), ["runs"] = Strings(p.Runs),
        });
        json["usage"] = Array(report.Usage, Cost);
        json["model_costs"] = Array(report.Models, m => new JsonObject
        {
            ["model"] = m.Model, ["macro_average"] = m.MacroAverage, ["mean_win_rate"] = m.MeanWinRate, ["cost"] = m.Cost.Total, ["cost_per_point"] = m.CostPerPoint,
            ["totals"] = Cost(m.Cost), ["hosted_per_point"] = Array(m.HostedPerPoint, h => new JsonObject { ["price_list"] = h.PriceList, ["per_point"] = h.PerPoint }),
        });
        json["jury_costs"] = Array(report.Jury, j => new JsonObject
        {
            ["judge"] = j.Judge, ["benchmark"] = j.Benchmark, ["local"] = j.Local, ["rated"] = j.Rated, ["wall_seconds"] = j.WallSeconds, ["device_cost"] = j.Device, ["energy_cost"] = j.Energy,
        });
        var p = report.Pricing;
        json["pricing"] = new JsonObject
        {
            ["currency"] = p.Currency, ["device_hour_price"] = p.DeviceHourPrice, ["device_power_kw"] = p.DevicePowerKw, ["energy_price_per_kwh"] = p.EnergyPricePerKwh,
            ["hosted"] = Array(p.Hosted, h => new JsonObject { ["name"] = h.Name, ["prompt_per_million"] = h.PromptPerMillion, ["completion_per_million"] = h.CompletionPerMillion }),
        };
        json["baselines"] = Array(report.Baselines, b => new JsonObject
        {
            ["name"] = b.Name, ["benchmark"] = b.Benchmark, ["metric"] = b.Metric, ["score"] = b.Score, ["instances"] = b.Instances, ["method"] = b.Method, ["prediction"] = b.Prediction,
        });
        json["jury_agreement"] = Array(report.Agreement, a => new JsonObject
        {
            ["benchmark"] = a.Benchmark, ["model"] = a.Model, ["first"] = a.First, ["second"] = a.Second, ["instances"] = a.Instances,
            ["spearman"] = Finite(a.Spearman), ["icc21"] = Finite(a.Icc21),
        });
        if (report.IncludesText)
        {
            json["examples"] = Array(report.Examples, e => new JsonObject
            {
                ["benchmark"] = e.Benchmark, ["instance_id"] = e.InstanceId, ["prompt"] = e.Prompt, ["gold"] = e.Gold,
                ["answers"] = Array(e.Answers, a => new JsonObject { ["model"] = a.Model, ["output"] = a.Output, ["score"] = a.Score, ["explanations"] = Strings(a.Explanations) }),
            });
        }

        json["report_notes"] = Strings(report.Notes);
        return json.ToJsonString(Options) + "\n";
    }

    private static JsonObject Cost(Cost c) => new()
    {
        ["model"] = c.Usage.Model, ["benchmark"] = c.Usage.Benchmark, ["local"] = c.Usage.Local, ["instances"] = c.Usage.Instances, ["computed"] = c.Usage.Computed,
        ["prompt_tokens"] = c.Usage.PromptTokens, ["completion_tokens"] = c.Usage.CompletionTokens, ["reasoning_tokens"] = c.Usage.ReasoningTokens,
        ["max_output_tokens"] = c.Usage.MaxOutputTokens, ["wall_seconds"] = c.Usage.WallSeconds, ["device_seconds"] = c.Usage.DeviceSeconds,
        ["tokens_per_second"] = c.Usage.TokensPerSecond, ["peak_memory"] = null, ["device_cost"] = c.Device, ["energy_cost"] = c.Energy,
        ["hosted"] = Array(c.Hosted, h => new JsonObject { ["price_list"] = h.PriceList, ["estimated"] = h.Estimated, ["actual"] = h.Actual }),
    };

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());

    private static JsonArray Array<T>(IEnumerable<T> items, Func<T, JsonNode> map) => new(items.Select(map).ToArray());
}
