using System.CommandLine;
using MedHelm.Cli.Hosting;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Private;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>medhelm benchmarks list|show</c>: the MedHELM catalog (37 benchmarks) and the benchmarks defined by imported
/// definition files, as a table, definition-file JSON or the Markdown of docs/benchmarks.md; one benchmark's
/// definition and the prompt of one of its instances.
/// </summary>
internal static class BenchmarksCommand
{
    public static Command Build() => new("benchmarks", "The MedHELM benchmark catalog and the benchmarks defined by imported definition files.") { List(), Show() };

    private static Command List()
    {
        var category = new Option<string?>("--category") { Description = "Only this category: name or abbreviation (CDS, CNG, PCE, MRA, AW)." };
        var json = new Option<bool>("--json") { Description = "Print the definitions as JSON, in the definition file format (datasets import --definition reads each back)." };
        var markdown = new Option<bool>("--markdown") { Description = "Print docs/benchmarks.md (the built-in catalog)." };
        var command = new Command("list", "List the benchmarks: name, category, access tier, closed/open, main metric, max tokens, runs, subcategory; those defined by a file are marked.")
        {
            category, json, markdown,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            if (parse.GetValue(markdown))
            {
                await Console.Out.WriteAsync(CatalogMarkdown.Render());
                return CommandRunner.Ok;
            }

            var listing = await WithBrowserAsync(host, token, browser => browser.ListAsync(token));
            foreach (var problem in listing.Problems)
            {
                await Console.Error.WriteLineAsync($"warning: {problem}");
            }

            IReadOnlyList<KnownBenchmark> selected = listing.Benchmarks;
            if (parse.GetValue(category) is { } c)
            {
                var wanted = Taxonomy.Categories.FirstOrDefault(x =>
                    string.Equals(x.Name, c, StringComparison.OrdinalIgnoreCase) || string.Equals(x.Abbreviation, c, StringComparison.OrdinalIgnoreCase))
                    ?? throw new ArgumentException(
                        $"Unknown category '{c}'. Known: {string.Join(", ", Taxonomy.Categories.Select(x => $"{x.Abbreviation} ({x.Name})"))}.");
                selected = selected.Where(b => b.Definition.Category == wanted).ToArray();
            }

            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(BenchmarkDefinitionFile.Write(BenchmarkBrowser.ToJson(selected)));
                return CommandRunner.Ok;
            }

            await Console.Out.WriteLineAsync($"{"name",-28} {"display name",-22} {"cat",-4} {"access",-8} {"c/o",-6} {"main metric",-30} {"max",5} {"runs",4}  subcategory");
            foreach (var (b, origin) in selected)
            {
                await Console.Out.WriteLineAsync(
                    $"{b.Name,-28} {b.DisplayName,-22} {b.Category.Abbreviation,-4} {b.Access.ToString().ToLowerInvariant(),-8} {(b.IsOpen ? "open" : "closed"),-6} {b.MainMetric,-30} {b.MaxTokens,5} {Math.Max(1, b.SubRuns.Count),4}  {b.Subcategory}{(origin == DefinitionOrigin.DefinitionFile ? "  [defined by a file]" : string.Empty)}");
            }

            var defined = selected.Count(b => b.Origin == DefinitionOrigin.DefinitionFile);
            await Console.Out.WriteLineAsync($"{selected.Count} benchmarks{(defined > 0 ? $" ({defined} defined by a file)" : string.Empty)}");
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command Show()
    {
        var name = new Argument<string>("name") { Description = "Run-spec name (built in, or imported with a definition file)." };
        var prompt = new Option<bool>("--prompt") { Description = "Print the chat messages the model receives for the first instance (imported data, else the bundled sample)." };
        var instance = new Option<string?>("--instance") { Description = "With the prompt of this instance id (implies --prompt)." };
        var json = new Option<bool>("--json") { Description = "Print JSON: the definition file, or with --prompt the messages." };
        var command = new Command("show", "Show one benchmark's definition, or with --prompt the rendered prompt of one of its instances.")
        {
            name, prompt, instance, json,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var benchmark = parse.GetValue(name)!;
            var instanceId = parse.GetValue(instance);
            var asJson = parse.GetValue(json);
            if (parse.GetValue(prompt) || instanceId is not null)
            {
                var preview = await WithBrowserAsync(host, token, browser => browser.PreviewAsync(benchmark, instanceId, token));
                await Console.Out.WriteAsync(asJson ? BenchmarkDefinitionFile.Write(preview.ToJson()) + "\n" : preview.ToText());
                return CommandRunner.Ok;
            }

            var known = await WithBrowserAsync(host, token, browser => browser.FindAsync(benchmark, token));
            await Console.Out.WriteAsync(asJson
                ? BenchmarkDefinitionFile.Write(BenchmarkBrowser.ToJson(known)) + "\n"
                : $"{known.Definition.Name}: {(known.Origin == DefinitionOrigin.BuiltIn ? "built in" : "defined by a definition file imported with its data")}\n\n"
                  + CatalogMarkdown.RenderBenchmark(known.Definition));
            return CommandRunner.Ok;
        }));
        return command;
    }

    /// <summary>Runs <paramref name="body"/> with the imports of the results database (none when there is no database yet; none is created).</summary>
    private static async Task<T> WithBrowserAsync<T>(CliHost host, CancellationToken token, Func<BenchmarkBrowser, Task<T>> body)
    {
        if (!host.Paths.DatabaseMayExist)
        {
            return await body(new BenchmarkBrowser(null));
        }

        await using var store = await host.OpenExistingDatabaseAsync(token);
        return await body(new BenchmarkBrowser(store));
    }
}
