using System.CommandLine;
using MedHelm.Application.Errors;
using MedHelm.Application.Reports;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm leaderboard</c>: model × benchmark rows from the SQLite results.</summary>
internal static class LeaderboardCommand
{
    public static Command Build()
    {
        var runId = new Option<string?>("--run-id") { Description = "Only this run (default: the latest result of every instance across runs)." };
        var command = new Command("leaderboard", "Print the leaderboard (model, benchmark, score, instances, tokens, seconds) from the results database.") { runId };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var databasePath = host.DatabasePath;
            if (!host.Paths.DatabaseMayExist)
            {
                throw new FileNotFoundException($"There is no results database at {databasePath} yet; run scripts/demo.sh or medhelm demo first.");
            }

            await using var store = await host.OpenExistingDatabaseAsync(token);
            var id = parse.GetValue(runId);
            LeaderboardReport board;
            try
            {
                board = await new RunReportBuilder(store).BuildLeaderboardAsync(id, token);
            }
            catch (NotFoundException e)
            {
                throw new ArgumentException($"There is no run '{id}' (see `medhelm runs list`).", e);
            }

            Console.Out.WriteLine(RunReportTextFormatter.FormatLeaderboard(board.Rows));
            if (RunReportTextFormatter.FormatSubRuns(board.Rows) is { Length: > 0 } subRuns)
            {
                Console.Out.Write(subRuns); // the table ends with a blank line
            }

            return CommandRunner.Ok;
        }));
        return command;
    }
}
