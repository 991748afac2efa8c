using System.CommandLine;
using MedHelm.Application.Runs;
using MedHelm.Cli.Rendering;
using MedHelm.Cli.Hosting;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>medhelm run</c>: evaluates models × benchmarks as one durable run (<see cref="RunOrchestrator"/>). Every model call
/// has a ledger key; what the database already holds is reused, the rest computed and committed as it is produced, so a
/// crash or Ctrl+C costs only the requests in flight and <c>--run-id ID --resume</c> carries on.
/// </summary>
internal static class RunCommand
{
    public static Command Build()
    {
        var benchmarks = new Option<string?>("--benchmarks", "-b") { Description = "Comma-separated benchmark names (see `benchmarks list`); each must have been imported (`datasets import`), or give --samples." };
        var suite = new Option<string?>("--suite", "-s") { Description = $"A suite instead of --benchmarks: {RunSuites.Public}, {RunSuites.All} (whatever is imported) or {RunSuites.Demo} (bundled samples)." };
        suite.AcceptOnlyFromAmong(RunSuites.Public, RunSuites.All, RunSuites.Demo);
        var models = new Option<string?>("--models", "-m") { Description = "Comma-separated models: Models names or GGUF files (local), or Endpoints names (hosted, when an administrator enabled them)." };
        var jury = new Option<string?>("--jury") { Description = "Comma-separated judges that rate open-ended benchmarks: Models or Endpoints names from appsettings.json, or GGUF files; local ones are loaded one after another. Default: Jury:Judges; 'none' for no jury." };
        var maxInstances = new Option<int?>("--max-instances") { Description = "Evaluate only the first N instances of each benchmark." }.Checked();
        var runId = new Option<string?>("--run-id") { Description = "Id of the run (default: generated). With --resume: the run to continue." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run --run-id with its stored settings: only what is not stored yet is computed." };
        var mode = new Option<string?>("--mode") { Description = "Scoring mode: corrected (default) or helm." };
        mode.AcceptOnlyFromAmong("corrected", "helm");
        var bertScoreModel = new Option<string?>("--bertscore-model")
        {
            Description = "Also store BERTScore-F1 of every open-ended answer with a reference (secondary, off the leaderboard), computed after the jury " +
                "with this encoder: an ONNX export with hidden states (FILE.onnx, read at the BertScore section's layer, as HELM's bert_score) or a BERT-family GGUF model " +
                "(Models name or file; its final layer). Default: off.",
        };
        var samples = new Option<bool>("--samples")
        {
            Description = "Run benchmarks that were never imported on their bundled samples (public excerpts, or synthetic stand-ins for gated and private data). " +
                "Their scores say nothing about a model on your data; reports mark them.",
        };
        var command = new Command("run", "Evaluate models on benchmarks as a durable, resumable run stored in the results database.")
        {
            benchmarks, suite, models, jury, maxInstances, runId, resume, mode, bertScoreModel, samples,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (host, token) =>
        {
            var request = new RunRequest(
                Split(parse.GetValue(benchmarks)), parse.GetValue(suite), Split(parse.GetValue(models)), Split(parse.GetValue(jury)),
                parse.GetValue(maxInstances), parse.GetValue(runId), parse.GetValue(resume), parse.GetValue(mode), parse.GetValue(bertScoreModel),
                parse.GetValue(samples));
            return RunAsync(host, request, new ConsoleRunObserver(), token);
        }));
        return command;
    }

    /// <summary>Runs <paramref name="request"/> with progress on stderr, then prints the leaderboard and the jury's report.</summary>
    internal static async Task<int> RunAsync(CliHost host, RunRequest request, ConsoleRunObserver observer, CancellationToken cancellationToken)
    {
        await ExecuteAsync(host, request, observer, cancellationToken);
        return CommandRunner.Ok;
    }

    /// <summary>Runs <paramref name="request"/> and prints its summary; returns the outcome.</summary>
    internal static async Task<RunOutcome> ExecuteAsync(CliHost host, RunRequest request, ConsoleRunObserver observer, CancellationToken cancellationToken)
    {
        var outcome = await host.Service<RunOrchestrator>().ExecuteAsync(request, observer, cancellationToken);
        await Console.Out.WriteAsync(await RunSummaryText.BuildAsync(host.Database, outcome, cancellationToken));
        return outcome;
    }

    internal static IReadOnlyList<string> Split(string? value) =>
        value is null ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
