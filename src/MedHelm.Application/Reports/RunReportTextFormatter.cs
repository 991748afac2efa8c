using System.Globalization;
using System.Text;
using MedHelm.Core.Results;

namespace MedHelm.Application.Reports;

/// <summary>
/// The plain-text report of a run (<c>medhelm runs show</c>) and its parts: numbers, names and hashes, never patient
/// text. Lines end with "\n".
/// </summary>
public static class RunReportTextFormatter
{
    /// <summary>", determinism …" for a local model whose manifest records it, else "".</summary>
    internal static string DeterminismOf(RunReport report, string model) =>
        report.Manifest?.Models.FirstOrDefault(x => x.Name == model)?.Settings.Determinism is { } d ? $", determinism {d}" : "";

    /// <summary>The whole report: provenance, data, the leaderboard with its sub-runs, secondary statistics and the jury.</summary>
    public static string Format(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var run = report.Run;
        var text = new StringBuilder();
        Line(text, $"run       {run.RunId} ({run.Status.ToString().ToLowerInvariant()})");
        Line(text, string.Create(CultureInfo.InvariantCulture,
            $"started   {run.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC; finished {(run.FinishedUtc is { } f ? f.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC" : "-")}"));
        Line(text, $"app       {run.AppVersion}; llama.cpp {run.LlamaCppVersion ?? "-"}; storage {report.Manifest?.Storage ?? "-"}");
        Line(text, $"machine   {run.MachineDescription}");
        Line(text, $"gpu       {run.GpuDescription ?? "-"}");
        Line(text, $"config    sha256 {report.ConfigSha256}");
        foreach (var m in report.Models)
        {
            Line(text, string.Create(CultureInfo.InvariantCulture,
                $"model     {m.Name}: {m.Path} sha256 {m.Sha256}, {m.Architecture ?? "?"}, {m.Quantization ?? "?"}, {m.Parameters:N0} parameters{DeterminismOf(report, m.Name)}"));
        }

        if (report.Manifest?.BertscoreModel is { } bert)
        {
            Line(text, $"bertscore {bert.Name}: {bert.File} sha256 {bert.Sha256}, {bert.Architecture}, {bert.Describe()}{(bert.Idf ? ", idf" : "")} ({bert.Metric}, secondary)");
        }

        foreach (var b in report.Benchmarks)
        {
            var mark = DataOrigins.Mark(b.Data);
            Line(text, string.Create(CultureInfo.InvariantCulture,
                $"data      {b.Name}: sha256 {b.DatasetSha256}, {b.Instances} instances ({b.Source}){(mark.Length > 0 ? " " + mark : "")}"));
        }

        foreach (var s in report.Manifest?.Skipped ?? [])
        {
            Line(text, $"skipped   {s.Name}: {s.Reason}");
        }

        Line(text, string.Create(CultureInfo.InvariantCulture, $"results   {report.Counts.Results} ({report.Counts.Computed} computed, {report.Counts.Reused} reused)"));
        Line(text, "");
        text.Append(FormatLeaderboard(report.Leaderboard));
        if (report.Leaderboard.Count == 0 && report.Benchmarks.Any(b => b.Data != DataOrigin.Imported))
        {
            text.Append('\n').Append(DataOrigins.Legend);
        }

        Line(text, "");
        Line(text, "");
        if (FormatSubRuns(report.Leaderboard) is { Length: > 0 } subRuns)
        {
            text.Append(subRuns);
            Line(text, "");
        }

        if (report.SecondaryMeans.Count > 0)
        {
            text.Append(FormatSecondaryMeans(report.SecondaryMeans));
            Line(text, "");
        }

        if (report.JuryReports.Count > 0)
        {
            text.Append(FormatJuryReports(report.JuryReports));
            Line(text, "");
        }

        Line(text, "everything, with per-instance results: medhelm runs show " + run.RunId + " --json");
        return text.ToString();
    }

    /// <summary>
    /// The leaderboard: "No results." when there are no rows; otherwise the table of
    /// <see cref="FormatLeaderboardTable"/> with each benchmark computed on a bundled excerpt marked "*" and on a
    /// synthetic stand-in "†", and then, when a row is marked, the legend line (<see cref="DataOrigins.Legend"/>).
    /// Unmarked rows print exactly as <see cref="Leaderboard.FormatTable"/>.
    /// </summary>
    public static string FormatLeaderboard(IReadOnlyList<ReportLeaderboardRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return "No results.";
        }

        var table = FormatLeaderboardTable(rows.Select(r => DataOrigins.Mark(r.Data) is { Length: > 0 } mark ? r.Row with { Benchmark = r.Row.Benchmark + " " + mark } : r.Row).ToArray());
        return rows.Any(r => DataOrigins.Mark(r.Data).Length > 0) ? table + DataOrigins.Legend + "\n" : table;
    }

    /// <summary>The leaderboard table exactly as <see cref="Leaderboard.FormatTable"/> prints it (fixed width, ends with "\n").</summary>
    public static string FormatLeaderboardTable(IReadOnlyList<LeaderboardRow> rows) => Leaderboard.FormatTable(rows);

    /// <summary>
    /// The sub-run breakdown of the benchmarks made of several runs (a header line and a table), or "" when no row has
    /// sub-runs.
    /// </summary>
    public static string FormatSubRuns(IReadOnlyList<ReportLeaderboardRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var subRuns = rows.OrderBy(r => r.Row.Model, StringComparer.Ordinal).ThenBy(r => r.Row.Benchmark, StringComparer.Ordinal).SelectMany(r => r.SubRuns).ToArray();
        if (subRuns.Length == 0)
        {
            return "";
        }

        var modelWidth = Math.Max("Model".Length, subRuns.Max(s => s.Model.Length));
        var benchmarkWidth = Math.Max("Benchmark".Length, subRuns.Max(s => s.Benchmark.Length));
        var subRunWidth = Math.Max("Sub-run".Length, subRuns.Max(s => s.SubRun.Length));
        var text = new StringBuilder();
        Line(text, "Sub-runs: a benchmark made of several runs scores the unweighted mean of its sub-run means (MedHELM)");
        Line(text, $"{"Model".PadRight(modelWidth)}  {"Benchmark".PadRight(benchmarkWidth)}  {"Sub-run".PadRight(subRunWidth)}  Score  Instances");
        Line(text, $"{new string('-', modelWidth)}  {new string('-', benchmarkWidth)}  {new string('-', subRunWidth)}  -----  ---------");
        foreach (var s in subRuns)
        {
            Line(text, string.Create(CultureInfo.InvariantCulture,
                $"{s.Model.PadRight(modelWidth)}  {s.Benchmark.PadRight(benchmarkWidth)}  {s.SubRun.PadRight(subRunWidth)}  {(double.IsNaN(s.Score) ? "-" : s.Score.ToString("F3", CultureInfo.InvariantCulture)),5}  {s.Instances,9}"));
        }

        return text.ToString();
    }

    /// <summary>The secondary statistics' means (a header line and a table).</summary>
    public static string FormatSecondaryMeans(IReadOnlyList<SecondaryMean> means)
    {
        ArgumentNullException.ThrowIfNull(means);
        if (means.Count == 0)
        {
            return "";
        }

        var modelWidth = Math.Max("Model".Length, means.Max(m => m.Model.Length));
        var benchmarkWidth = Math.Max("Benchmark".Length, means.Max(m => m.Benchmark.Length));
        var metricWidth = Math.Max("Secondary statistic".Length, means.Max(m => m.Metric.Length));
        var text = new StringBuilder();
        Line(text, "Secondary statistics: means over the scored instances, not on the leaderboard");
        Line(text, $"{"Model".PadRight(modelWidth)}  {"Benchmark".PadRight(benchmarkWidth)}  {"Secondary statistic".PadRight(metricWidth)}     Mean  Instances");
        Line(text, $"{new string('-', modelWidth)}  {new string('-', benchmarkWidth)}  {new string('-', metricWidth)}  -------  ---------");
        foreach (var m in means)
        {
            Line(text, string.Create(CultureInfo.InvariantCulture,
                $"{m.Model.PadRight(modelWidth)}  {m.Benchmark.PadRight(benchmarkWidth)}  {m.Metric.PadRight(metricWidth)}  {m.Mean,7:F3}  {m.Instances,9}"));
        }

        return text.ToString();
    }

    /// <summary>
    /// The jury reports as <c>medhelm run</c> prints them after a run (numbers only, never patient text): each
    /// <see cref="Evaluation.Jury.JuryReport.Format"/>, headed "[MODEL] " when the entries are of several models.
    /// </summary>
    public static string FormatJuryReports(IReadOnlyList<JuryReportEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var several = entries.Select(e => e.Model).Distinct(StringComparer.Ordinal).Count() > 1;
        return string.Concat(entries.Select(e => (several ? $"[{e.Model}] " : "") + e.Report.Format()));
    }

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');
}
