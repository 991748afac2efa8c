using System.Text;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Application.Reports;

namespace MedHelm.Cli.Rendering;

/// <summary>What <c>run</c> and <c>demo</c> print on stdout when a run completes: numbers and names, never patient text.</summary>
internal static class RunSummaryText
{
    public static async Task<string> BuildAsync(IResultsDatabase database, RunOutcome outcome, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var leaderboard = await new RunReportBuilder(database).BuildLeaderboardAsync(outcome.RunId, cancellationToken);
        text.AppendLine(RunReportTextFormatter.FormatLeaderboard(leaderboard.Rows));
        text.Append(RunReportTextFormatter.FormatSubRuns(leaderboard.Rows)); // the leaderboard table ends with a blank line
        if (outcome.Judges.Count > 0 && outcome.JuriedBenchmarks.Count > 0)
        {
            var juryReports = await RunJuryReports.BuildAsync(database, outcome.RunId, outcome.Judges, outcome.JuriedBenchmarks, cancellationToken);
            if (juryReports.Count > 0)
            {
                text.AppendLine();
                text.Append(RunReportTextFormatter.FormatJuryReports(juryReports));
                text.AppendLine();
            }
        }

        foreach (var s in outcome.Skipped)
        {
            text.AppendLine($"skipped  {s.Name}: {s.Reason}");
        }

        foreach (var (model, benchmark, instances) in outcome.Refused)
        {
            text.AppendLine(
                $"refused  {model} × {benchmark}: {instances.Count} instance(s) not evaluated ({string.Join(", ", instances.Take(3).Select(i => i.InstanceId))}" +
                $"{(instances.Count > 3 ? ", …" : "")}): {instances[0].Reason}");
        }

        if (outcome.Refused.Count > 0)
        {
            text.AppendLine($"after fixing the cause, compute the refused instances with: medhelm run --run-id {outcome.RunId} --resume");
        }

        text.AppendLine(outcome.Computed == 0
            ? $"run {outcome.RunId} completed: nothing new computed, all {outcome.Reused} results reused from the database"
            : $"run {outcome.RunId} completed: {outcome.Computed} computed, {outcome.Reused} reused from the database");
        text.AppendLine($"details: medhelm runs show {outcome.RunId} --json");
        return text.ToString();
    }
}
