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
        foreach (var (line, record) in JsonSource.Records(source, report))
        {
            var at = new RecordLocation(source.Path, line, null);
            var id = JsonSource.RequireString(record, "id", at, report);
            at = at with { Key = id };
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            if (record.TryGetProperty("fields", out var f))
            {
                if (f.ValueKind != JsonValueKind.Object)
                {
                    report.Add(at.File, line, id, "fields", $"expected an object of field values, found {JsonSource.Describe(f.ValueKind)}");
                    continue;
                }

                foreach (var p in f.EnumerateObject())
                {
                    if (JsonSource.OptionalString(f, p.Name, at, report) is { } value)
                    {
                        fields[p.Name] = value;
                    }
                }
            }

            var options = new List<AnswerOption>();
            if (record.TryGetProperty("options", out var o))
            {
                if (o.ValueKind == JsonValueKind.Array)
                {
                    options.AddRange(o.EnumerateArray().Select((x, i) => new AnswerOption((char)('A' + i), x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText())));
                }
                else if (o.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in o.EnumerateObject())
                    {
                        if (p.Name.Length != 1 || !char.IsAsciiLetterUpper(p.Name[0]))
                        {
                            report.Add(at.File, line, id, "options", $"option keys must be single capital letters, found '{TextUtil.Shorten(p.Name)}'");
                            continue;
                        }

                        options.Add(new AnswerOption(p.Name[0], p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText()));
                    }
                }
                else
                {
                    report.Add(at.File, line, id, "options", $"expected an array or an object, found {JsonSource.Describe(o.ValueKind)}");
                    continue;
                }
            }

            string? gold;
            string goldField;
            if (record.TryGetProperty("answer", out var a) && a.ValueKind == JsonValueKind.Array)
            {
                goldField = "answer";
                gold = string.Join(",", a.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : x.GetRawText()));
            }
            else
            {
                goldField = record.TryGetProperty("answer", out _) ? "answer" : "reference";
                gold = _definition.AnswerKind == AnswerKind.FreeText && !record.TryGetProperty(goldField, out _)
                    ? string.Empty
                    : JsonSource.RequireString(record, goldField, at, report);
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (record.TryGetProperty("metadata", out var m) && m.ValueKind != JsonValueKind.Null)
            {
                if (m.ValueKind != JsonValueKind.Object)
                {
                    report.Add(at.File, line, id, "metadata", $"expected an object, found {JsonSource.Describe(m.ValueKind)}");
                    continue;
                }

                foreach (var p in m.EnumerateObject())
                {
                    metadata[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                }
            }

            var question = JsonSource.OptionalString(record, "question", at, report) ?? string.Empty;
            if (id is not null && gold is not null)
            {
                Add(source, line, id, fields, question, options, gold, goldField, metadata, "metadata." + MetadataKeys.Subset, report, instances);
            }
        }
    }

    private void ReadCsv(SourceText source, DatasetValidationReport report, List<BenchmarkInstance> instances)
    {
        var table = CsvTable.Parse(source, report);
        if (table is null || !table.RequireColumns(report, "id"))
        {
            return;
        }

        var goldColumn = table.Has("answer") ? "answer" : "reference";
        if (!table.Has(goldColumn) && _definition.AnswerKind != AnswerKind.FreeText)
        {
            report.Add(source.Path, 1, null, "answer", "the required column is missing");
            return;
        }

        foreach (var row in table.Rows.Where(r => !r.IsBlank))
        {
            var id = table.Require(row, "id", report);
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var options = new List<AnswerOption>();
            foreach (var column in table.Header)
            {
                var value = table.Get(row, column);
                if (column.StartsWith("option_", StringComparison.OrdinalIgnoreCase) && column.Length == 8 && char.IsAsciiLetter(column[7]))
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
                else if (column is not ("id" or "question" or "answer" or "reference"))
                {
                    fields[column] = value;
                }
            }

            var gold = table.Has(goldColumn) ? table.Get(row, goldColumn).Trim() : string.Empty;
            if (gold.Length == 0 && _definition.AnswerKind != AnswerKind.FreeText)
            {
                report.Add(source.Path, row.Line, id, goldColumn, "the value is empty");
                continue;
            }

            if (id is not null)
            {
                Add(source, row.Line, id, fields, table.Get(row, "question").Trim(), options.OrderBy(o => o.Letter).ToList(), gold, goldColumn, metadata, "meta_" + MetadataKeys.Subset, report, instances);
            }
        }
    }

    private void Add(
        SourceText source, long line, string id, Dictionary<string, string> fields, string question, List<AnswerOption> options,
        string gold, string goldField, Dictionary<string, string> metadata, string subsetField, DatasetValidationReport report,
        List<BenchmarkInstance> instances)
    {
        var ok = true;
        if (_definition.SubRuns.Count > 0)
        {
            var named = metadata.TryGetValue(MetadataKeys.Subset, out var subset) && subset.Trim().Length > 0 ? subset.Trim() : null;
            var run = named is null ? null : _definition.SubRuns.FirstOrDefault(r => string.Equals(r.Name, named, StringComparison.OrdinalIgnoreCase));
            if (run is null)
            {
                var runs = string.Join(", ", _definition.SubRuns.Select(r => r.Name));
                report.Add(source.Path, line, id, subsetField, named is null
                    ? $"the benchmark is made of runs: name the instance's run ({runs})"
                    : $"'{TextUtil.Shorten(named)}' is not one of the benchmark's runs ({runs})");
                ok = false;
            }
            else
            {
                metadata[MetadataKeys.Subset] = run.Name;
            }
        }

        foreach (var field in _definition.InputFields)
        {
            if (!fields.TryGetValue(field.Key, out var value) || string.IsNullOrWhiteSpace(value))
            {
                report.Add(source.Path, line, id, field.Key, "the input field the definition names is missing or empty");
                ok = false;
            }
        }

        gold = gold.Trim();
        switch (_definition.AnswerKind)
        {
            case AnswerKind.Letter:
                if (options.Count < 2)
                {
                    report.Add(source.Path, line, id, "options", "a letter answer needs at least two options");
                    ok = false;
                }
                else if (gold.Length != 1 || !options.Any(o => o.Letter == char.ToUpperInvariant(gold[0])))
                {
                    report.Add(source.Path, line, id, goldField, $"expected one of the option letters {string.Concat(options.Select(o => o.Letter))}, found '{TextUtil.Shorten(gold)}'");
                    ok = false;
                }
                else
                {
                    gold = gold.ToUpperInvariant();
                }

                break;
            case AnswerKind.YesNo or AnswerKind.Label:
                var label = _definition.Labels.FirstOrDefault(l => string.Equals(l, gold, StringComparison.OrdinalIgnoreCase));
                if (label is null)
                {
                    report.Add(source.Path, line, id, goldField, $"expected one of {string.Join(", ", _definition.Labels)}, found '{TextUtil.Shorten(gold)}'");
                    ok = false;
                }
                else
                {
                    gold = label;
                }

                break;
            case AnswerKind.Number:
                if (!double.TryParse(gold, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))
                {
                    report.Add(source.Path, line, id, goldField, $"expected a number, found '{TextUtil.Shorten(gold)}'");
                    ok = false;
                }

                break;
            case AnswerKind.CodeList:
                if (gold.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length == 0)
                {
                    report.Add(source.Path, line, id, goldField, "expected at least one code");
                    ok = false;
                }

                break;
        }

        if (ok)
        {
            instances.Add(Importers.ImporterSupport.Create(id, fields, question, options, gold, "test", source.Path, line, metadata));
        }
    }
}
