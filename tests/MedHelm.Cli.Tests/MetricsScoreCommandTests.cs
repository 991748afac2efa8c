using System.Text.Json;
using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

public sealed class MetricsScoreCommandTests
{
    [Fact]
    public async Task A_line_on_which_helm_raises_is_printed_undefined_and_left_out_of_the_aggregate()
    {
        using var home = new TempHome();
        var input = home.PathOf("codes.jsonl");
        await File.WriteAllLinesAsync(input,
        [
            "{\"prediction\":\"E11.65, I10\",\"gold\":\"E11.65\"}",
            "{\"prediction\":\"no code here\",\"gold\":\"none either\"}",
        ]);

        string[] args = ["metrics", "score", "--metric", "mimiciv_billing_code_f1", "--mode", "helm", "--input", input];
        var text = await CliProcess.RunAsync(args, home.Folder);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("line 2: undefined in helm mode: the reference (HELM) raises ValueError here", text.StdOut, StringComparison.Ordinal);
        Assert.Contains(text.StdOut.Split('\n'), l => l.Contains("mimiciv_billing_code_f1", StringComparison.Ordinal) && l.Contains("0.6667", StringComparison.Ordinal));

        var json = await CliProcess.RunAsync([.. args, "--json"], home.Folder);
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.StdOut);
        Assert.Equal(1, document.RootElement.GetProperty("undefined").GetInt32());
        var lines = document.RootElement.GetProperty("lines").EnumerateArray().ToArray();
        Assert.Equal(JsonValueKind.Null, lines[0].GetProperty("undefined").ValueKind);
        Assert.Contains("ValueError", lines[1].GetProperty("undefined").GetString(), StringComparison.Ordinal);
    }
}
