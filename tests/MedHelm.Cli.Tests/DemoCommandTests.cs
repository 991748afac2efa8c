using MedHelm.Cli.Tests.Support;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Running;
using Microsoft.Data.Sqlite;

namespace MedHelm.Cli.Tests;

public sealed class DemoCommandTests
{
    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task The_demo_evaluates_every_benchmark_with_the_generated_jury_and_leaves_the_sqlite_file()
    {
        using var home = new TempHome();
        var result = await CliProcess.RunAsync(["demo", "--max-instances", "1"], home.Folder, timeoutSeconds: 900);
        Assert.True(result.ExitCode == 0, result.ToString());

        // every benchmark of the catalog has a bundled sample and is scored: no benchmark skipped
        Assert.DoesNotContain("skipped", result.StdOut, StringComparison.Ordinal);
        foreach (var benchmark in BuiltInBenchmarks.All)
        {
            var row = result.StdOut.Split('\n').FirstOrDefault(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var name, ..] && name == benchmark.Name);
            Assert.True(row is not null, $"no leaderboard row for {benchmark.Name}:\n{result.StdOut}");
            Assert.Contains("medhelm-test-llama", row, StringComparison.Ordinal);
        }

        foreach (var open in BuiltInBenchmarks.All.Where(EvaluationRunner.NeedsJury))
        {
            Assert.Contains($"Jury on {open.Name}:", result.StdOut, StringComparison.Ordinal);
        }

        Assert.Contains("medhelm-test-judge-3", result.StdOut, StringComparison.Ordinal);

        var db = home.PathOf("data", "medhelm.db");
        Assert.True(File.Exists(db));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(home.PathOf("data")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(db));
        }

        await using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(DISTINCT benchmark) FROM run_completions";
        Assert.Equal((long)BuiltInBenchmarks.All.Count, (long)(await command.ExecuteScalarAsync())!);
        command.CommandText = "SELECT COUNT(*) FROM jury_ratings WHERE rating IS NULL";
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);

        // BERTScore with the generated BERT model: one secondary score per open-ended answer of each of the two models
        var openEnded = BuiltInBenchmarks.All.Count(EvaluationRunner.NeedsJury);
        command.CommandText = "SELECT COUNT(*) FROM scores WHERE metric = 'bertscore_f1' AND is_main = 0";
        Assert.Equal(2L * openEnded, (long)(await command.ExecuteScalarAsync())!);
        Assert.Contains($"bertscore (medhelm-test-bert, GGUF final layer): scoring {2 * openEnded} answer(s)", result.StdErr, StringComparison.Ordinal);

        // last, the decision report of the run as one HTML file under data/reports, its path printed
        var wrote = result.StdOut.Split('\n').Last(l => l.StartsWith("wrote ", StringComparison.Ordinal))["wrote ".Length..].Trim();
        Assert.StartsWith(home.PathOf("data", "reports"), wrote, StringComparison.Ordinal);
        var page = await File.ReadAllTextAsync(wrote);
        Assert.Contains("http-equiv=\"Content-Security-Policy\"", page, StringComparison.Ordinal);
        Assert.Contains("medhelm-test-llama-1l-64", page, StringComparison.Ordinal); // the configured model (Demo: 1 layer, 64 wide here)
        Assert.Contains("medhelm-test-llama-small-1l-64", page, StringComparison.Ordinal); // and the smaller second one, another file
        Assert.Contains("always flag an error", page, StringComparison.Ordinal);

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
