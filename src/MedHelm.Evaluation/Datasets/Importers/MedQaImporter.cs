using System.Text.Json;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// MedQA (Jin et al. 2020), English USMLE questions as published in <c>data_clean/questions/US/</c>: JSON Lines, one
/// record per line, <c>{"question", "answer", "options": {"A": …, "B": …}, "meta_info", "answer_idx"}</c> (the
/// 4-option files add <c>metamap_phrases</c>). HELM reads the 4-option files
/// <c>4_options/phrases_no_exclude_{train,dev,test}.jsonl</c>; the 5-option <c>{train,dev,test}.jsonl</c> read the same way.
/// A folder gives its test file only (the split MedHELM evaluates): <c>phrases_no_exclude_test.jsonl</c> in the folder or
/// in its <c>4_options/</c>, else <c>test.jsonl</c>. One file is read in the split its name says (dev: valid).
/// Gold is <c>answer_idx</c>; option texts lose a trailing quote and white space as HELM strips them.
/// </summary>
public sealed class MedQaImporter : IDatasetImporter
{
    /// <summary>HELM's file of the MedHELM test split.</summary>
    public const string TestFileName = "phrases_no_exclude_test.jsonl";

    /// <inheritdoc />
    public string Benchmark => "med_qa";

    /// <inheritdoc />
    public string Formats => "JSONL data_clean/questions/US/4_options/phrases_no_exclude_test.jsonl (or the 5-option US/test.jsonl): question, options {A…}, answer, answer_idx, meta_info";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = File.Exists(path) ? path : FindTestFile(path, context);
        var source = file is null ? null : context.LoadText(file, lineOriented: true);
        if (source is null)
        {
            return [];
        }

        var split = SplitOf(file!);
        var instances = new List<BenchmarkInstance>();
        foreach (var (line, record) in JsonSource.Records(source, context.Report))
        {
            var id = $"{split}-{line}";
            var at = new RecordLocation(source.Path, line, id);
            var question = JsonSource.RequireString(record, "question", at, context.Report);
            var options = ReadOptions(record, at, context.Report);
            var answerIdx = JsonSource.RequireString(record, "answer_idx", at, context.Report);
            var answer = JsonSource.OptionalString(record, "answer", at, context.Report);
            var metaInfo = JsonSource.OptionalString(record, "meta_info", at, context.Report);
            if (question is null || options is null || answerIdx is null)
            {
                continue;
            }

            var gold = answerIdx.Trim();
            if (gold.Length != 1 || !options.Any(o => o.Letter == gold[0]))
            {
                context.Report.Add(source.Path, line, id, "answer_idx",
                    $"expected one of the option letters {string.Concat(options.Select(o => o.Letter))}, found '{TextUtil.Shorten(answerIdx)}'");
                continue;
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (metaInfo is not null)
            {
                metadata["meta_info"] = metaInfo;
            }

            if (answer is not null)
            {
                metadata["answer_text"] = answer.Trim();
            }

            if (record.TryGetProperty(MetadataKeys.Synthetic, out var synthetic) && synthetic.ValueKind == JsonValueKind.True)
            {
                metadata[MetadataKeys.Synthetic] = "true";
            }

            instances.Add(ImporterSupport.Create(id, ImporterSupport.Fields(), question.Trim(), options, gold, split, source.Path, line, metadata));
        }

        return instances;
    }

    private static string? FindTestFile(string folder, ImportContext context)
    {
        if (!Directory.Exists(folder))
        {
            context.Report.Add(folder, null, null, null, "the path does not exist");
            return null;
        }

        foreach (var candidate in new[] { TestFileName, Path.Combine("4_options", TestFileName), "test.jsonl" })
        {
            var file = Path.Combine(folder, candidate);
            if (File.Exists(file))
            {
                return file;
            }
        }

        context.Report.Add(folder, null, null, null, $"none of the expected files was found ({TestFileName}, 4_options/{TestFileName}, test.jsonl)");
        return null;
    }

    private static string SplitOf(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        return name.EndsWith("train", StringComparison.OrdinalIgnoreCase) ? "train"
            : name.EndsWith("dev", StringComparison.OrdinalIgnoreCase) ? "valid"
            : "test";
    }

    private static List<AnswerOption>? ReadOptions(JsonElement record, RecordLocation at, DatasetValidationReport report)
    {
        if (!record.TryGetProperty("options", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            report.Add(at.File, at.Line, at.Key, "options", "the field is missing");
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            report.Add(at.File, at.Line, at.Key, "options", $"expected an object {{\"A\": text, …}}, found {JsonSource.Describe(value.ValueKind)}");
            return null;
        }

        var options = new List<AnswerOption>();
        foreach (var option in value.EnumerateObject())
        {
            var expected = (char)('A' + options.Count);
            if (option.Name.Length != 1 || option.Name[0] != expected)
            {
                report.Add(at.File, at.Line, at.Key, "options", $"expected the option letters in order from A, found '{TextUtil.Shorten(option.Name)}' where {expected} belongs");
                return null;
            }

            if (option.Value.ValueKind != JsonValueKind.String)
            {
                report.Add(at.File, at.Line, at.Key, "options", $"option {expected} should be a string, found {JsonSource.Describe(option.Value.ValueKind)}");
                return null;
            }

            options.Add(new AnswerOption(expected, option.Value.GetString()!.TrimEnd().TrimEnd('"').Trim()));
        }

        if (options.Count < 2)
        {
            report.Add(at.File, at.Line, at.Key, "options", $"expected at least two options, found {options.Count}");
            return null;
        }

        return options;
    }
}
