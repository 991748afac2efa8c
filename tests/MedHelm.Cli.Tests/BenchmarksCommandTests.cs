using System.Text.Json;
using System.Text.Json.Nodes;
using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

/// <summary>
/// <c>benchmarks list</c> and <c>benchmarks show</c> over a results database: a built-in's JSON loads as a definition
/// file, a benchmark imported with its definition file is listed and marked, and its prompt comes from its data.
/// </summary>
public sealed class BenchmarksCommandTests
{
    [Fact]
    public async Task A_benchmark_imported_with_its_definition_file_is_listed_and_its_prompt_shown()
    {
        using var home = new TempHome();
        var examples = Path.Combine(CliProcess.RepositoryRoot, "docs", "examples", "private", "bmt_status");
        var instances = Path.Combine(examples, "instances.jsonl");

        // a built-in's JSON, saved to a file, is a definition file: validated as is, imported under a name of its own
        var shown = await CliProcess.RunAsync(["benchmarks", "show", "shc_bmt_med", "--json"], home.Folder);
        Assert.True(shown.ExitCode == 0, shown.ToString());
        var saved = home.PathOf("shc_bmt_med.json");
        await File.WriteAllTextAsync(saved, shown.StdOut);
        var validate = await CliProcess.RunAsync(["datasets", "validate", "--definition", saved, "--path", instances], home.Folder);
        Assert.True(validate.ExitCode == 0, validate.ToString());

        var mine = JsonNode.Parse(shown.StdOut)!.AsObject();
        mine["name"] = "my_bmt";
        await File.WriteAllTextAsync(home.PathOf("my_bmt.json"), mine.ToJsonString());
        var import = await CliProcess.RunAsync(["datasets", "import", "--definition", home.PathOf("my_bmt.json"), "--path", instances], home.Folder);
        Assert.True(import.ExitCode == 0, import.ToString());

        var list = await CliProcess.RunAsync(["benchmarks", "list", "--category", "MRA"], home.Folder);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(list.StdOut.Split('\n'), l => l.StartsWith("my_bmt ", StringComparison.Ordinal) && l.EndsWith("[defined by a file]", StringComparison.Ordinal));
        Assert.Contains("7 benchmarks (1 defined by a file)", list.StdOut, StringComparison.Ordinal);

        var json = await CliProcess.RunAsync(["benchmarks", "list", "--json"], home.Folder);
        using var listed = JsonDocument.Parse(json.StdOut);
        Assert.Equal(38, listed.RootElement.GetArrayLength());
        var last = listed.RootElement[37];
        Assert.Equal(("my_bmt", "definition_file"), (last.GetProperty("name").GetString(), last.GetProperty("defined_by").GetString()));

        var prompt = await CliProcess.RunAsync(["benchmarks", "show", "my_bmt", "--prompt"], home.Folder);
        Assert.True(prompt.ExitCode == 0, prompt.ToString());
        var lines = prompt.StdOut.Split('\n');
        Assert.StartsWith("# my_bmt, instance bmt-0001 (4 instances), from the imported data, sha256 ", lines[0], StringComparison.Ordinal);
        Assert.Equal("[user]", lines[1]);
        Assert.StartsWith("Provide an answer to the following question: Has the patient received a bone marrow transplant? with the following context: SYNTHETIC. 54M", lines[2], StringComparison.Ordinal);

        var other = await CliProcess.RunAsync(["benchmarks", "show", "my_bmt", "--instance", "bmt-0002", "--json"], home.Folder);
        using var otherJson = JsonDocument.Parse(other.StdOut);
        Assert.Equal(("bmt-0002", "imported"), (otherJson.RootElement.GetProperty("instance").GetString(), otherJson.RootElement.GetProperty("data").GetString()));
        Assert.Equal("user", otherJson.RootElement.GetProperty("messages")[0].GetProperty("role").GetString());
    }

    [Fact]
    public async Task Unknown_benchmarks_and_instances_are_one_line_errors()
    {
        using var home = new TempHome();
        var unknown = await CliProcess.RunAsync(["benchmarks", "show", "no_such_task"], home.Folder);
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("error: Unknown benchmark 'no_such_task'", Assert.Single(unknown.ErrorLines), StringComparison.Ordinal);

        var instance = await CliProcess.RunAsync(["benchmarks", "show", "medbullets", "--instance", "no-such-id"], home.Folder);
        Assert.Equal(1, instance.ExitCode);
        Assert.StartsWith("error: Unknown instance 'no-such-id'", Assert.Single(instance.ErrorLines), StringComparison.Ordinal);

        var bundled = await CliProcess.RunAsync(["benchmarks", "show", "medbullets", "--prompt"], home.Folder);
        Assert.True(bundled.ExitCode == 0, bundled.ToString());
        Assert.Contains("from its bundled sample, not imported", bundled.StdOut.Split('\n')[0], StringComparison.Ordinal);
        Assert.False(File.Exists(home.PathOf("data", "medhelm.db")), "showing a benchmark creates no database");
    }
}
