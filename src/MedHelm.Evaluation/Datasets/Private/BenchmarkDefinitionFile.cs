using System.Text.Json;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Private;

/// <summary>
/// Reads a benchmark definition file (JSON; format in docs/private-benchmarks.md): taxonomy placement, prompt
/// (instructions, template with named slots, input fields), answer type (letter / yes_no / label / number with
/// tolerance / code_list / free_text with jury criteria), metric and limits. This is how the private MedHELM
/// benchmarks and a hospital's own tasks come in.
/// </summary>
public static class BenchmarkDefinitionFile
{
    private static readonly string[] Known =
    [
        "name", "display_name", "category", "subcategory", "access", "task", "instructions", "prompt_template", "fields",
        "answer", "metric", "max_tokens", "stop_sequences", "question_label", "answer_label", "runs", "$schema", "description",
    ];

    /// <summary>Reads and validates the file; null with every problem reported when it is not usable.</summary>
    public static BenchmarkDefinition? Read(string path, DatasetValidationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Read(SourceText.Load(path, report, ImportLimits.Default, lineOriented: false), report);
    }

    /// <summary>
    /// Reads and validates a definition kept elsewhere (e.g. stored with its import); <paramref name="label"/> names it
    /// in problems. Null with every problem reported when it is not usable.
    /// </summary>
    public static BenchmarkDefinition? Parse(string label, byte[] utf8Json, DatasetValidationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Read(SourceText.FromBytes(label, utf8Json, report, ImportLimits.Default, lineOriented: false), report);
    }

    private static BenchmarkDefinition? Read(SourceText? source, DatasetValidationReport report)
    {
        using var document = source is null ? null : JsonSource.Parse(source, report);
        if (document is null)
        {
            return null;
        }

        var root = document.RootElement;
        var at = new RecordLocation(source!.Path, null, null);
        if (root.ValueKind != JsonValueKind.Object)
        {
            report.Add(at.File, 1, null, null, $"expected a JSON object, found {JsonSource.Describe(root.ValueKind)}");
            return null;
        }

        var before = report.TotalProblems;
        foreach (var property in root.EnumerateObject())
        {
            if (!Known.Contains(property.Name, StringComparer.Ordinal))
            {
                report.Add(at.File, null, null, property.Name, $"unknown field (known: {string.Join(", ", Known.Where(k => k[0] != '$'))})");
            }
        }

        var name = JsonSource.RequireString(root, "name", at, report);
        if (name is not null && (name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')) || name.Length > 64))
        {
            report.Add(at.File, null, null, "name", "use 1-64 letters, digits, '_', '-' or '.'");
        }

        var display = JsonSource.OptionalString(root, "display_name", at, report) ?? name;
        var categoryName = JsonSource.RequireString(root, "category", at, report);
        var subcategory = JsonSource.RequireString(root, "subcategory", at, report);
        var category = categoryName is null ? null : Taxonomy.Categories.FirstOrDefault(c =>
            string.Equals(c.Name, categoryName, StringComparison.OrdinalIgnoreCase) || string.Equals(c.Abbreviation, categoryName, StringComparison.OrdinalIgnoreCase));
        if (categoryName is not null && category is null)
        {
            report.Add(at.File, null, null, "category", $"unknown category '{categoryName}' (known: {string.Join(", ", Taxonomy.Categories.Select(c => c.Abbreviation))})");
        }

        var matchedSub = category?.Subcategories.FirstOrDefault(s => string.Equals(s, subcategory, StringComparison.OrdinalIgnoreCase));
        if (category is not null && subcategory is not null && matchedSub is null)
        {
            report.Add(at.File, null, null, "subcategory", $"'{subcategory}' is not a subcategory of {category.Name} ({string.Join("; ", category.Subcategories)})");
        }

        var accessText = JsonSource.OptionalString(root, "access", at, report) ?? "private";
        if (!Enum.TryParse<AccessTier>(accessText, ignoreCase: true, out var access))
        {
            report.Add(at.File, null, null, "access", "expected public, gated or private");
        }

        var fields = new List<InputField>();
        if (root.TryGetProperty("fields", out var fieldsElement))
        {
            if (fieldsElement.ValueKind != JsonValueKind.Array)
            {
                report.Add(at.File, null, null, "fields", "expected an array of {key, label}");
            }
            else
            {
                foreach (var f in fieldsElement.EnumerateArray())
                {
                    var key = JsonSource.RequireString(f, "key", at with { Key = "fields" }, report);
                    if (key is not null)
                    {
                        fields.Add(new InputField(key, JsonSource.OptionalString(f, "label", at, report) ?? key));
                    }
                }
            }
        }

        var metric = JsonSource.RequireString(root, "metric", at, report);
        var maxTokens = 0;
        if (!root.TryGetProperty("max_tokens", out var mt) || mt.ValueKind != JsonValueKind.Number || !mt.TryGetInt32(out maxTokens) || maxTokens < 1 || maxTokens > 100_000)
        {
            report.Add(at.File, null, null, "max_tokens", "expected an integer from 1 to 100000");
        }

        var stops = root.TryGetProperty("stop_sequences", out _) ? JsonSource.RequireStringArray(root, "stop_sequences", at, report) ?? [] : [];
        var answer = ReadAnswer(root, at, report);
        var runs = new List<BenchmarkSubRun>();
        if (root.TryGetProperty("runs", out var runsElement) && runsElement.ValueKind == JsonValueKind.Array)
        {
            foreach (var r in runsElement.EnumerateArray())
            {
                var runName = JsonSource.RequireString(r, "name", at with { Key = "runs" }, report);
                if (runName is not null)
                {
                    runs.Add(new BenchmarkSubRun(runName, JsonSource.OptionalString(r, "description", at, report) ?? runName));
                }
            }
        }

        if (report.TotalProblems > before || name is null || category is null || matchedSub is null || metric is null || answer is null)
        {
            return null;
        }

        var definition = new BenchmarkDefinition(
            name, display!, category, matchedSub, access, answer.Kind, metric, maxTokens, stops,
            JsonSource.OptionalString(root, "instructions", at, report) ?? string.Empty, fields)
        {
            Task = JsonSource.OptionalString(root, "task", at, report) ?? string.Empty,
            AnswerFormat = answer.Format,
            Style = answer.Kind == AnswerKind.FreeText && answer.Jury.Count > 0 ? EvaluationStyle.Open : EvaluationStyle.Closed,
            JuryCriteria = answer.Jury,
            Labels = answer.Labels,
            Tolerance = answer.Tolerance,
            PromptTemplate = JsonSource.OptionalString(root, "prompt_template", at, report),
            SubRuns = runs,
            QuestionLabel = JsonSource.OptionalString(root, "question_label", at, report) ?? "Question",
            AnswerLabel = JsonSource.OptionalString(root, "answer_label", at, report) ?? "Answer",
        };
        try
        {
            definition.Validate();
        }
        catch (ArgumentException ex)
        {
            report.Add(at.File, null, null, null, ex.Message);
            return null;
        }

        return definition;
    }

    private static AnswerSpec? ReadAnswer(JsonElement root, RecordLocation at, DatasetValidationReport report)
    {
        if (!root.TryGetProperty("answer", out var answer) || answer.ValueKind != JsonValueKind.Object)
        {
            report.Add(at.File, null, null, "answer", "expected an object {type, …}");
            return null;
        }

        var where = at with { Key = "answer" };
        var type = JsonSource.RequireString(answer, "type", where, report);
        var labels = answer.TryGetProperty("labels", out _) ? JsonSource.RequireStringArray(answer, "labels", where, report) ?? [] : [];
        switch (type)
        {
            case "letter":
                return new AnswerSpec(AnswerKind.Letter, "one option letter", labels, null, []);
            case "yes_no":
                return new AnswerSpec(AnswerKind.YesNo, "yes or no", labels.Count > 0 ? labels : ["yes", "no"], null, []);
            case "label":
                if (labels.Count < 2)
                {
                    report.Add(at.File, null, "answer", "labels", "a label answer needs at least two labels");
                    return null;
                }

                return new AnswerSpec(AnswerKind.Label, "one of: " + string.Join(", ", labels), labels, null, []);
            case "number":
                double tolerance = 0;
                if (answer.TryGetProperty("tolerance", out var t) && (t.ValueKind != JsonValueKind.Number || !t.TryGetDouble(out tolerance) || tolerance < 0))
                {
                    report.Add(at.File, null, "answer", "tolerance", "expected a non-negative number");
                    return null;
                }

                var relative = answer.TryGetProperty("relative", out var r) && r.ValueKind == JsonValueKind.True;
                return new AnswerSpec(AnswerKind.Number, relative ? $"a number within ±{tolerance:P0}" : $"a number within ±{tolerance}", [], new NumericTolerance(tolerance, relative), []);
            case "code_list":
                return new AnswerSpec(AnswerKind.CodeList, "a comma-separated list of codes", [], null, []);
            case "free_text":
                var jury = new List<JuryCriterion>();
                if (answer.TryGetProperty("jury_criteria", out var j) && j.ValueKind == JsonValueKind.Array)
                {
                    foreach (var c in j.EnumerateArray())
                    {
                        var cname = JsonSource.RequireString(c, "name", where, report);
                        var question = JsonSource.RequireString(c, "question", where, report);
                        if (cname is not null && question is not null)
                        {
                            jury.Add(new JuryCriterion(cname, question));
                        }
                    }
                }

                return new AnswerSpec(AnswerKind.FreeText, "free text", [], null, jury);
            case null:
                return null;
            default:
                report.Add(at.File, null, "answer", "type", $"unknown answer type '{type}' (letter, yes_no, label, number, code_list, free_text)");
                return null;
        }
    }

    private sealed record AnswerSpec(AnswerKind Kind, string Format, IReadOnlyList<string> Labels, NumericTolerance? Tolerance, IReadOnlyList<JuryCriterion> Jury);
}
