using System.Globalization;
using System.Text.Json;
using MedHelm.Core.Catalog;
using MedHelm.Core.Prompts;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Private;

/// <summary>
/// Reads a benchmark definition file (JSON; format in docs/private-benchmarks.md): taxonomy placement, prompt
/// (instructions, template with named slots, input fields), answer type (letter / yes_no / label / number with
/// tolerance / code_list / free_text with jury criteria), metric and limits. This is how the private MedHELM
/// benchmarks and a hospital's own tasks come in. <see cref="Write"/> is the reverse: a definition in this format.
/// Every problem is reported with its line and the field's path (<c>answer.jury_criteria[1].question</c>).
/// </summary>
public static partial class BenchmarkDefinitionFile
{
    /// <summary>Written by <c>benchmarks list --json</c> (built_in or definition_file); ignored when read.</summary>
    public const string DefinedByKey = "defined_by";

    private static readonly string[] Known =
    [
        "name", "display_name", "category", "subcategory", "access", "task", "instructions", "prompt_template", "fields",
        "answer", "metric", "max_tokens", "stop_sequences", "question_label", "answer_label", "runs", "reference_instance_count",
        DefinedByKey, "$schema", "description",
    ];

    private static readonly string[] AnswerKeys = ["type", "labels", "tolerance", "relative", "jury_criteria", "format"];

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
        if (root.ValueKind != JsonValueKind.Object)
        {
            report.Add(source!.Path, 1, null, null, $"expected a JSON object, found {JsonSource.Describe(root.ValueKind)}");
            return null;
        }

        var r = new Reader(source!.Path, JsonSource.ValueLines(source), report);
        var before = report.TotalProblems;
        r.RejectUnknown(root, string.Empty, Known);

        var name = r.RequiredString(root, "name");
        if (name is not null && (name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')) || name.Length > 64))
        {
            r.Add("name", $"'{TextUtil.Shorten(name)}': use 1-64 letters, digits, '_', '-' or '.'");
        }

        var display = r.OptionalString(root, "display_name") ?? name;
        var categoryName = r.RequiredString(root, "category");
        var subcategory = r.RequiredString(root, "subcategory");
        var category = categoryName is null ? null : Taxonomy.Categories.FirstOrDefault(c =>
            string.Equals(c.Name, categoryName, StringComparison.OrdinalIgnoreCase) || string.Equals(c.Abbreviation, categoryName, StringComparison.OrdinalIgnoreCase));
        if (categoryName is not null && category is null)
        {
            r.Add("category", $"unknown category '{TextUtil.Shorten(categoryName)}' (known: {string.Join(", ", Taxonomy.Categories.Select(c => c.Abbreviation))})");
        }

        var matchedSub = category?.Subcategories.FirstOrDefault(s => string.Equals(s, subcategory, StringComparison.OrdinalIgnoreCase));
        if (category is not null && subcategory is not null && matchedSub is null)
        {
            r.Add("subcategory", $"'{TextUtil.Shorten(subcategory)}' is not a subcategory of {category.Name} ({string.Join("; ", category.Subcategories)})");
        }

        var accessText = r.OptionalString(root, "access") ?? "private";
        var access = Enum.GetValues<AccessTier>().FirstOrDefault(a => string.Equals(a.ToString(), accessText, StringComparison.OrdinalIgnoreCase), AccessTier.Private);
        if (!string.Equals(access.ToString(), accessText, StringComparison.OrdinalIgnoreCase))
        {
            r.Add("access", $"expected public, gated or private, found '{TextUtil.Shorten(accessText)}'");
        }

        var task = r.OptionalString(root, "task") ?? string.Empty;
        var instructions = r.OptionalString(root, "instructions") ?? string.Empty;
        var template = r.OptionalString(root, "prompt_template");
        var questionLabel = r.OptionalString(root, "question_label") ?? "Question";
        var answerLabel = r.OptionalString(root, "answer_label") ?? "Answer";
        var fields = ReadFields(root, r);
        var metric = r.RequiredString(root, "metric");
        var maxTokens = r.Integer(root, "max_tokens", required: true, 1, 100_000) ?? 0;
        var referenceCount = r.Integer(root, "reference_instance_count", required: false, 1, int.MaxValue);
        var stops = root.TryGetProperty("stop_sequences", out _) ? JsonSource.RequireStringArray(root, "stop_sequences", r.At("stop_sequences"), report) ?? [] : [];
        var answer = ReadAnswer(root, r);
        var runs = ReadRuns(root, r);

        if (template is not null && PromptTemplateSlots.FirstStrayBrace(template) is { } stray)
        {
            r.Add("prompt_template", $"the '{template[stray]}' at character {stray + 1} is unbalanced: write {{{{ or }}}} for a literal brace and {{name}} for a slot");
        }
        else if (template is not null)
        {
            foreach (var slot in PromptTemplateSlots.Find(template))
            {
                if (slot is not ("question" or "options") && !fields.Any(f => string.Equals(f.Key, slot, StringComparison.Ordinal)))
                {
                    r.Add("prompt_template", $"the slot {{{slot}}} is neither {{question}}, {{options}} nor the key of one of the fields ({string.Join(", ", fields.Select(f => f.Key))})");
                }
            }
        }

        if (report.TotalProblems > before || name is null || category is null || matchedSub is null || metric is null || answer is null)
        {
            return null;
        }

        var definition = new BenchmarkDefinition(name, display!, category, matchedSub, access, answer.Kind, metric, maxTokens, stops, instructions, fields)
        {
            Task = task,
            AnswerFormat = answer.Format,
            Style = answer.Kind == AnswerKind.FreeText && answer.Jury.Count > 0 ? EvaluationStyle.Open : EvaluationStyle.Closed,
            JuryCriteria = answer.Jury,
            Labels = answer.Labels,
            Tolerance = answer.Tolerance,
            PromptTemplate = template,
            SubRuns = runs,
            QuestionLabel = questionLabel,
            AnswerLabel = answerLabel,
            ReferenceInstanceCount = referenceCount,
        };
        try
        {
            definition.Validate();
        }
        catch (ArgumentException ex)
        {
            report.Add(source.Path, null, null, null, ex.Message);
            return null;
        }

        return definition;
    }

    private static List<InputField> ReadFields(JsonElement root, Reader r)
    {
        var fields = new List<InputField>();
        if (!root.TryGetProperty("fields", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return fields;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            r.Add("fields", $"expected an array of {{\"key\", \"label\"}}, found {JsonSource.Describe(element.ValueKind)}");
            return fields;
        }

        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var path = $"fields[{index++}]";
            if (!r.RequireObject(item, path, "{\"key\", \"label\"}"))
            {
                continue;
            }

            r.RejectUnknown(item, path, ["key", "label"]);
            var key = r.RequiredString(item, "key", path);
            if (key is null)
            {
                continue;
            }

            if (fields.Any(f => string.Equals(f.Key, key, StringComparison.Ordinal)))
            {
                r.Add(path + ".key", $"the key '{key}' occurs more than once");
            }
            else
            {
                fields.Add(new InputField(key, r.OptionalString(item, "label", path) ?? key));
            }
        }

        return fields;
    }

    private static List<BenchmarkSubRun> ReadRuns(JsonElement root, Reader r)
    {
        var runs = new List<BenchmarkSubRun>();
        if (!root.TryGetProperty("runs", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return runs;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            r.Add("runs", $"expected an array of {{\"name\", \"description\"}}, found {JsonSource.Describe(element.ValueKind)}");
            return runs;
        }

        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var path = $"runs[{index++}]";
            if (!r.RequireObject(item, path, "{\"name\", \"description\"}"))
            {
                continue;
            }

            r.RejectUnknown(item, path, ["name", "description"]);
            var runName = r.RequiredString(item, "name", path);
            if (runName is null)
            {
                continue;
            }

            if (runs.Any(x => string.Equals(x.Name, runName, StringComparison.OrdinalIgnoreCase)))
            {
                r.Add(path + ".name", $"the run '{runName}' occurs more than once");
            }
            else
            {
                runs.Add(new BenchmarkSubRun(runName, r.OptionalString(item, "description", path) ?? runName));
            }
        }

        return runs;
    }

    private static AnswerSpec? ReadAnswer(JsonElement root, Reader r)
    {
        if (!root.TryGetProperty("answer", out var answer) || answer.ValueKind == JsonValueKind.Null)
        {
            r.Add("answer", "the field is missing: {\"type\": \"letter\"} (or yes_no, label, number, code_list, free_text)");
            return null;
        }

        if (!r.RequireObject(answer, "answer", "{\"type\", …}"))
        {
            return null;
        }

        r.RejectUnknown(answer, "answer", AnswerKeys);
        var type = r.RequiredString(answer, "type", "answer");
        var labels = answer.TryGetProperty("labels", out _)
            ? JsonSource.RequireStringArray(answer, "labels", r.At("answer.labels"), r.Report, "answer.labels") ?? []
            : [];
        var format = r.OptionalString(answer, "format", "answer");
        NumericTolerance? tolerance = null;
        var hasTolerance = answer.TryGetProperty("tolerance", out var t) && t.ValueKind != JsonValueKind.Null;
        if (hasTolerance && (t.ValueKind != JsonValueKind.Number || !t.TryGetDouble(out var value) || value < 0))
        {
            r.Add("answer.tolerance", $"expected a non-negative number, found {(t.ValueKind == JsonValueKind.Number ? t.GetRawText() : JsonSource.Describe(t.ValueKind))}");
        }
        else if (hasTolerance)
        {
            var relative = false;
            if (answer.TryGetProperty("relative", out var rel) && rel.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            {
                r.Add("answer.relative", $"expected true or false, found {JsonSource.Describe(rel.ValueKind)}");
            }
            else
            {
                relative = rel.ValueKind == JsonValueKind.True;
            }

            tolerance = new NumericTolerance(t.GetDouble(), relative);
        }

        if (!hasTolerance && answer.TryGetProperty("relative", out _))
        {
            r.Add("answer.relative", "a relative tolerance needs \"tolerance\" too");
        }

        if (type is not null && type != "number" && answer.TryGetProperty("tolerance", out _))
        {
            r.Add("answer.tolerance", $"only a number answer has a tolerance (the type is {type})");
        }

        if (type is not null && type is not ("letter" or "yes_no" or "label") && answer.TryGetProperty("labels", out _))
        {
            r.Add("answer.labels", $"only letter, yes_no and label answers have labels (the type is {type})");
        }

        if (type is not null && type != "free_text" && answer.TryGetProperty("jury_criteria", out _))
        {
            r.Add("answer.jury_criteria", $"only a free_text answer has jury criteria (the type is {type})");
        }

        switch (type)
        {
            case "letter":
                return new AnswerSpec(AnswerKind.Letter, format ?? "one option letter", labels, null, []);
            case "yes_no":
                return new AnswerSpec(AnswerKind.YesNo, format ?? "yes or no", labels.Count > 0 ? labels : ["yes", "no"], null, []);
            case "label":
                if (labels.Count < 2)
                {
                    r.Add("answer.labels", $"a label answer needs at least two labels, found {labels.Count}");
                    return null;
                }

                return new AnswerSpec(AnswerKind.Label, format ?? "one of: " + string.Join(", ", labels), labels, null, []);
            case "number":
                var derived = tolerance is null ? "a number"
                    : tolerance.Relative ? string.Create(CultureInfo.InvariantCulture, $"a number within ±{tolerance.Value:P0}")
                    : string.Create(CultureInfo.InvariantCulture, $"a number within ±{tolerance.Value}");
                return new AnswerSpec(AnswerKind.Number, format ?? derived, [], tolerance, []);
            case "code_list":
                return new AnswerSpec(AnswerKind.CodeList, format ?? "a comma-separated list of codes", [], null, []);
            case "free_text":
                return new AnswerSpec(AnswerKind.FreeText, format ?? "free text", [], null, ReadJury(answer, r));
            case null:
                return null;
            default:
                r.Add("answer.type", $"unknown answer type '{TextUtil.Shorten(type)}' (letter, yes_no, label, number, code_list, free_text)");
                return null;
        }
    }

    private static List<JuryCriterion> ReadJury(JsonElement answer, Reader r)
    {
        var jury = new List<JuryCriterion>();
        if (!answer.TryGetProperty("jury_criteria", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return jury;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            r.Add("answer.jury_criteria", $"expected an array of {{\"name\", \"question\"}}, found {JsonSource.Describe(element.ValueKind)}");
            return jury;
        }

        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var path = $"answer.jury_criteria[{index++}]";
            if (!r.RequireObject(item, path, "{\"name\", \"question\"}"))
            {
                continue;
            }

            r.RejectUnknown(item, path, ["name", "question"]);
            var criterion = r.RequiredString(item, "name", path);
            var question = r.RequiredString(item, "question", path);
            if (criterion is not null && jury.Any(c => string.Equals(c.Name, criterion, StringComparison.Ordinal)))
            {
                r.Add(path + ".name", $"the criterion '{criterion}' occurs more than once");
            }
            else if (criterion is not null && question is not null)
            {
                jury.Add(new JuryCriterion(criterion, question));
            }
        }

        return jury;
    }

    private sealed record AnswerSpec(AnswerKind Kind, string Format, IReadOnlyList<string> Labels, NumericTolerance? Tolerance, IReadOnlyList<JuryCriterion> Jury);

    /// <summary>Reports problems with the field's path and the line where it (or the nearest enclosing value) is.</summary>
    private sealed class Reader(string file, IReadOnlyDictionary<string, long> lines, DatasetValidationReport report)
    {
        public DatasetValidationReport Report => report;

        /// <summary>The location of <paramref name="path"/>: the line of the value, else of the nearest enclosing one that is there.</summary>
        public RecordLocation At(string path)
        {
            for (var p = path; p.Length > 0; p = Parent(p))
            {
                if (lines.TryGetValue(p, out var line))
                {
                    return new RecordLocation(file, line, null);
                }
            }

            return new RecordLocation(file, null, null);
        }

        public void Add(string path, string problem) => report.Add(file, At(path).Line, null, path, problem);

        public string? RequiredString(JsonElement element, string key, string parent = "") =>
            JsonSource.RequireString(element, key, At(Join(parent, key)), report, path: Join(parent, key));

        public string? OptionalString(JsonElement element, string key, string parent = "") =>
            JsonSource.OptionalString(element, key, At(Join(parent, key)), report, Join(parent, key));

        public bool RequireObject(JsonElement element, string path, string shape)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                return true;
            }

            Add(path, $"expected an object {shape}, found {JsonSource.Describe(element.ValueKind)}");
            return false;
        }

        public void RejectUnknown(JsonElement element, string parent, IReadOnlyCollection<string> known)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (!known.Contains(property.Name, StringComparer.Ordinal))
                {
                    Add(Join(parent, property.Name), $"unknown field (known: {string.Join(", ", known.Where(k => k[0] != '$' && k != DefinedByKey))})");
                }
            }
        }

        public int? Integer(JsonElement element, string key, bool required, int min, int max)
        {
            if (!element.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required)
                {
                    Add(key, string.Create(CultureInfo.InvariantCulture, $"the field is missing: an integer from {min} to {max}"));
                }

                return null;
            }

            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max)
            {
                return number;
            }

            Add(key, string.Create(CultureInfo.InvariantCulture,
                $"expected an integer from {min} to {max}, found {(value.ValueKind == JsonValueKind.Number ? value.GetRawText() : JsonSource.Describe(value.ValueKind))}"));
            return null;
        }

        private static string Join(string parent, string key) => parent.Length == 0 ? key : parent + "." + key;

        private static string Parent(string path)
        {
            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            return cut <= 0 ? string.Empty : path[..cut];
        }
    }
}
