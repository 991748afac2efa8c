using System.CommandLine;
using MedHelm.Application.Options;
using MedHelm.Application.Reports.Decision;
using MedHelm.Application.Runs;
using MedHelm.Cli.Rendering;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>medhelm demo</c>: the main job on a fresh machine. Generates two tiny random-weight models and three random-weight
/// judges (once; same settings, same bytes), then runs every benchmark that has a bundled sample as one durable run
/// (<c>medhelm run --suite demo</c>): closed benchmarks scored by their metrics, open-ended ones by the three-judge
/// jury, everything stored in SQLite and printed as a leaderboard with the jury's report; last, the decision report with
/// the floors is written as HTML (data/reports/RUN_ID.html) and its path printed.
/// </summary>
internal static class DemoCommand
{
    public static Command Build()
    {
        var model = new Option<string?>("--model", "-m") { Description = "A model name from appsettings.json (Models section) or a GGUF file, instead of the generated test model." };
        var benchmarks = new Option<string?>("--benchmarks", "-b") { Description = "Comma-separated benchmarks instead of every bundled sample." };
        var maxInstances = new Option<int?>("--max-instances") { Description = "Instances per benchmark (default: Demo:MaxInstances, 5; 0 = every instance of the samples)." }.Checked();
        var mode = new Option<string>("--mode") { Description = "Scoring mode: corrected (default) or helm (the reference behaviour).", DefaultValueFactory = _ => "corrected" };
        mode.AcceptOnlyFromAmong("corrected", "helm");
        var noJury = new Option<bool>("--no-jury") { Description = "Skip the generated jury (open-ended benchmarks are then skipped)." };
        var noBertScore = new Option<bool>("--no-bertscore") { Description = "Skip BERTScore of the open-ended answers (by default computed with a generated BERT model)." };
        var command = new Command("demo",
            "Evaluate local models (default: two generated tiny ones) on the bundled sample of every benchmark, with a jury of three " +
            "generated judges for the open-ended ones (and BERTScore with a generated BERT model), through llama.cpp in-process; store the run in SQLite, print the leaderboard and write the HTML decision report.")
        {
            model, benchmarks, maxInstances, mode, noJury, noBertScore,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var demo = new DemoRequest(
                parse.GetValue(model), RunCommand.Split(parse.GetValue(benchmarks)), parse.GetValue(maxInstances), parse.GetValue(mode),
                Jury: !parse.GetValue(noJury), BertScore: !parse.GetValue(noBertScore));
            var observer = new ConsoleRunObserver();
            var builder = host.Service<DemoRunBuilder>();
            var outcome = await RunCommand.ExecuteAsync(host, builder.Build(demo, observer), observer, token);

            // the decision report of the run, with the floors, as one HTML file
            var report = await new DecisionRunReportBuilder(host.Database, host.Options<PricingOptions>())
                .BuildAsync([outcome.RunId], new DecisionRunReportOptions { Baselines = true }, token);
            var path = builder.ReportPath(outcome.RunId);
            await ReportCommand.WriteAsync(DecisionRunReportFormats.Format("html", report, DateTimeOffset.UtcNow), new FileInfo(path), token);
            return CommandRunner.Ok;
        }));
        return command;
    }
}
