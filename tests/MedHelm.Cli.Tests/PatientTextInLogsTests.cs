using MedHelm.Cli.Tests.Support;
using MedHelm.Evaluation.Datasets;

namespace MedHelm.Cli.Tests;

[Trait("Category", TestCategories.Slow)]
public sealed class PatientTextInLogsTests
{
    [Fact]
    public async Task Debug_logs_of_a_run_on_the_console_and_in_the_JSON_file_carry_no_question_context_or_answer_text()
    {
        using var home = new TempHome(new { LogFile = new { MinimumLevel = "Debug" } });
        // a closed benchmark, and two open-ended ones whose outputs, sources and references go to the judges
        string[] benchmarks = ["pubmed_qa", "medication_qa", "aci_bench"];
        var result = await CliProcess.RunAsync(["demo", "--benchmarks", string.Join(',', benchmarks), "--max-instances", "3", "--verbose"], home.Folder, timeoutSeconds: 900);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("DBG", result.StdErr, StringComparison.Ordinal); // debug logging really was on
        Assert.Contains("Jury on aci_bench", result.StdOut, StringComparison.Ordinal); // the judges really were asked
        var file = string.Join("\n", Directory.GetFiles(home.PathOf("logs")).Select(File.ReadAllText));
        Assert.Contains("\"@l\":\"Debug\"", file, StringComparison.Ordinal); // and the JSON log file got debug events too

        var probes = 0;
        foreach (var instance in benchmarks.SelectMany(b => Bundled(b).Take(3)))
        {
            // any 40-character stretch of a question, an input field or a reference text would be a leak
            foreach (var text in instance.Fields.Values.Append(instance.Question).Append(instance.Gold).Where(t => t.Trim().Length >= 20))
            {
                var probe = text.Length > 60 ? text.Substring(20, 40) : text;
                Assert.DoesNotContain(probe, result.StdErr, StringComparison.Ordinal);
                Assert.DoesNotContain(System.Text.Json.JsonEncodedText.Encode(probe).ToString(), file, StringComparison.Ordinal);
                Assert.DoesNotContain(probe, file, StringComparison.Ordinal);
                probes++;
            }
        }

        Assert.True(probes >= 15, $"only {probes} texts were checked");
    }

    private static IReadOnlyList<Core.Catalog.BenchmarkInstance> Bundled(string benchmark)
    {
        using var folder = new TempFolder("medhelm-bundled-");
        BundledSamples.Extract(benchmark, folder.Path);
        return DatasetImport.Import(DatasetImporters.Find(benchmark)!, folder.Path).Instances;
    }
}
