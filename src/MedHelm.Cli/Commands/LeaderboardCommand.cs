using System.CommandLine;
using MedHelm.Cli.Hosting;
using MedHelm.Core.Results;
using MedHelm.Application.Ports;
using MedHelm.Storage;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm leaderboard</c>: model × benchmark rows from the SQLite results.</summary>
internal static class LeaderboardCommand
{
    public static Command Build()
    {
        var runId = new Option<string?>("--run-id") { Description = "Only this run (default: all runs)." };
        var command = new Command("leaderboard", "Print the leaderboard (model, benchmark, score, instances, tokens, seconds) from the results database.") { runId };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var databasePath = host.DatabasePath;
            if (!File.Exists(databasePath))
            {
                throw new FileNotFoundException($"There is no results database at {databasePath} yet; run scripts/demo.sh or medhelm demo first.");
            }

            await using var store = await SqliteResultStore.OpenAsync(databasePath, token);
            var rows = await store.GetLeaderboardAsync(parse.GetValue(runId), token);
            Console.Out.WriteLine(rows.Count == 0 ? "No results." : Leaderboard.FormatTable(rows));
            return CommandRunner.Ok;
        }));
        return command;
    }
}
