using MedHelm.Cli.Tests.Support;
using MedHelm.Evaluation.Files;
using MedHelm.Gguf;
using MedHelm.Gguf.TestModels;

namespace MedHelm.Cli.Tests;

/// <summary>
/// Exit codes of the hostile-input campaign (issue 16) through the real CLI; the campaign's bulk runs in-process in
/// MedHelm.Gguf.Tests, MedHelm.Hosting.Tests and MedHelm.Storage.Tests against the same validators.
/// </summary>
public sealed class HostileInputTests
{
    [Fact]
    public async Task Models_inspect_exits_1_naming_the_tensor_llama_cpp_would_abort_on()
    {
        using var home = new TempHome();
        var path = home.PathOf("extra-block.gguf");
        var writer = TestModelFactory.CreateWriter(new TestModelSpec { Embd = 32, Layers = 1 });
        writer.AddTensor("blk.1.attn_norm.weight", [32], GgmlType.F32, new float[32]);
        writer.WriteTo(path);

        var result = await CliProcess.RunAsync(["models", "inspect", path], home.Folder);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("extra-block.gguf", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("blk.1.attn_norm.weight", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_with_a_model_llama_cpp_would_abort_on_exits_1_naming_it_and_leaves_the_database_as_it_was()
    {
        using var home = new TempHome();
        var good = home.PathOf("good.gguf");
        TestModelFactory.Write(new TestModelSpec { Embd = 32, Layers = 1 }, good);
        var stored = await CliProcess.RunAsync(["run", "--samples", "--benchmarks", "medbullets", "--models", good, "--max-instances", "2", "--run-id", "first"], home.Folder);
        Assert.True(stored.ExitCode == 0, stored.ToString());
        var db = home.PathOf("data", "medhelm.db");
        string[] tables = ["runs", "run_completions", "completions", "scores", "audit"];
        var before = await Task.WhenAll(tables.Select(t => RunJuryTests.ScalarAsync(db, $"SELECT COUNT(*) FROM {t}")));
        var bad = home.PathOf("extra-block.gguf");
        var writer = TestModelFactory.CreateWriter(new TestModelSpec { Embd = 32, Layers = 1 });
        writer.AddTensor("blk.1.attn_norm.weight", [32], GgmlType.F32, new float[32]);
        writer.WriteTo(bad);

        var result = await CliProcess.RunAsync(["run", "--samples", "--benchmarks", "medbullets", "--models", bad, "--max-instances", "2", "--run-id", "second"], home.Folder);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("extra-block.gguf", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("blk.1.attn_norm.weight", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(before, await Task.WhenAll(tables.Select(t => RunJuryTests.ScalarAsync(db, $"SELECT COUNT(*) FROM {t}"))));
        Assert.Equal(1L, await RunJuryTests.ScalarAsync(db, "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"));
    }

    [Fact]
    public async Task A_typo_in_appsettings_exits_3_naming_the_key()
    {
        using var home = new TempHome(new { Storage = new { DataFoldr = "data" } });

        var result = await CliProcess.RunAsync(["runs", "list"], home.Folder);

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("Storage:DataFoldr", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_overflowing_numeric_option_exits_1_naming_the_option_and_the_range()
    {
        using var home = new TempHome();

        var result = await CliProcess.RunAsync(["run", "--benchmarks", "med_qa", "--models", "m", "--max-instances", "99999999999999"], home.Folder);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("--max-instances: '99999999999999' is not a whole number from -2147483648 to 2147483647", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", result.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(home.PathOf("data")), "nothing may be started or written");

        // the checked parser leaves defaults to their factories: --layers 2, --embd 64 when not given
        var made = await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", home.PathOf("m.gguf")], home.Folder);
        Assert.True(made.ExitCode == 0, made.ToString());
        var gguf = GgufReader.Read(home.PathOf("m.gguf"));
        Assert.True(gguf.TryGetUInt32("llama.block_count", out var blocks) && blocks == 2, "block_count");
        Assert.True(gguf.TryGetUInt32("llama.embedding_length", out var width) && width == 64, "embedding_length");
    }

    [Fact]
    public async Task A_database_that_is_not_sqlite_exits_1_and_is_left_untouched()
    {
        using var home = new TempHome();
        var db = home.PathOf("notes.db");
        await File.WriteAllTextAsync(db, "these are my notes, not a database\n");

        var result = await CliProcess.RunAsync(["--db", db, "runs", "list"], home.Folder);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(db, result.StdErr, StringComparison.Ordinal);
        Assert.Contains("left untouched", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("these are my notes, not a database\n", await File.ReadAllTextAsync(db));
    }

    /// <summary>Each command that reads or writes a file given by path, with a named pipe there: refused at once, by file type, and the pipe left as it was.</summary>
    [Theory]
    [InlineData("bench", "--model", "{pipe}", "--reference", "none")]
    [InlineData("runtime", "info", "--model", "{pipe}")]
    [InlineData("models", "inspect", "{pipe}")]
    [InlineData("generate", "--model", "{pipe}", "--prompt", "hello")]
    [InlineData("metrics", "score", "--metric", "exact_match", "--input", "{pipe}")]
    [InlineData("agreement", "--ratings", "{pipe}", "--jury", "{csv}")]
    [InlineData("report", "--scores", "{pipe}")]
    [InlineData("datasets", "validate", "--benchmark", "med_qa", "--path", "{pipe}")]
    [InlineData("ehrsql", "check", "--database", "{pipe}", "--path", "{csv}")]
    [InlineData("models", "make-test-model", "--kind", "llama", "--out", "{pipe}")]
    [InlineData("report", "--scores", "{csv}", "--out", "{pipe}")]
    [InlineData("ehrsql", "make-database", "--out", "{pipe}", "--patients", "5")]
    public async Task A_named_pipe_given_as_a_path_is_refused_at_once_naming_the_path_and_its_type(params string[] arguments)
    {
        using var home = new TempHome();
        var pipe = NamedPipes.Create(home.PathOf("pipe"));
        var csv = home.PathOf("scores.csv");
        await File.WriteAllTextAsync(csv, "model,benchmark,score\nm,med_qa,0.5\n");

        // a pipe opened for reading would block this process until the limit; refused by type, it returns at once
        var result = await CliProcess.RunAsync(arguments.Select(a => a.Replace("{pipe}", pipe, StringComparison.Ordinal).Replace("{csv}", csv, StringComparison.Ordinal)), home.Folder, timeoutSeconds: 60);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(pipe, result.StdErr, StringComparison.Ordinal);
        Assert.Contains("a named pipe, not a regular file", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("a named pipe", RegularFiles.KindOf(pipe)); // not replaced by an output
    }
}
