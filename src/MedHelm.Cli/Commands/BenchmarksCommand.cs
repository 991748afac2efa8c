using System.CommandLine;
using System.Text.Json;
using MedHelm.Core.Catalog;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm benchmarks list</c>: the MedHELM catalog (37 benchmarks) as a table, JSON or the Markdown of docs/benchmarks.md.</summary>
internal static class BenchmarksCommand
{
    public static Command Build() => new("benchmarks", "The MedHELM benchmark catalog.") { List() };

    private static Command List()
    {
        var category = new Option<string?>("--category") { Description = "Only this category: name or abbreviation (CDS, CNG, PCE, MRA, AW)." };
        var json = new Option<bool>("--json") { Description = "Print the definitions as JSON." };
        var markdown = new Option<bool>("--markdown") { Description = "Print docs/benchmarks.md (the whole catalog)." };
        var command = new Command("list", "List the benchmarks: name, category, subcategory, access tier, closed/open, main metric, max tokens.")
        {
            category, json, markdown,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            if (parse.GetValue(markdown))
            {
                await Console.Out.WriteAsync(CatalogMarkdown.Render());
                return CommandRunner.Ok;
            }

            IReadOnlyList<BenchmarkDefinition> selected = BuiltInBenchmarks.All;
            if (parse.GetValue(category) is { } c)
            {
                selected = BuiltInBenchmarks.InCategory(c);
                if (selected.Count == 0)
                {
                    throw new ArgumentException(
                        $"Unknown category '{c}'. Known: {string.Join(", ", Taxonomy.Categories.Select(x => $"{x.Abbreviation} ({x.Name})"))}.");
                }
            }

            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(selected.Select(ToJson), new JsonSerializerOptions { WriteIndented = true }));
                return CommandRunner.Ok;
            }

            await Console.Out.WriteLineAsync($"{"name",-28} {"display name",-22} {"cat",-4} {"access",-8} {"c/o",-6} {"main metric",-30} {"max",5} {"runs",4}  subcategory");
            foreach (var b in selected)
            {
                await Console.Out.WriteLineAsync(
                    $"{b.Name,-28} {b.DisplayName,-22} {b.Category.Abbreviation,-4} {b.Access.ToString().ToLowerInvariant(),-8} {(b.IsOpen ? "open" : "closed"),-6} {b.MainMetric,-30} {b.MaxTokens,5} {Math.Max(1, b.SubRuns.Count),4}  {b.Subcategory}");
            }

            await Console.Out.WriteLineAsync($"{selected.Count} benchmarks");
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static object ToJson(BenchmarkDefinition b) => new
    {
        name = b.Name,
        displayName = b.DisplayName,
        category = b.Category.Name,
        categoryAbbreviation = b.Category.Abbreviation,
        subcategory = b.Subcategory,
        task = b.Task,
        access = b.Access.ToString().ToLowerInvariant(),
        style = b.IsOpen ? "open" : "closed",
        answerKind = b.AnswerKind.ToString(),
        answerFormat = b.AnswerFormat,
        mainMetric = b.MainMetric,
        maxTokens = b.MaxTokens,
        stopSequences = b.StopSequences,
        instructions = b.Instructions,
        promptTemplate = b.PromptTemplate,
        inputFields = b.InputFields.Select(f => new { key = f.Key, label = f.Label }),
        labels = b.Labels,
        subRuns = b.SubRuns.Select(r => new { name = r.Name, description = r.Description }),
        juryCriteria = b.JuryCriteria.Select(j => new { name = j.Name, question = j.Question }),
        referenceInstanceCount = b.ReferenceInstanceCount,
    };
}
