using MedHelm.Cli.Tests.Support;
using Microsoft.Data.Sqlite;

namespace MedHelm.Cli.Tests;

public sealed class DemoCommandTests
{
    [Fact]
    public async Task The_demo_prints_a_leaderboard_row_and_leaves_the_sqlite_file()
    {
        using var home = new TempHome();
        var result = await CliProcess.RunAsync(["demo", "--max-instances", "6"], home.Folder);
        Assert.True(result.ExitCode == 0, result.ToString());

        var row = result.StdOut.Split('\n').Single(l => l.Contains("pubmed_qa", StringComparison.Ordinal));
        Assert.Contains("medhelm-test-llama", row, StringComparison.Ordinal);
        Assert.Matches(@"\b6\b", row);

        var db = home.PathOf("data", "medhelm.db");
        Assert.True(File.Exists(db));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(home.PathOf("data")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(db));
        }
        await using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly");
        await connection.OpenAsync();
        var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM completions";
        Assert.Equal(6L, (long)(await command.ExecuteScalarAsync())!);

        // the leaderboard command reads the same file
        var board = await CliProcess.RunAsync(["leaderboard"], home.Folder);
        Assert.True(board.ExitCode == 0, board.ToString());
        Assert.Contains("pubmed_qa", board.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_the_commands()
    {
        var result = await CliProcess.RunAsync(["--help"]);
        Assert.Equal(0, result.ExitCode);
        foreach (var command in new[] { "demo", "generate", "models", "leaderboard", "runtime" })
        {
            Assert.Contains(command, result.StdOut, StringComparison.Ordinal);
        }
    }
}
