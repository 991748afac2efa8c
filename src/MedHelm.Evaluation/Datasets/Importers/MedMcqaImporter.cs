using System.Globalization;
using System.Text.Json;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// MedMCQA (Pal et al. 2022) as published (GitHub medmcqa/medmcqa, Google Drive zip): <c>train.json</c>, <c>dev.json</c>,
/// <c>test.json</c>, each JSON Lines despite the name, one record per line: <c>id, question, opa, opb, opc, opd, cop,
/// choice_type, exp, subject_name, topic_name</c>. <c>cop</c> is the correct option as 1-4 (opa-opd), which is how
/// HELM's scenario compares it; the Hugging Face copy stores it 0-3 instead. The published test file has no answers,
/// so HELM evaluates <c>dev.json</c> as its test split; a folder gives <c>dev.json</c> (split test), and one file is
/// read in the split its name says (<c>train</c>: train, otherwise test).
/// </summary>
public sealed class MedMcqaImporter : IDatasetImporter
{
    /// <summary>The file HELM evaluates as MedMCQA's test split.</summary>
    public const string DevFileName = "dev.json";

    private static readonly string[] OptionFields = ["opa", "opb", "opc", "opd"];

    /// <inheritdoc />
    public string Benchmark => "med_mcqa";

    /// <inheritdoc />
    public string Formats => "JSON Lines dev.json (HELM's test split): id, question, opa-opd, cop (1-4), choice_type, exp, subject_name, topic_name";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = context.Find(path, DevFileName);
        if (file is null)
        {
            return [];
        }

        if (string.Equals(Path.GetFileName(file), "test.json", StringComparison.OrdinalIgnoreCase))
        {
            context.Report.Add(file, null, null, "cop", $"the published test.json has no answers; MedHELM evaluates {DevFileName} as its test split");
            return [];
        }

        var source = context.LoadText(file, lineOriented: true);
        if (source is null)
        {
            return [];
        }

        var split = Path.GetFileNameWithoutExtension(file).Contains("train", StringComparison.OrdinalIgnoreCase) ? "train" : "test";
        var instances = new List<BenchmarkInstance>();
        foreach (var (line, record) in JsonSource.Records(source, context.Report))
        {
            var id = JsonSource.RequireString(record, "id", new RecordLocation(source.Path, line, null), context.Report);
            var at = new RecordLocation(source.Path, line, id);
            var question = JsonSource.RequireString(record, "question", at, context.Report);
            var options = OptionFields.Select(f => JsonSource.RequireString(record, f, at, context.Report, allowEmpty: true)).ToArray();
            var cop = ReadCop(record, at, context.Report);
            if (id is null || question is null || options.Any(o => o is null) || cop is null)
            {
                continue;
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["cop"] = cop.Value.ToString(CultureInfo.InvariantCulture) };
            foreach (var (field, key) in new[] { ("choice_type", "choice_type"), ("subject_name", "subject_name"), ("topic_name", "topic_name"), ("exp", "explanation") })
            {
                if (JsonSource.OptionalString(record, field, at, context.Report) is { } value)
                {
                    metadata[key] = value;
                }
            }

            if (record.TryGetProperty(MetadataKeys.Synthetic, out var synthetic) && synthetic.ValueKind == JsonValueKind.True)
            {
                metadata[MetadataKeys.Synthetic] = "true";
            }

            instances.Add(ImporterSupport.Create(
                id, ImporterSupport.Fields(), question.Trim(), ImporterSupport.Lettered(options!), ((char)('A' + cop.Value - 1)).ToString(), split,
                source.Path, line, metadata));
        }

        return instances;
    }

    private static int? ReadCop(JsonElement record, RecordLocation at, DatasetValidationReport report)
    {
        if (!record.TryGetProperty("cop", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            report.Add(at.File, at.Line, at.Key, "cop", "the field is missing");
            return null;
        }

        var text = value.ValueKind is JsonValueKind.Number or JsonValueKind.String ? (value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()).Trim() : null;
        if (text is not null && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var cop) && cop is >= 1 and <= 4)
        {
            return cop;
        }

        report.Add(at.File, at.Line, at.Key, "cop", text == "0"
            ? "expected the correct option as 1-4 (opa-opd), found 0: the Hugging Face copy counts from 0; import the published dev.json, or add 1 to every cop"
            : $"expected the correct option as 1-4 (opa-opd), found {(text is null ? JsonSource.Describe(value.ValueKind) : $"'{TextUtil.Shorten(text)}'")}");
        return null;
    }
}
