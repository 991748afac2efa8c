using System.CommandLine;
using MedHelm.Application.Datasets;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm datasets import|list|validate</c>: the dataset registry in the results database (<see cref="DatasetImportService"/>).</summary>
internal static class DatasetsCommand
{
    public static Command Build() => new("datasets", "Import benchmark data from its original files into the local database, list imports, validate files.")
    {
        Import(),
        List(),
        Validate(),
    };

    private static (Option<string> Benchmark, Option<string> Path, Option<FileInfo?> Definition) SourceOptions()
    {
        var benchmark = new Option<string>("--benchmark", "-b") { Description = "Benchmark run-spec name (see `benchmarks list`); with --definition, ignored.", Required = false };
        var path = new Option<string>("--path", "-p") { Description = "The folder holding the original files, or one file.", Required = true };
        var definition = new Option<FileInfo?>("--definition") { Description = "A benchmark definition file (JSON) for a private or own benchmark; --path then holds JSONL/CSV instances." };
        return (benchmark, path, definition);
    }

    private static DatasetSource Source(ParseResult parse, (Option<string> Benchmark, Option<string> Path, Option<FileInfo?> Definition) options) =>
        new(parse.GetValue(options.Benchmark), parse.GetValue(options.Path)!, parse.GetValue(options.Definition)?.FullName);

    /// <summary>Every problem with its file, line and field, up to a cap, then how many more; false when there were problems.</summary>
    private static async Task<bool> ReportAsync(DatasetCheck check, string failure)
    {
        foreach (var line in check.Report.Lines())
        {
            await Console.Error.WriteLineAsync(line);
        }

        if (check.Dataset is not null)
        {
            return true;
        }

        await Console.Error.WriteLineAsync(check.DefinitionInvalid
            ? $"error: {check.Benchmark}: {check.Report.TotalProblems} problem(s) in the definition file; nothing was read."
            : $"{failure}{check.Benchmark}: {check.Report.TotalProblems} problem(s){(failure.Length > 0 ? "; nothing was imported" : "")}.");
        return false;
    }

    private static Command Import()
    {
        var options = SourceOptions();
        var command = new Command("import", "Validate the files and store their instances (all or nothing; the same files again change nothing).")
        {
            options.Benchmark, options.Path, options.Definition,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var result = await host.Service<DatasetImportService>().ImportAsync(Source(parse, options), token);
            if (!await ReportAsync(result.Check, "error: ") || result.Outcome is not { } outcome)
            {
                return CommandRunner.Failed;
            }

            foreach (var note in result.Notes)
            {
                await Console.Error.WriteLineAsync(note);
            }

            var (check, dataset) = (result.Check, result.Check.Dataset!);
            await Console.Out.WriteLineAsync(outcome.Stored
                ? $"{check.Benchmark}: imported {dataset.Count} instances ({check.Splits}) from {dataset.SourceFiles.Count} file(s), {check.Access.ToString().ToLowerInvariant()}, sha256 {outcome.SourceSha256}"
                : $"{check.Benchmark}: these files (sha256 {outcome.SourceSha256}) were already imported; nothing changed.");
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command Validate()
    {
        var options = SourceOptions();
        var command = new Command("validate", "Check the files and list every problem (file, line, field); stores nothing.")
        {
            options.Benchmark, options.Path, options.Definition,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            var check = DatasetImportService.Check(Source(parse, options));
            if (!await ReportAsync(check, ""))
            {
                return CommandRunner.Failed;
            }

            await Console.Out.WriteLineAsync($"{check.Benchmark}: valid, {check.Dataset!.Count} instances ({check.Splits}) from {check.Dataset.SourceFiles.Count} file(s).");
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List imported datasets: benchmark, access tier, instances per split, source hash, when.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var rows = host.Paths.DatabaseMayExist ? await (await host.OpenExistingDatabaseAsync(token)).ListDatasetsAsync(token) : [];
            if (rows.Count == 0)
            {
                await Console.Out.WriteLineAsync("No datasets imported yet.");
                return CommandRunner.Ok;
            }

            await Console.Out.WriteLineAsync($"{"benchmark",-24} {"access",-8} {"instances",9}  {"sha256",-16} {"imported (UTC)",-20} splits");
            foreach (var d in rows)
            {
                await Console.Out.WriteLineAsync(
                    $"{d.Benchmark,-24} {d.Access ?? "-",-8} {d.InstanceCount,9}  {d.SourceSha256[..16],-16} {d.ImportedUtc:yyyy-MM-dd HH:mm:ss}  {d.SplitCounts}");
            }

            return CommandRunner.Ok;
        }));
        return command;
    }
}
