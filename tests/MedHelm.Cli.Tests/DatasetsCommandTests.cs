using System.Text.Json;
using MedHelm.Cli.Tests.Support;
using MedHelm.Evaluation.Datasets;

namespace MedHelm.Cli.Tests;

public sealed class DatasetsCommandTests
{
    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task Import_stores_once_list_shows_it_and_bad_files_store_nothing()
    {
        using var home = new TempHome();
        var folder = home.PathOf("medbullets");
        BundledSamples.Extract("medbullets", folder);

        var first = await CliProcess.RunAsync(["datasets", "import", "--benchmark", "medbullets", "--path", folder], home.Folder);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("imported 15 instances (test 15)", first.StdOut, StringComparison.Ordinal);
        var again = await CliProcess.RunAsync(["datasets", "import", "--benchmark", "medbullets", "--path", folder], home.Folder);
        Assert.Contains("already imported; nothing changed", again.StdOut, StringComparison.Ordinal);

        var bad = home.PathOf("bad");
        Directory.CreateDirectory(bad);
        File.WriteAllText(Path.Combine(bad, "test_data.csv"), "Row Number,Question\n1,q\n");
        var failed = await CliProcess.RunAsync(["datasets", "import", "--benchmark", "medcalc_bench", "--path", bad], home.Folder);
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("test_data.csv (line 1): field 'Patient Note': the required column is missing", failed.StdErr, StringComparison.Ordinal);
        Assert.Contains("nothing was imported", failed.StdErr, StringComparison.Ordinal);

        var validate = await CliProcess.RunAsync(["datasets", "validate", "--benchmark", "medcalc_bench", "--path", bad], home.Folder);
        Assert.Equal(1, validate.ExitCode);
        Assert.Equal(8, validate.ErrorLines.Count(l => l.Contains("the required column is missing", StringComparison.Ordinal)));

        var list = await CliProcess.RunAsync(["datasets", "list"], home.Folder);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("medbullets", list.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("medcalc_bench", list.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_private_benchmark_imports_from_its_definition_file()
    {
        using var home = new TempHome();
        var examples = Path.Combine(CliProcess.RepositoryRoot, "docs", "examples", "private", "bmt_status");
        var result = await CliProcess.RunAsync(
            ["datasets", "import", "--definition", Path.Combine(examples, "definition.json"), "--path", Path.Combine(examples, "instances.jsonl")], home.Folder);
        Assert.True(result.ExitCode == 0, result.ToString());
        // the instances file and the definition, which is part of the import (runs read it back)
        Assert.Contains("shc_bmt_med: imported 4 instances (test 4) from 2 file(s), private", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("'shc_bmt_med' is a built-in benchmark: runs evaluate it with the built-in definition", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Benchmarks_list_filters_by_category_and_prints_json()
    {
        using var home = new TempHome();
        var all = await CliProcess.RunAsync(["benchmarks", "list", "--json"], home.Folder);
        Assert.True(all.ExitCode == 0, all.ToString());
        using var json = JsonDocument.Parse(all.StdOut);
        Assert.Equal(37, json.RootElement.GetArrayLength());

        var mra = await CliProcess.RunAsync(["benchmarks", "list", "--category", "MRA"], home.Folder);
        Assert.Contains("6 benchmarks", mra.StdOut, StringComparison.Ordinal);
        var unknown = await CliProcess.RunAsync(["benchmarks", "list", "--category", "XYZ"], home.Folder);
        Assert.Equal(1, unknown.ExitCode);
    }
}
