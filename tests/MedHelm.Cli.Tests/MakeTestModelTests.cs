using MedHelm.Cli.Tests.Support;
using MedHelm.Gguf;

namespace MedHelm.Cli.Tests;

public sealed class MakeTestModelTests
{
    [Fact]
    public async Task A_chat_template_file_is_written_as_the_models_template_and_a_missing_one_is_an_error()
    {
        using var home = new TempHome();
        var template = home.PathOf("phi.jinja");
        const string Source = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}\n";
        await File.WriteAllTextAsync(template, Source);
        var model = home.PathOf("phi.gguf");
        var made = await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--layers", "1", "--embd", "32", "--chat-template", template, "--out", model], home.Folder);
        Assert.True(made.ExitCode == 0, made.ToString());
        Assert.Equal(Source, GgufReader.Read(model).ChatTemplate);

        var missing = await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--chat-template", home.PathOf("nope.jinja"), "--out", home.PathOf("x.gguf")], home.Folder);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("--chat-template", missing.StdErr, StringComparison.Ordinal);
        Assert.Contains("nope.jinja does not exist", missing.StdErr, StringComparison.Ordinal);
    }
}
