using System.CommandLine;
using System.Globalization;
using MedHelm.Application.Ports;
using MedHelm.Application.Errors;
using MedHelm.Application.Reports;
using MedHelm.Cli.Hosting;
using MedHelm.Evaluation.Results;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm runs list|show</c>: the runs in the results database and everything recorded about one.</summary>
internal static class RunsCommand
{
    public static Command Build() => new("runs", "List runs and show how a run was made (models, data, settings, machine) and its results.")
    {
        List(),
        Show(),
    };

    private static Command List()
    {
        var command = new Command("list", "Every run, newest first: status, start, end, results computed and reused.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            await using var store = await OpenExistingAsync(host, token);
            var runs = await store.ListRunsAsync(token);
            if (runs.Count == 0)
            {
                Console.Out.WriteLine("No runs.");
                return CommandRunner.Ok;
            }

            Console.Out.WriteLine($"{"run",-34} {"status",-10} {"started (UTC)",-20} {"finished (UTC)",-20} {"results",8} {"computed",9} {"reused",7}");
            foreach (var r in runs)
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.RunId,-34} {r.Status.ToString().ToLowerInvariant(),-10} {r.StartedUtc:yyyy-MM-dd HH:mm:ss}  {(r.FinishedUtc is { } f ? f.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-"),-20} {r.Results,8} {r.Computed,9} {r.Reused,7}"));
            }

            foreach (var r in runs.Where(r => r.Status == RunStatus.Interrupted))
            {
                Console.Out.WriteLine($"{r.RunId} was interrupted (its process ended while it ran); what it stored is kept. Resume it with: medhelm run --run-id {r.RunId} --resume");
            }

            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command Show()
    {
        var runId = new Argument<string>("run-id") { Description = "The run (see `runs list`)." };
        var json = new Option<bool>("--json") { Description = "Print everything as JSON: configuration, models, data, machine, per-instance results, audit." };
        var outputs = new Option<bool>("--outputs") { Description = "Include the model outputs' text in the per-instance results (may be patient data); by default only their SHA-256." };
        var command = new Command("show", "Show how a run was made and its results.") { runId, json, outputs };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            await using var store = await OpenExistingAsync(host, token);
            var id = parse.GetValue(runId)!;
            RunReport report;
            try
            {
                report = await new RunReportBuilder(store).BuildAsync(id, new RunReportOptions { IncludeOutputs = parse.GetValue(outputs) }, token);
            }
            catch (NotFoundException e)
            {
                throw new ArgumentException($"There is no run '{id}' (see `medhelm runs list`).", e);
            }

            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(RunReportJsonFormatter.Format(report));
                return CommandRunner.Ok;
            }

            Console.Out.Write(RunReportTextFormatter.Format(report));
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static async Task<IResultsDatabase> OpenExistingAsync(CliHost host, CancellationToken cancellationToken)
    {
        var databasePath = host.DatabasePath;
        if (!host.Paths.DatabaseMayExist)
        {
            throw new FileNotFoundException($"There is no results database at {databasePath} yet; start a run with `medhelm run` first.");
        }

        return await host.OpenExistingDatabaseAsync(cancellationToken);
    }
}
