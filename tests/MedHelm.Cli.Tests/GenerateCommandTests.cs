using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

public sealed class GenerateCommandTests
{
    [Fact]
    public async Task A_missing_model_file_gives_one_line_and_a_non_zero_exit()
    {
        using var home = new TempHome();
        var result = await CliProcess.RunAsync(["generate", "--model", home.PathOf("nope.gguf"), "--prompt", "hi"], home.Folder);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("nope.gguf", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_gguf_gives_one_line_and_a_non_zero_exit()
    {
        using var home = new TempHome();
        var path = home.PathOf("notes.gguf");
        await File.WriteAllTextAsync(path, "Patient notes, definitely not a model file.\n");
        var result = await CliProcess.RunAsync(["generate", "--model", path, "--prompt", "hi"], home.Folder);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("notes.gguf", line, StringComparison.Ordinal);
        Assert.Contains("not a GGUF file", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_gguf_gives_one_line_and_a_non_zero_exit()
    {
        using var home = new TempHome();
        var full = home.PathOf("full.gguf");
        var made = await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", full, "--layers", "1", "--embd", "32"], home.Folder);
        Assert.True(made.ExitCode == 0, made.ToString());
        var truncated = home.PathOf("truncated.gguf");
        var bytes = await File.ReadAllBytesAsync(full);
        await File.WriteAllBytesAsync(truncated, bytes[..(bytes.Length * 2 / 3)]);

        var result = await CliProcess.RunAsync(["generate", "--model", truncated, "--prompt", "hi"], home.Folder);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("truncated.gguf", line, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_generated_model_answers_and_reports_token_counts()
    {
        using var home = new TempHome();
        var model = home.PathOf("tiny.gguf");
        var made = await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", model, "--layers", "1", "--embd", "64"], home.Folder);
        Assert.True(made.ExitCode == 0, made.ToString());

        var first = await CliProcess.RunAsync(["generate", "--model", model, "--prompt", "Is aspirin an NSAID?", "--max-tokens", "8"], home.Folder);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Matches(@"\[\d+ prompt tokens, [0-8] output tokens\]", first.StdErr);

        var second = await CliProcess.RunAsync(["generate", "--model", model, "--prompt", "Is aspirin an NSAID?", "--max-tokens", "8"], home.Folder);
        Assert.Equal(first.StdOut, second.StdOut);
    }

    [Fact]
    public async Task A_missing_runtime_names_the_install_command()
    {
        using var home = new TempHome(new { Inference = new { Backend = "cpu", RuntimeRoot = "no-such-runtime" } });
        var model = home.PathOf("tiny.gguf");
        await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", model, "--layers", "1", "--embd", "32"], home.Folder);
        var result = await CliProcess.RunAsync(["generate", "--model", model, "--prompt", "hi"], home.Folder);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("scripts/install-runtime.sh", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_setting_fails_at_start_naming_the_field()
    {
        using var home = new TempHome();
        var result = await CliProcess.RunAsync(["runtime", "info"], home.Folder, new Dictionary<string, string> { ["MEDHELM__Inference__Backend"] = "gpu" });
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("Inference:Backend", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task A_model_named_in_appsettings_is_served_with_its_settings_and_its_reasoning_is_shown_apart()
    {
        using var home = new TempHome(new
        {
            Models = new
            {
                r1 = new { File = "r1.gguf", Sequences = 2, ContextPerSequence = 1024, Reasoning = new { Enabled = true, ThinkingBudget = 4, StartsInReasoning = true } },
            },
        });
        var made = await CliProcess.RunAsync(["models", "make-test-model", "--kind", "deepseek-r1", "--out", home.PathOf("r1.gguf"), "--layers", "1", "--embd", "64"], home.Folder);
        Assert.True(made.ExitCode == 0, made.ToString());

        var result = await CliProcess.RunAsync(["generate", "--model", "r1", "--prompt", "Is aspirin an NSAID?", "--max-tokens", "3"], home.Folder);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"\[reasoning, (\d+) tokens\]", result.StdErr);
        Assert.DoesNotContain("</think>", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_model_setting_fails_at_start_naming_the_model_and_field()
    {
        using var home = new TempHome(new { Models = new { tiny = new { File = "tiny.gguf", Sequences = 0 } } });
        var result = await CliProcess.RunAsync(["runtime", "info"], home.Folder);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("Models:tiny:Sequences", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_model_name_lists_the_configured_ones()
    {
        using var home = new TempHome(new { Models = new { tiny = new { File = "tiny.gguf" } } });
        var result = await CliProcess.RunAsync(["generate", "--model", "llama-70b", "--prompt", "hi"], home.Folder);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("configured: tiny", line, StringComparison.Ordinal);
    }
}
