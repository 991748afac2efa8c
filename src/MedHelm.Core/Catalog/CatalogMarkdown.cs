using System.Globalization;
using System.Text;

namespace MedHelm.Core.Catalog;

/// <summary>
/// Renders the catalog as Markdown: the text of <c>docs/benchmarks.md</c> (regenerate it with
/// <c>scripts/medhelm benchmarks list --markdown &gt; docs/benchmarks.md</c>; a test keeps the two in sync).
/// </summary>
public static class CatalogMarkdown
{
    /// <summary>The whole document for <paramref name="benchmarks"/> (default: the built-in catalog).</summary>
    public static string Render(IReadOnlyList<BenchmarkDefinition>? benchmarks = null)
    {
        benchmarks ??= BuiltInBenchmarks.All;
        var sb = new StringBuilder();
        sb.Append("# MedHELM benchmark catalog\n\n");
        sb.Append("Generated from `src/MedHelm.Core/Catalog` by `scripts/medhelm benchmarks list --markdown`; do not edit by hand ");
        sb.Append("(a test fails when this file and the catalog differ).\n\n");
        var open = benchmarks.Count(b => b.IsOpen);
        sb.Append(CultureInfo.InvariantCulture,
            $"{benchmarks.Count} benchmarks ({Count(benchmarks, AccessTier.Public)} public, {Count(benchmarks, AccessTier.Gated)} gated, ");
        sb.Append(CultureInfo.InvariantCulture,
            $"{Count(benchmarks, AccessTier.Private)} private; {benchmarks.Count - open} closed, {open} open) in ");
        sb.Append(CultureInfo.InvariantCulture,
            $"{Taxonomy.Categories.Count} categories and {Taxonomy.Categories.Sum(c => c.Subcategories.Count)} subcategories.\n\n");
        sb.Append("`scripts/medhelm benchmarks list` prints the overview below, followed by the benchmarks imported with a definition file ");
        sb.Append("(marked `[defined by a file]`); `--json` writes each benchmark in the definition file format of `private-benchmarks.md`, ");
        sb.Append("which `datasets import --definition` reads back (every built-in but Medec, whose open label answer the format cannot express). ");
        sb.Append("`benchmarks show NAME` prints one benchmark; with `--prompt [--instance ID]` the chat messages the model receives for one ");
        sb.Append("instance of its imported data, else of its bundled sample.\n\n");

        sb.Append("## Overview\n\n");
        sb.Append("| Benchmark | Run spec | Category | Subcategory | Access | C/O | Main metric | Max tokens | Runs |\n");
        sb.Append("|---|---|---|---|---|---|---|---|---|\n");
        foreach (var b in benchmarks)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"| {Cell(b.DisplayName)} | `{b.Name}` | {b.Category.Abbreviation} | {Cell(b.Subcategory)} | {Tier(b.Access)} | {(b.IsOpen ? "O" : "C")} | {b.MainMetric} | {b.MaxTokens} | {Math.Max(1, b.SubRuns.Count)} |\n");
        }

        foreach (var category in Taxonomy.Categories)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n## {category.Name} ({category.Abbreviation})\n");
            foreach (var subcategory in category.Subcategories)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\n### {subcategory}\n");
                var members = benchmarks.Where(b => b.Category == category && b.Subcategory == subcategory).ToArray();
                if (members.Length == 0)
                {
                    sb.Append("\n(no benchmark)\n");
                }

                foreach (var b in members)
                {
                    AppendBenchmark(sb, b);
                }
            }
        }

        return sb.ToString();
    }

    /// <summary>One benchmark's section of the document ("#### Name (`run_spec`)" and its details).</summary>
    public static string RenderBenchmark(BenchmarkDefinition benchmark)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        var sb = new StringBuilder();
        AppendBenchmark(sb, benchmark);
        return sb.ToString().TrimStart('\n');
    }

    private static void AppendBenchmark(StringBuilder sb, BenchmarkDefinition b)
    {
        sb.Append(CultureInfo.InvariantCulture, $"\n#### {b.DisplayName} (`{b.Name}`)\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"- Task: {b.Task}\n");
        sb.Append(CultureInfo.InvariantCulture, $"- Access: {Tier(b.Access)}; {(b.IsOpen ? "open-ended (LLM jury)" : "closed")}; answer kind {b.AnswerKind}\n");
        sb.Append(CultureInfo.InvariantCulture, $"- Answer format: {b.AnswerFormat}\n");
        sb.Append(CultureInfo.InvariantCulture, $"- Main metric: `{b.MainMetric}`; max tokens {b.MaxTokens}; stop sequences: {Stops(b.StopSequences)}\n");
        if (b.ReferenceInstanceCount is { } n)
        {
            sb.Append(CultureInfo.InvariantCulture, $"- MedHELM instances per model: {n}\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"- Instructions: {(string.IsNullOrWhiteSpace(b.Instructions) ? "(none)" : b.Instructions)}\n");
        if (b.PromptTemplate is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"- Prompt template: `{b.PromptTemplate}`\n");
        }

        sb.Append("- Prompt layout: ");
        sb.Append(b.InputFields.Count == 0
            ? "instructions, question"
            : "instructions, " + string.Join(", ", b.InputFields.Select(f => $"\"{f.Label}: {{{f.Key}}}\"")) + ", question");
        sb.Append(b.AnswerKind == AnswerKind.Letter ? ", options \"A. …\"" : string.Empty);
        sb.Append(CultureInfo.InvariantCulture, $", \"{b.AnswerLabel}:\"\n");
        if (b.SubRuns.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"- Runs ({b.SubRuns.Count}; the score is the unweighted mean of the run means): ");
            sb.Append(string.Join("; ", b.SubRuns.Select(r => $"`{r.Name}` ({r.Description})"))).Append('\n');
        }

        if (b.JuryCriteria.Count > 0)
        {
            sb.Append("- Jury criteria (1-5 each):\n");
            foreach (var c in b.JuryCriteria)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  - {c.Name}: {c.Question}\n");
            }
        }
    }

    private static int Count(IReadOnlyList<BenchmarkDefinition> all, AccessTier tier) => all.Count(b => b.Access == tier);

    private static string Tier(AccessTier tier) => tier.ToString().ToLowerInvariant();

    private static string Stops(IReadOnlyList<string> stops) =>
        stops.Count == 0 ? "none" : string.Join(", ", stops.Select(s => "`" + s.Replace("\n", "\\n", StringComparison.Ordinal) + "`"));

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
