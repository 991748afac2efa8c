using System.CommandLine;
using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Application.Reports.Decision;
using MedHelm.Core.Decision;
using MedHelm.Evaluation.Files;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>medhelm report</c>: the decision report (MedHELM's Table 1 with intervals) of an external score table
/// (<see cref="DecisionReportService"/>) or of stored runs (<see cref="DecisionRunReportBuilder"/>: cost, floors,
/// provenance; HTML with <c>--format html</c>).
/// </summary>
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
        format.AcceptOnlyFromAmong([.. DecisionRunReportFormats.Names]);
        var runs = new Option<string[]>("--run") { Description = "A run to report on (repeat for several: they combine into one leaderboard, newest result per instance).", Arity = ArgumentArity.ZeroOrMore };
        var baselines = new Option<bool>("--baselines") { Description = "With --run: add the floors (random choice, majority class, always flag an error, copy the input)." };
        var includeText = new Option<bool>("--include-text") { Description = "With --run: add example instances with their prompt, outputs, reference and jury explanations (patient text; the report says so on its first line)." };
        var compare = new Option<string?>("--compare") { Description = "With --run: compare two models per benchmark, as A,B (paired bootstrap of the difference, McNemar's exact test, minimum detectable effect)." };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write the report to this file instead of standard output." };
        var replicates = new Option<int>("--replicates")
        {
            Description = $"Bootstrap replicates for the confidence intervals (0: none; default {DecisionOptions.Default.BootstrapReplicates}).",
            DefaultValueFactory = _ => DecisionOptions.Default.BootstrapReplicates,
        }.Checked();
        var seed = new Option<ulong>("--seed") { Description = $"Seed of the bootstrap (default {DecisionOptions.Default.Seed}).", DefaultValueFactory = _ => DecisionOptions.Default.Seed }.Checked();
        var command = new Command("report", "The decision report: MedHELM's mean win rate, win SD, macro average and category means (Table 1), with bootstrap intervals where there are instances.")
        {
            scores, runs, format, output, replicates, seed, baselines, includeText, compare,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var runIds = parse.GetValue(runs) ?? [];
            var file = parse.GetValue(scores);
            if ((file is null) == (runIds.Length == 0))
            {
                throw new RequestValidationException("Give the scores to report on (--scores FILE.csv) or the runs (--run RUN_ID ...), one of the two.");
            }

            if (file is not null && (parse.GetValue(baselines) || parse.GetValue(includeText) || parse.GetValue(compare) is not null))
            {
                throw new RequestValidationException("--baselines, --include-text and --compare need runs (--run): a score table has no instances.");
            }

            var pair = parse.GetValue(compare) is { } c ? ComparePair(c) : ((string, string)?)null;

            var options = new DecisionOptions { BootstrapReplicates = parse.GetValue(replicates), Seed = parse.GetValue(seed) };
            if (options.BootstrapReplicates is < 0 or > 1_000_000)
            {
                throw new RequestValidationException($"--replicates must be between 0 and 1000000 (was {options.BootstrapReplicates}).");
            }

            var formatName = parse.GetValue(format)!;
            if (runIds.Length > 0)
            {
                await using var store = await host.OpenExistingDatabaseAsync(token);
                var request = new DecisionRunReportOptions { Baselines = parse.GetValue(baselines), IncludeText = parse.GetValue(includeText), Decision = options, Compare = pair };
                var report = await new DecisionRunReportBuilder(store, host.Options<PricingOptions>()).BuildAsync(runIds, request, token);
                return await WriteAsync(DecisionRunReportFormats.Format(formatName, report, DateTimeOffset.UtcNow), parse.GetValue(output), token);
            }

            var check = DecisionReportService.ReadScores(file!.FullName);
            if (!check.Problems.IsValid)
            {
                foreach (var line in check.Problems.Lines())
                {
                    await Console.Error.WriteLineAsync(line);
                }

                await Console.Error.WriteLineAsync($"error: {file.FullName}: {check.Problems.TotalProblems} problem(s); no report.");
                return CommandRunner.Failed;
            }

            var decision = DecisionReportService.FromScores(check, options);
            var text = formatName == "html"
                ? DecisionRunReportFormats.Format(formatName, DecisionRunReport.OfScores(decision, host.Options<PricingOptions>()), DateTimeOffset.UtcNow)
                : DecisionReportFormatters.Get(formatName).Format(decision);
            return await WriteAsync(text, parse.GetValue(output), token);
        }));
        return command;
    }

    private static (string First, string Second) ComparePair(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries) is [{ Length: > 0 } first, { Length: > 0 } second]
            ? (first, second)
            : throw new RequestValidationException($"--compare takes two models as A,B (was '{value}').");

    /// <summary>Prints <paramref name="text"/>, or writes it beside <paramref name="target"/> and moves it over it (never a half-written report).</summary>
    internal static async Task<int> WriteAsync(string text, FileInfo? target, CancellationToken token)
    {
        if (target is null)
        {
            await Console.Out.WriteAsync(text);
            return CommandRunner.Ok;
        }

        RegularFiles.EnsureReplaceable(target.FullName, "report");
        var temporary = target.FullName + ".tmp";
        await File.WriteAllTextAsync(temporary, text, token);
        File.Move(temporary, target.FullName, overwrite: true);
        await Console.Out.WriteLineAsync($"wrote {target.FullName}");
        return CommandRunner.Ok;
    }
}
