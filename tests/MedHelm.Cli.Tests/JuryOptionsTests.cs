using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

/// <summary>The Jury section is validated when the host starts, naming the field.</summary>
public sealed class JuryOptionsTests
{
    [Theory]
    [InlineData("""{ "Judges": [ "j1", "j1" ] }""", "Jury:Judges lists 'j1' 2 times")]
    [InlineData("""{ "Judges": [ "j1", " " ] }""", "Jury:Judges:1 is empty")]
    [InlineData("""{ "MaxRetries": 9 }""", "Jury:MaxRetries")]
    [InlineData("""{ "MaxExplanationChars": 5 }""", "Jury:MaxExplanationChars")]
    public async Task A_bad_jury_section_fails_at_start_naming_the_field(string jury, string expected)
    {
        using var home = new TempHome(new { Jury = System.Text.Json.JsonDocument.Parse(jury).RootElement });
        var result = await CliProcess.RunAsync(["runtime", "info"], home.Folder);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains(expected, result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task Without_judges_an_open_ended_benchmark_is_skipped_with_the_way_to_add_them()
    {
        using var home = new TempHome();
        Gguf.TestModels.TestModelFactory.Write(new Gguf.TestModels.TestModelSpec { Kind = Gguf.TestModels.TestModelKind.Llama, Layers = 1, Embd = 64 }, home.PathOf("m.gguf"));
        var result = await CliProcess.RunAsync(["run", "--samples", "--benchmarks", "medication_qa,pubmed_qa", "--models", home.PathOf("m.gguf"), "--max-instances", "2"], home.Folder);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("skipped  medication_qa: open-ended answers are scored by the LLM jury: add --jury j1,j2,j3 (or set Jury:Judges", result.StdOut, StringComparison.Ordinal);
    }
}
