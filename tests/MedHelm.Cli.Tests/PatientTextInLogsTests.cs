using MedHelm.Cli.Tests.Support;
using MedHelm.Evaluation.Datasets;

namespace MedHelm.Cli.Tests;

public sealed class PatientTextInLogsTests
{
    [Fact]
    public async Task Debug_logs_of_a_run_carry_no_question_context_or_answer_text()
    {
        using var home = new TempHome();
        var result = await CliProcess.RunAsync(["demo", "--max-instances", "3", "--verbose"], home.Folder);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("DBG", result.StdErr, StringComparison.Ordinal); // debug logging really was on

        foreach (var instance in BundledSamples.OpenPubMedQa().Instances.Take(3))
        {
            Assert.DoesNotContain(instance.Question, result.StdErr, StringComparison.Ordinal);
            foreach (var field in instance.Fields.Values)
            {
                // any 40-character stretch of the abstract would be a leak
                var probe = field.Length > 60 ? field.Substring(20, 40) : field;
                Assert.DoesNotContain(probe, result.StdErr, StringComparison.Ordinal);
            }
        }
    }
}
