using System.CommandLine;
using System.Security.Cryptography;
using MedHelm.Cli.Hosting;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Private;
using MedHelm.Application.Ports;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm datasets import|list|validate</c>: the dataset registry in the results database.</summary>
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

    private static async Task<(IDatasetImporter Importer, AccessTier Access)?> ResolveAsync(string? benchmark, FileInfo? definitionFile)
    {
        if (definitionFile is not null)
        {
            var report = new DatasetValidationReport();
            var definition = BenchmarkDefinitionFile.Read(definitionFile.FullName, report);
            if (definition is null || !report.IsValid)
            {
                await WriteProblemsAsync(report);
                await Console.Error.WriteLineAsync($"error: {definitionFile.Name}: {report.TotalProblems} problem(s) in the definition file; nothing was read.");
                return null;
            }

            return (new GenericInstancesImporter(definition), definition.Access);
        }

        if (string.IsNullOrWhiteSpace(benchmark))
        {
            throw new ArgumentException("--benchmark is required (or --definition for a benchmark defined by a file).");
        }

        var importer = DatasetImporters.Find(benchmark) ?? throw new ArgumentException(
            BuiltInBenchmarks.Find(benchmark) is { } known
                ? $"'{known.Name}' has no built-in importer ({known.Access.ToString().ToLowerInvariant()} data); bring it in with --definition (see docs/private-benchmarks.md)."
                : $"Unknown benchmark '{benchmark}'. Importers: {string.Join(", ", DatasetImporters.All.Select(i => i.Benchmark))}.");
        return (importer, BuiltInBenchmarks.Find(importer.Benchmark)?.Access ?? AccessTier.Private);
    }

    private static async Task<DatasetReadResult> ReadAsync(IDatasetImporter importer, string path)
    {
        var result = DatasetImport.Read(importer, path);
        await WriteProblemsAsync(result.Report);
        return result;
    }

    /// <summary>Every problem with its file, line and field, up to <see cref="DatasetValidationReport.ShownProblems"/>, then how many more.</summary>
    private static async Task WriteProblemsAsync(DatasetValidationReport report)
    {
        foreach (var line in report.Lines())
        {
            await Console.Error.WriteLineAsync(line);
        }
    }

    private static Command Import()
    {
        var (benchmark, path, definition) = SourceOptions();
        var command = new Command("import", "Validate the files and store their instances (all or nothing; the same files again change nothing).") { benchmark, path, definition };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            if (await ResolveAsync(parse.GetValue(benchmark), parse.GetValue(definition)) is not (var importer, var access))
            {
                return CommandRunner.Failed;
            }

            var source = Path.GetFullPath(parse.GetValue(path)!);
            var result = await ReadAsync(importer, source);
            if (result.Dataset is null)
            {
                await Console.Error.WriteLineAsync($"error: {importer.Benchmark}: {result.Report.TotalProblems} problem(s); nothing was imported.");
                return CommandRunner.Failed;
            }

            var dataset = result.Dataset;
            string? definitionJson = null;
            if (parse.GetValue(definition) is { } definitionFile)
            {
                // the definition is part of what was imported: a changed definition is a new import, and runs read it back
                var bytes = await File.ReadAllBytesAsync(definitionFile.FullName, token);
                definitionJson = System.Text.Encoding.UTF8.GetString(bytes);
                dataset = dataset with
                {
                    SourceFiles = [.. dataset.SourceFiles, new SourceFileInfo(definitionFile.Name, Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length)],
                };
                if (BuiltInBenchmarks.Find(importer.Benchmark) is not null)
                {
                    await Console.Error.WriteLineAsync(
                        $"note: '{importer.Benchmark}' is a built-in benchmark: runs evaluate it with the built-in definition, not this file's; name your benchmark differently to run it under this definition.");
                }
            }

            var outcome = await host.Database.StoreDatasetAsync(dataset, access, source, definitionJson, token);
            var splits = string.Join(", ", result.Dataset.Instances.GroupBy(i => i.Split).Select(g => $"{g.Key} {g.Count()}"));
            await Console.Out.WriteLineAsync(outcome.Stored
                ? $"{importer.Benchmark}: imported {result.Dataset.Count} instances ({splits}) from {dataset.SourceFiles.Count} file(s), {access.ToString().ToLowerInvariant()}, sha256 {outcome.SourceSha256}"
                : $"{importer.Benchmark}: these files (sha256 {outcome.SourceSha256}) were already imported; nothing changed.");
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command Validate()
    {
        var (benchmark, path, definition) = SourceOptions();
        var command = new Command("validate", "Check the files and list every problem (file, line, field); stores nothing.") { benchmark, path, definition };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            if (await ResolveAsync(parse.GetValue(benchmark), parse.GetValue(definition)) is not (var importer, _))
            {
                return CommandRunner.Failed;
            }

            var result = await ReadAsync(importer, Path.GetFullPath(parse.GetValue(path)!));
            if (result.Dataset is null)
            {
                await Console.Error.WriteLineAsync($"{importer.Benchmark}: {result.Report.TotalProblems} problem(s).");
                return CommandRunner.Failed;
            }

            var splits = string.Join(", ", result.Dataset.Instances.GroupBy(i => i.Split).Select(g => $"{g.Key} {g.Count()}"));
            await Console.Out.WriteLineAsync($"{importer.Benchmark}: valid, {result.Dataset.Count} instances ({splits}) from {result.Dataset.SourceFiles.Count} file(s).");
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List imported datasets: benchmark, access tier, instances per split, source hash, when.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var databasePath = host.DatabasePath;
            if (!File.Exists(databasePath))
            {
                await Console.Out.WriteLineAsync("No datasets imported yet.");
                return CommandRunner.Ok;
            }

            await using var store = await host.OpenExistingDatabaseAsync(token);
            var rows = await store.ListDatasetsAsync(token);
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
