using MedHelm.Cli.Tests.Support;
using MedHelm.Gguf.TestModels;

namespace MedHelm.Cli.Tests;

/// <summary>
/// <c>medhelm run</c> with Storage:Provider postgres: the run, its results and its audit go to a (throwaway) PostgreSQL
/// database, no SQLite file is made, a second run reuses the ledger's completions, the read commands show them, and the
/// password (from an owner-only file) appears in no output.
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class PostgresStorageRunTests
{
    private const string Secret = "pg-secret-7c1e";

    [Fact]
    public async Task A_run_stores_into_postgres_and_a_second_run_reuses_its_completions()
    {
        var server = await PostgresTestServer.Shared;
        var database = await server.CreateDatabaseAsync("cli");
        using var home = new TempHome(new
        {
            Storage = new { DataFolder = "data", Provider = "postgres", ConnectionString = server.ConnectionString(database), PasswordFile = "pgpass" },
            Models = new Dictionary<string, object> { ["tiny"] = new { File = "tiny.gguf", Sequences = 2, ContextPerSequence = 4096 } },
        });
        File.WriteAllText(home.PathOf("pgpass"), Secret + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(home.PathOf("pgpass"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 64 }, home.PathOf("tiny.gguf"));
        string[] run = ["run", "--samples", "--benchmarks", "pubmed_qa", "--models", "tiny", "--max-instances", "3", "--jury", "none"];

        var first = await CliProcess.RunAsync([.. run, "--run-id", "pg-1"], home.Folder);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains($"postgresql://127.0.0.1:{server.Port}/{database}", first.StdErr + first.StdOut, StringComparison.Ordinal);
        var second = await CliProcess.RunAsync([.. run, "--run-id", "pg-2"], home.Folder);
        Assert.True(second.ExitCode == 0, second.ToString());

        Assert.False(File.Exists(home.PathOf("data", "medhelm.db")));
        Assert.Equal(["pg-1|Completed|computed|3", "pg-2|Completed|reused|3"], await server.PsqlAsync(database,
            "SELECT r.run_id || '|' || r.status || '|' || l.origin || '|' || COUNT(*) FROM runs r JOIN run_completions l ON l.run_id = r.run_id GROUP BY r.run_id, r.status, l.origin ORDER BY r.run_id"));
        Assert.Equal(["3"], await server.PsqlAsync(database, "SELECT COUNT(*) FROM requests")); // the ledger's key: each request stored once

        var list = await CliProcess.RunAsync(["runs", "list"], home.Folder);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("pg-2", list.StdOut, StringComparison.Ordinal);
        var board = await CliProcess.RunAsync(["leaderboard", "--run-id", "pg-1"], home.Folder);
        Assert.True(board.ExitCode == 0, board.ToString());
        Assert.Contains(board.StdOut.Split('\n'), l => l.StartsWith("tiny ", StringComparison.Ordinal) && l.Contains(" pubmed_qa ", StringComparison.Ordinal));
        var audit = await CliProcess.RunAsync(["audit", "verify"], home.Folder);
        Assert.True(audit.ExitCode == 0, audit.ToString());

        foreach (var result in new[] { first, second, list, board, audit })
        {
            Assert.DoesNotContain(Secret, result.StdOut + result.StdErr, StringComparison.Ordinal);
        }

        foreach (var log in Directory.EnumerateFiles(home.Folder, "*.log", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(Secret, await File.ReadAllTextAsync(log), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_bad_storage_section_is_refused_at_start_naming_the_field()
    {
        using var home = new TempHome(new { Storage = new { DataFolder = "data", Provider = "postgres", ConnectionString = "Host=127.0.0.1;Password=" + Secret } });
        var result = await CliProcess.RunAsync(["runs", "list"], home.Folder);
        Assert.Equal(3, result.ExitCode); // a bad configuration
        Assert.Contains("Storage:ConnectionString must not hold the password", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, result.StdOut + result.StdErr, StringComparison.Ordinal);
    }
}
