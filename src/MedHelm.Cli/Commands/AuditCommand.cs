using System.CommandLine;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm audit verify</c>: checks the SHA-256 chain over the audit log of the results database.</summary>
internal static class AuditCommand
{
    public static Command Build() => new("audit", "The append-only audit log of the results database.") { Verify() };

    private static Command Verify()
    {
        var command = new Command("verify", "Check that no audit row was changed or removed (each row is chained to the previous one by SHA-256); exit 1 at the first broken link.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            await using var database = await host.OpenExistingDatabaseAsync(token);
            var result = await database.VerifyAuditChainAsync(token);
            if (result.Intact)
            {
                await Console.Out.WriteLineAsync($"audit chain intact: {result.RowsChecked} rows in {database.Location}");
                return CommandRunner.Ok;
            }

            await Console.Out.WriteLineAsync($"audit chain BROKEN at row {result.FirstBrokenId}: {result.Problem} ({result.RowsChecked} rows before it are intact)");
            return CommandRunner.Failed;
        }));
        return command;
    }
}
