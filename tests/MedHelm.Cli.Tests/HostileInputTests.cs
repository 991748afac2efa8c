using MedHelm.Cli.Tests.Support;
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
}
