using System.CommandLine;
using MedHelm.Application.Errors;
using MedHelm.Application.Reports.Decision;
using MedHelm.Core.Decision;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm report</c>: the decision report (MedHELM's Table 1 with intervals) of an external score table (<see cref="DecisionReportService"/>).</summary>
internal static class ReportCommand
{
    public static Command Build()
    {
        var scores = new Option<FileInfo?>("--scores") { Description = "A score table: CSV with the header model,benchmark,score (catalog benchmark names; jury scores on 1-5, the rest on 0-1)." };
        var format = new Option<string>("--format", "-f")
        {
            Description = $"Output format: {string.Join(", ", DecisionReportFormatters.Names)}.",
            DefaultValueFactory = _ => DecisionReportFormatters.All[0].Name,
        };
        format.AcceptOnlyFromAmong([.. DecisionReportFormatters.Names]);
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write the report to this file instead of standard output." };
        var replicates = new Option<int>("--replicates")
        {
            Description = $"Bootstrap replicates for the confidence intervals (0: none; default {DecisionOptions.Default.BootstrapReplicates}).",
            DefaultValueFactory = _ => DecisionOptions.Default.BootstrapReplicates,
        };
        var seed = new Option<ulong>("--seed") { Description = $"Seed of the bootstrap (default {DecisionOptions.Default.Seed}).", DefaultValueFactory = _ => DecisionOptions.Default.Seed };
        var command = new Command("report", "The decision report: MedHELM's mean win rate, win SD, macro average and category means (Table 1), with bootstrap intervals where there are instances.")
        {
            scores, format, output, replicates, seed,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, token) =>
        {
            var file = parse.GetValue(scores) ?? throw new RequestValidationException("Give the scores to report on: --scores FILE.csv.");
            var options = new DecisionOptions { BootstrapReplicates = parse.GetValue(replicates), Seed = parse.GetValue(seed) };
            if (options.BootstrapReplicates is < 0 or > 1_000_000)
            {
                throw new RequestValidationException($"--replicates must be between 0 and 1000000 (was {options.BootstrapReplicates}).");
            }

            var check = DecisionReportService.ReadScores(file.FullName);
            if (!check.Problems.IsValid)
            {
                foreach (var line in check.Problems.Lines())
                {
                    await Console.Error.WriteLineAsync(line);
                }

                await Console.Error.WriteLineAsync($"error: {file.FullName}: {check.Problems.TotalProblems} problem(s); no report.");
                return CommandRunner.Failed;
            }

            var text = DecisionReportFormatters.Get(parse.GetValue(format)!).Format(DecisionReportService.FromScores(check, options));
            if (parse.GetValue(output) is not { } target)
            {
                await Console.Out.WriteAsync(text);
                return CommandRunner.Ok;
            }

            // written beside the target, then moved over it: never a half-written report
            var temporary = target.FullName + ".tmp";
            await File.WriteAllTextAsync(temporary, text, token);
            File.Move(temporary, target.FullName, overwrite: true);
            await Console.Out.WriteLineAsync($"wrote {target.FullName}");
            return CommandRunner.Ok;
        }));
        return command;
    }
}
