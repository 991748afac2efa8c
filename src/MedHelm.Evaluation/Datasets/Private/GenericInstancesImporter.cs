using System.Text.Json;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Private;

/// <summary>
/// Instances of a benchmark defined by a definition file or built in (the private MedHELM benchmarks), from JSON
/// Lines or CSV (docs/private-benchmarks.md).
/// JSONL: <c>{"id", "fields": {...}, "question", "options": [...] or {"A": ...}, "answer" | "reference", "metadata": {...}}</c>.
/// CSV: columns <c>id</c>, <c>question</c>, <c>answer</c> or <c>reference</c>, <c>option_A</c>…, one column per input
/// field key, <c>meta_*</c> for metadata. Gold answers are checked against the answer type; every input field of the
/// definition must be given; when the definition has runs (CLEAR's conditions), metadata <c>subset</c> must name one.
/// </summary>
public sealed class GenericInstancesImporter(BenchmarkDefinition definition) : IDatasetImporter
{
    /// <summary>The keys of a JSON Lines instance.</summary>
    private static readonly string[] RecordFields = ["id", "fields", "question", "options", "answer", "reference", "metadata"];

    /// <summary>CSV columns that are neither input fields, options nor metadata.</summary>
    private static readonly string[] ReservedColumns = ["id", "question", "answer", "reference"];

    private readonly BenchmarkDefinition _definition = definition ?? throw new ArgumentNullException(nameof(definition));

    /// <inheritdoc />
    public string Benchmark => _definition.Name;

    /// <inheritdoc />
    public string Formats => "JSONL (id, fields, question, options, answer/reference, metadata) or CSV (id, question, answer/reference, option_A…, <field keys>, meta_*)";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var files = File.Exists(path)
            ? [path]
            : context.FindAll(path, "*.*").Where(f => f.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)).ToArray();
        var instances = new List<BenchmarkInstance>();
        foreach (var file in files)
        {
            var source = context.LoadText(file, lineOriented: true);
            if (source is null)
            {
                continue;
            }

            if (file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            {
                ReadCsv(source, context.Report, instances);
            }
            else
            {
                ReadJsonl(source, context.Report, instances);
            }
        }

        return instances;
    }

    private void ReadJsonl(SourceText source, DatasetValidationReport report, List<BenchmarkInstance> instances)
    {
        var names = new ProblemNames(key => "fields." + key, "options", "metadata." + MetadataKeys.Subset);
        foreach (var (line, record) in JsonSource.Records(source, report))
        {
            // every problem of the record is reported, not just the first: the record is added only when there is none
            var before = report.TotalProblems;
            var id = JsonSource.RequireString(record, "id", new RecordLocation(source.Path, line, null), report);
            var at = new RecordLocation(source.Path, line, id);
            foreach (var property in record.EnumerateObject())
            {
                if (!RecordFields.Contains(property.Name, StringComparer.Ordinal))
                {
                    report.Add(at.File, line, id, property.Name, UnknownField(property.Name, record));
                }
            }

            var fields = ReadFields(record, at, report, out var unreadable);
            var optionsBefore = report.TotalProblems;
            var options = ReadOptions(record, at, report);
            var checks = new Checks(unreadable, report.TotalProblems > optionsBefore);
            var (gold, goldField) = ReadGold(record, at, report);
            var metadata = ReadMetadata(record, at, report);
            var question = JsonSource.OptionalString(record, "question", at, report) ?? string.Empty;
            var checkedGold = Check(source.Path, line, id, fields, options, gold, goldField, metadata, names with { Skip = checks }, report);
            if (id is not null && checkedGold is not null && metadata is not null && report.TotalProblems == before)
            {
                instances.Add(Importers.ImporterSupport.Create(id, fields, question, options ?? [], checkedGold, "test", source.Path, line, metadata));
            }
        }
    }

    /// <summary>The input field values; <paramref name="unreadable"/>: the keys whose value is not text (reported).</summary>
    private static Dictionary<string, string> ReadFields(JsonElement record, RecordLocation at, DatasetValidationReport report, out HashSet<string> unreadable)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        unreadable = new HashSet<string>(StringComparer.Ordinal);
        if (!record.TryGetProperty("fields", out var f) || f.ValueKind == JsonValueKind.Null)
        {
            return fields;
        }

        if (f.ValueKind != JsonValueKind.Object)
        {
            report.Add(at.File, at.Line, at.Key, "fields", $"expected an object of field values {{\"key\": \"text\"}}, found {JsonSource.Describe(f.ValueKind)}");
            unreadable.Add("*");
            return fields;
        }

        foreach (var p in f.EnumerateObject())
        {
            if (JsonSource.OptionalString(f, p.Name, at, report, "fields." + p.Name) is { } value)
            {
                fields[p.Name] = value;
            }
            else if (p.Value.ValueKind != JsonValueKind.Null)
            {
                unreadable.Add(p.Name);
            }
        }

        return fields;
    }

    /// <summary>The options given (an array lettered A, B, … or an object keyed by letter); null when the record has none.</summary>
    private static List<AnswerOption>? ReadOptions(JsonElement record, RecordLocation at, DatasetValidationReport report)
    {
        if (!record.TryGetProperty("options", out var o) || o.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var options = new List<AnswerOption>();
        if (o.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var item in o.EnumerateArray())
            {
                if (OptionText(item, $"options[{index}]", at, report) is { } text)
                {
                    options.Add(new AnswerOption((char)('A' + index), text));
                }

                index++;
            }
        }
        else if (o.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in o.EnumerateObject())
            {
                if (p.Name.Length != 1 || !char.IsAsciiLetterUpper(p.Name[0]))
                {
                    report.Add(at.File, at.Line, at.Key, "options", $"option keys must be single capital letters, found '{TextUtil.Shorten(p.Name)}'");
                }
                else if (OptionText(p.Value, "options." + p.Name, at, report) is { } text)
                {
                    options.Add(new AnswerOption(p.Name[0], text));
                }
            }
        }
        else
        {
            report.Add(at.File, at.Line, at.Key, "options", $"expected an array [\"…\", \"…\"] or an object {{\"A\": \"…\"}}, found {JsonSource.Describe(o.ValueKind)}");
        }

        return options;
    }

    private static string? OptionText(JsonElement value, string path, RecordLocation at, DatasetValidationReport report)
    {
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        if (text is null)
        {
            report.Add(at.File, at.Line, at.Key, path, $"expected the option's text, found {JsonSource.Describe(value.ValueKind)}");
        }
        else if (string.IsNullOrWhiteSpace(text))
        {
            report.Add(at.File, at.Line, at.Key, path, "the option is empty");
            return null;
        }

        return text;
    }

    /// <summary>The gold answer and the field it came from (<c>answer</c>, else <c>reference</c>); a null gold has been reported.</summary>
    private (string? Gold, string Field) ReadGold(JsonElement record, RecordLocation at, DatasetValidationReport report)
    {
        if (record.TryGetProperty("answer", out var a) && a.ValueKind != JsonValueKind.Null)
        {
            if (a.ValueKind != JsonValueKind.Array)
            {
                return (JsonSource.RequireString(record, "answer", at, report), "answer");
            }

            var codes = new List<string>();
            var index = 0;
            foreach (var item in a.EnumerateArray())
            {
                if (item.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                {
                    codes.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText());
                }
                else
                {
                    report.Add(at.File, at.Line, at.Key, $"answer[{index}]", $"expected a code, found {JsonSource.Describe(item.ValueKind)}");
                }

                index++;
            }

            return (string.Join(",", codes), "answer");
        }

        if (record.TryGetProperty("reference", out var r) && r.ValueKind != JsonValueKind.Null)
        {
            return (JsonSource.RequireString(record, "reference", at, report), "reference");
        }

        if (_definition.AnswerKind == AnswerKind.FreeText)
        {
            return (string.Empty, "reference");
        }

        report.Add(at.File, at.Line, at.Key, "answer", $"the field is missing: give the gold answer ({ExpectedGold()})");
        return (null, "answer");
    }

    /// <summary>The metadata object; null when it is not an object (reported).</summary>
    private static Dictionary<string, string>? ReadMetadata(JsonElement record, RecordLocation at, DatasetValidationReport report)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!record.TryGetProperty("metadata", out var m) || m.ValueKind == JsonValueKind.Null)
        {
            return metadata;
        }

        if (m.ValueKind != JsonValueKind.Object)
        {
            report.Add(at.File, at.Line, at.Key, "metadata", $"expected an object {{\"name\": \"value\"}}, found {JsonSource.Describe(m.ValueKind)}");
            return null;
        }

        foreach (var p in m.EnumerateObject())
        {
            metadata[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        }

        return metadata;
    }

    /// <summary>The problem text of a key that is not part of the instance format, with a hint where the key is recognisable.</summary>
    private string UnknownField(string name, JsonElement record)
    {
        var hint = name switch
        {
            _ when _definition.InputFields.Any(f => string.Equals(f.Key, name, StringComparison.Ordinal)) =>
                $"input fields go inside \"fields\": {{\"{name}\": \"…\"}}",
            "opa" or "opb" or "opc" or "opd" or "ope" => "options go in \"options\": [\"…\", \"…\"] or {\"A\": \"…\"}",
            "cop" or "answer_idx" or "label" or "gold" or "target" or "correct" or "correct_answer" => $"the gold answer goes in \"answer\" ({ExpectedGold()})",
            _ => null,
        };
        if (name == "cop" && record.TryGetProperty("opa", out _))
        {
            hint += "; this looks like a MedMCQA record: import the published file with --benchmark med_mcqa";
        }

        return "unknown field: an instance has id, fields, question, options, answer (or reference) and metadata" + (hint is null ? string.Empty : "; " + hint);
    }

    private string ExpectedGold() => _definition.AnswerKind switch
    {
        AnswerKind.Letter => "one of the option letters",
        AnswerKind.YesNo or AnswerKind.Label => "one of " + string.Join(", ", _definition.Labels),
        AnswerKind.Number => "a number",
        AnswerKind.CodeList => "a list of codes",
        _ => "the reference text",
    };

    private void ReadCsv(SourceText source, DatasetValidationReport report, List<BenchmarkInstance> instances)
    {
        var table = CsvTable.Parse(source, report);
        if (table is null)
        {
            return;
        }

        // what the header lacks is reported once, not on every row
        var headerOk = table.RequireColumns(report, "id");
        var goldColumn = table.Has("answer") ? "answer" : "reference";
        if (!table.Has(goldColumn) && _definition.AnswerKind != AnswerKind.FreeText)
        {
            report.Add(source.Path, 1, null, "answer", $"the required column is missing: the gold answer ({ExpectedGold()}) (header: {string.Join(", ", table.Header)})");
            headerOk = false;
        }

        foreach (var field in _definition.InputFields.Where(f => !table.Has(f.Key)))
        {
            report.Add(source.Path, 1, null, field.Key, "the column of an input field the definition names is missing");
            headerOk = false;
        }

        var optionColumns = table.Header.Where(IsOptionColumn).ToArray();
        if (_definition.AnswerKind == AnswerKind.Letter && optionColumns.Length < 2)
        {
            report.Add(source.Path, 1, null, "option_A", "a letter answer needs at least two option columns (option_A, option_B, …)");
            headerOk = false;
        }

        if (_definition.SubRuns.Count > 0 && !table.Has("meta_" + MetadataKeys.Subset))
        {
            report.Add(source.Path, 1, null, "meta_" + MetadataKeys.Subset, $"the benchmark is made of runs: the column naming each instance's run is missing ({string.Join(", ", _definition.SubRuns.Select(r => r.Name))})");
            headerOk = false;
        }

        if (!headerOk)
        {
            return;
        }

        var names = new ProblemNames(key => key, "options", "meta_" + MetadataKeys.Subset);
        foreach (var row in table.Rows.Where(r => !r.IsBlank))
        {
            var before = report.TotalProblems;
            var id = table.Require(row, "id", report);
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var options = new List<AnswerOption>();
            foreach (var header in table.Header)
            {
                var column = header.Trim();
                var value = table.Get(row, column);
                if (IsOptionColumn(column))
                {
                    if (value.Trim().Length > 0)
                    {
                        options.Add(new AnswerOption(char.ToUpperInvariant(column[7]), value.Trim()));
                    }
                }
                else if (column.StartsWith("meta_", StringComparison.OrdinalIgnoreCase))
                {
                    metadata[column[5..]] = value;
                }
                else if (!ReservedColumns.Contains(column, StringComparer.OrdinalIgnoreCase))
                {
                    fields[column] = value;
                }
            }

            foreach (var field in _definition.InputFields)
            {
                fields[field.Key] = table.Get(row, field.Key);
            }

            var gold = table.Has(goldColumn) ? table.Get(row, goldColumn).Trim() : string.Empty;
            string? checkedGold = null;
            if (gold.Length == 0 && _definition.AnswerKind != AnswerKind.FreeText)
            {
                report.Add(source.Path, row.Line, id, goldColumn, $"the value is empty: give the gold answer ({ExpectedGold()})");
                Check(source.Path, row.Line, id, fields, options.OrderBy(o => o.Letter).ToList(), null, goldColumn, metadata, names, report);
            }
            else
            {
                checkedGold = Check(source.Path, row.Line, id, fields, options.OrderBy(o => o.Letter).ToList(), gold, goldColumn, metadata, names, report);
            }

            if (id is not null && checkedGold is not null && report.TotalProblems == before)
            {
                instances.Add(Importers.ImporterSupport.Create(
                    id, fields, table.Get(row, "question").Trim(), options.OrderBy(o => o.Letter).ToList(), checkedGold, "test", source.Path, row.Line, metadata));
            }
        }
    }

    private static bool IsOptionColumn(string column) =>
        column.Length == 8 && column.StartsWith("option_", StringComparison.OrdinalIgnoreCase) && char.IsAsciiLetter(column[7]);

    /// <summary>
    /// Checks an instance against the definition (its run, its input fields, its options and its gold answer),
    /// reporting every problem; returns the gold answer in its canonical form (upper-case letter, the label as the
    /// definition spells it), or null when <paramref name="gold"/> is null or does not fit. Sets metadata
    /// <c>subset</c> to the run's name as defined (null metadata: unreadable, already reported).
    /// </summary>
    private string? Check(
        string file, long line, string? id, Dictionary<string, string> fields, List<AnswerOption>? options, string? gold, string goldField,
        Dictionary<string, string>? metadata, ProblemNames names, DatasetValidationReport report)
    {
        // unreadable metadata has been reported: its run is not asked for again
        if (_definition.SubRuns.Count > 0 && metadata is not null)
        {
            var named = metadata.TryGetValue(MetadataKeys.Subset, out var subset) && subset.Trim().Length > 0 ? subset.Trim() : null;
            var run = named is null ? null : _definition.SubRuns.FirstOrDefault(r => string.Equals(r.Name, named, StringComparison.OrdinalIgnoreCase));
            if (run is null)
            {
                var runs = string.Join(", ", _definition.SubRuns.Select(r => r.Name));
                report.Add(file, line, id, names.Subset, named is null
                    ? $"the benchmark is made of runs: name the instance's run ({runs})"
                    : $"'{TextUtil.Shorten(named)}' is not one of the benchmark's runs ({runs})");
            }
            else
            {
                metadata[MetadataKeys.Subset] = run.Name;
            }
        }

        foreach (var field in _definition.InputFields.Where(f => !names.Skip.UnreadableFields.Contains(f.Key) && !names.Skip.UnreadableFields.Contains("*")))
        {
            if (!fields.TryGetValue(field.Key, out var value))
            {
                report.Add(file, line, id, names.Field(field.Key), "the input field the definition names is missing");
            }
            else if (string.IsNullOrWhiteSpace(value))
            {
                report.Add(file, line, id, names.Field(field.Key), "the input field the definition names is empty");
            }
        }

        if (_definition.AnswerKind == AnswerKind.Letter && names.Skip.Options)
        {
            return null;
        }

        if (_definition.AnswerKind == AnswerKind.Letter && (options is null || options.Count < 2))
        {
            report.Add(file, line, id, names.Options, options is null
                ? "the field is missing: a letter answer needs at least two options"
                : $"a letter answer needs at least two options, found {options.Count}");
            return null;
        }

        if (gold is null)
        {
            return null;
        }

        gold = gold.Trim();
        switch (_definition.AnswerKind)
        {
            case AnswerKind.Letter:
                if (gold.Length != 1 || !options!.Any(o => o.Letter == char.ToUpperInvariant(gold[0])))
                {
                    report.Add(file, line, id, goldField, $"expected one of the option letters {string.Concat(options!.Select(o => o.Letter))}, found '{TextUtil.Shorten(gold)}'");
                    return null;
                }

                return gold.ToUpperInvariant();
            case AnswerKind.YesNo or AnswerKind.Label:
                var label = _definition.Labels.FirstOrDefault(l => string.Equals(l, gold, StringComparison.OrdinalIgnoreCase));
                if (label is null)
                {
                    report.Add(file, line, id, goldField, $"expected one of {string.Join(", ", _definition.Labels)}, found '{TextUtil.Shorten(gold)}'");
                }

                return label;
            case AnswerKind.Number:
                if (!double.TryParse(gold, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))
                {
                    report.Add(file, line, id, goldField, $"expected a number, found '{TextUtil.Shorten(gold)}'");
                    return null;
                }

                return gold;
            case AnswerKind.CodeList:
                if (gold.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length == 0)
                {
                    report.Add(file, line, id, goldField, "expected at least one code");
                    return null;
                }

                return gold;
            default:
                return gold;
        }
    }

    /// <summary>
    /// How the format names things in problems: an input field (<c>fields.note</c> in JSONL, column <c>note</c> in
    /// CSV), the options and the run; and what was already reported unreadable, so that it is not reported again as missing.
    /// </summary>
    private sealed record ProblemNames(Func<string, string> Field, string Options, string Subset)
    {
        public Checks Skip { get; init; } = Checks.None;
    }

    /// <summary>Input fields (<c>*</c>: all) and options already reported as unreadable.</summary>
    private sealed record Checks(IReadOnlySet<string> UnreadableFields, bool Options)
    {
        public static Checks None { get; } = new(new HashSet<string>(), false);
    }
}
