using System.Globalization;
using MedHelm.Application.Ports;
using MedHelm.Service.Apis;

namespace MedHelm.Service.Dashboard;

/// <summary>A jury rating on the run page; the explanation is patient text (it may quote the output) and is null unless it was asked for by a role that may see it.</summary>
public sealed record JuryRatingView(string Model, string Benchmark, string InstanceId, string Judge, string Criterion, double? Rating, string? Explanation);

/// <summary>What the run page shows.</summary>
/// <param name="Run">The run's status, counts and live progress (as <c>GET /api/v1/runs/{id}</c>).</param>
/// <param name="Results">Its per-instance results; outputs filled only when <paramref name="WithText"/>.</param>
/// <param name="Jury">Its jury ratings; explanations filled only when <paramref name="WithText"/>.</param>
/// <param name="WithText">Patient text was asked for (and audited) by a role that may see it.</param>
/// <param name="MaySeeText">The user's role may ask for patient text (offers the link).</param>
public sealed record RunDetailModel(RunView Run, IReadOnlyList<RunResultRow> Results, IReadOnlyList<JuryRatingView> Jury, bool WithText, bool MaySeeText);

/// <summary>The start-a-run form's choices, its values (when shown again) and its antiforgery field.</summary>
/// <param name="Models">Value (a configured or endpoint name, or a recorded model's file) and label of each model.</param>
/// <param name="Benchmarks">Benchmark names.</param>
/// <param name="AntiforgeryField">The hidden field's name.</param>
/// <param name="AntiforgeryToken">Its value.</param>
/// <param name="Values">The values sent, when the form is shown again with <paramref name="Error"/>.</param>
/// <param name="Error">Why the run was not queued, or null.</param>
public sealed record StartRunFormModel(
    IReadOnlyList<(string Value, string Label)> Models, IReadOnlyList<string> Benchmarks, string AntiforgeryField, string AntiforgeryToken,
    StartRunForm? Values = null, string? Error = null);

/// <summary>The fields the start-a-run form posts (strings, parsed by the endpoint with an error per field).</summary>
public sealed record StartRunForm(string? Model, string? Benchmark, string? MaxInstances, string? Jury, string? Samples, string? RunId);

public static partial class DashboardPages
{
    /// <summary>Rows shown per run page; the JSON API serves them all.</summary>
    public const int MaxResultRows = 500;

    private static readonly string[] Terminal = ["completed", "failed", "cancelled", "interrupted"];

    /// <summary>The runs, newest first; the script updates their status and counts from <c>GET /api/v1/runs</c>.</summary>
    public static Markup Runs(IReadOnlyList<RunView> runs, bool mayStart)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var html = new Html();
        if (mayStart)
        {
            html.Add($"<p><a href=\"/dashboard/runs/new\">Start a run</a></p>");
        }

        if (runs.Count == 0)
        {
            return html.Add($"<p id=\"runs-empty\">No run yet.</p>").ToMarkup();
        }

        html.Add($"<table id=\"runs-live\" data-status-url=\"/api/v1/runs\"><thead><tr><th>Run</th><th>Status</th><th>Results</th><th>Queued (UTC)</th><th>Started (UTC)</th><th>Finished (UTC)</th><th>By</th></tr></thead><tbody>");
        html.Each(runs, (h, r) => h.Add(
            $"<tr data-run-id=\"{r.RunId}\"><td><a href=\"{RunPath(r.RunId)}\">{r.RunId}</a></td><td><span class=\"run-status status-{r.Status}\">{r.Status}</span></td><td class=\"n run-results\">{r.Results}</td><td>{r.EnqueuedUtc:yyyy-MM-dd HH:mm:ss}</td><td>{r.StartedUtc:yyyy-MM-dd HH:mm:ss}</td><td>{r.FinishedUtc:yyyy-MM-dd HH:mm:ss}</td><td>{r.RequestedBy}</td></tr>"));
        return html.Add($"</tbody></table>").ToMarkup();
    }

    /// <summary>
    /// A run: status, counts and progress bars (updated live until it ends), its leaderboard link and per-instance
    /// results; outputs and jury explanations only when <see cref="RunDetailModel.WithText"/> — a viewer's page never has them.
    /// </summary>
    public static Markup RunDetail(RunDetailModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var run = model.Run;
        var withText = model.WithText && model.MaySeeText;
        var html = new Html();
        html.Add($"<div id=\"run-live\" data-status-url=\"/api/v1/runs/{Uri.EscapeDataString(run.RunId)}\" data-status=\"{run.Status}\">");
        html.Add($"<p>Status: <span id=\"run-status\" class=\"status-{run.Status}\">{run.Status}</span> · results <span id=\"run-results\">{run.Results}</span>");
        html.Add($" (computed <span id=\"run-computed\">{run.Computed}</span>, reused <span id=\"run-reused\">{run.Reused}</span>)</p>");
        html.Add($"<p class=\"error\" id=\"run-error\">{run.Error}</p><ul id=\"run-bars\" class=\"bars\">");
        html.Each(run.Progress?.Bars ?? [], (h, b) => h.Add(
            $"<li><span>{b.Label} </span><progress max=\"{Math.Max(1, b.Total)}\" value=\"{b.Completed}\"></progress><span class=\"count\"> {b.Completed} / {b.Total}</span></li>"));
        html.Add($"</ul></div>");
        html.Add($"<p><a href=\"/dashboard?runId={Uri.EscapeDataString(run.RunId)}\">Leaderboard of this run</a>");
        if (model.MaySeeText)
        {
            html.Add(withText
                ? Html.Of($" · <a href=\"{RunPath(run.RunId)}\">Hide outputs</a>")
                : Html.Of($" · <a id=\"show-outputs\" href=\"{RunPath(run.RunId)}?outputs=true\">Show outputs and jury explanations</a> (patient text: the access is audited)"));
        }

        html.Add($"</p>");
        if (Terminal.Contains(run.Status) || model.Results.Count > 0)
        {
            ResultsTable(html, model.Results, withText);
            JuryTable(html, model.Jury, withText);
        }

        return html.ToMarkup();
    }

    /// <summary>The form that queues a run (operator), posting to the same queue service as <c>POST /api/v1/runs</c>.</summary>
    public static Markup StartRun(StartRunFormModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var values = model.Values ?? new StartRunForm(null, null, "10", "none", "true", null);
        var html = new Html();
        if (model.Error is not null)
        {
            html.Add($"<p id=\"form-error\" class=\"error\">The run was not queued: {model.Error}</p>");
        }

        html.Add($"<form class=\"start\" method=\"post\" action=\"/dashboard/runs\"><input type=\"hidden\" name=\"{model.AntiforgeryField}\" value=\"{model.AntiforgeryToken}\">");
        html.Add($"<label for=\"model\">Model</label><select id=\"model\" name=\"model\" required>");
        html.Each(model.Models, (h, m) => h.Add($"<option value=\"{m.Value}\"{Selected(m.Value == values.Model)}>{m.Label}</option>"));
        html.Add($"</select><label for=\"benchmark\">Benchmark</label><select id=\"benchmark\" name=\"benchmark\" required>");
        html.Each(model.Benchmarks, (h, b) => h.Add($"<option value=\"{b}\"{Selected(b == values.Benchmark)}>{b}</option>"));
        html.Add($"</select><label for=\"maxInstances\">Instances per benchmark (empty: all)</label>");
        html.Add($"<input id=\"maxInstances\" name=\"maxInstances\" type=\"number\" min=\"1\" value=\"{values.MaxInstances}\">");
        html.Add($"<label for=\"jury\">Jury (open-ended benchmarks)</label><select id=\"jury\" name=\"jury\">");
        html.Add($"<option value=\"none\"{Selected(values.Jury == "none")}>none</option><option value=\"configured\"{Selected(values.Jury == "configured")}>the configured jury</option></select>");
        html.Add($"<label><input id=\"samples\" name=\"samples\" type=\"checkbox\" value=\"true\"{new Markup(values.Samples == "true" ? " checked" : "")}> Run benchmarks never imported on their bundled samples</label>");
        html.Add($"<label for=\"runId\">Run id (empty: generated)</label><input id=\"runId\" name=\"runId\" maxlength=\"100\" value=\"{values.RunId}\">");
        return html.Add($"<button id=\"start\" type=\"submit\">Queue the run</button></form>").ToMarkup();
    }

    private static Markup Selected(bool selected) => new(selected ? " selected" : "");

    private static void ResultsTable(Html html, IReadOnlyList<RunResultRow> results, bool withText)
    {
        html.Add($"<h2>Results</h2>");
        if (results.Count == 0)
        {
            html.Add($"<p>No result is stored for this run.</p>");
            return;
        }

        if (results.Count > MaxResultRows)
        {
            html.Add($"<p class=\"muted\">The first {MaxResultRows} of {results.Count} results; <code>GET /api/v1/runs/{{id}}/results</code> has them all.</p>");
        }

        html.Add($"<table id=\"results\"><thead><tr><th>Model</th><th>Benchmark</th><th>Instance</th><th>Metric</th><th>Score</th><th>Origin</th><th>Tokens</th><th>ms</th>");
        html.Add(withText ? Html.Of($"<th>Output</th>") : Markup.Empty).Add($"</tr></thead><tbody>");
        foreach (var r in results.Take(MaxResultRows))
        {
            html.Add($"<tr><td class=\"model\">{r.Model}</td><td>{r.Benchmark}</td><td>{r.InstanceId}</td><td>{r.Metric}</td><td class=\"n\">{(r.Score is { } score ? score.ToString("0.###", CultureInfo.InvariantCulture) : "undefined")}</td><td>{r.Origin}</td>");
            html.Add($"<td class=\"n\">{r.PromptTokens} + {r.CompletionTokens}</td><td class=\"n\">{r.ElapsedMs:0}</td>");
            html.Add(withText ? Html.Of($"<td><pre class=\"output\">{r.Output}</pre></td>") : Markup.Empty).Add($"</tr>");
        }

        html.Add($"</tbody></table>");
    }

    private static void JuryTable(Html html, IReadOnlyList<JuryRatingView> jury, bool withText)
    {
        if (jury.Count == 0)
        {
            return;
        }

        html.Add($"<h2>Jury</h2><table id=\"jury\"><thead><tr><th>Model</th><th>Benchmark</th><th>Instance</th><th>Judge</th><th>Criterion</th><th>Rating</th>");
        html.Add(withText ? Html.Of($"<th>Explanation</th>") : Markup.Empty).Add($"</tr></thead><tbody>");
        foreach (var j in jury.Take(MaxResultRows))
        {
            html.Add($"<tr><td class=\"model\">{j.Model}</td><td>{j.Benchmark}</td><td>{j.InstanceId}</td><td>{j.Judge}</td><td>{j.Criterion}</td><td class=\"n\">{j.Rating}</td>");
            html.Add(withText ? Html.Of($"<td><pre class=\"explanation\">{j.Explanation}</pre></td>") : Markup.Empty).Add($"</tr>");
        }

        html.Add($"</tbody></table>");
    }
}
