using System.Globalization;
using MedHelm.Core.Catalog;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>Helpers the importers share.</summary>
internal static class ImporterSupport
{
    /// <summary>Options A yes / B no.</summary>
    public static IReadOnlyList<AnswerOption> YesNoOptions { get; } = [new AnswerOption('A', "yes"), new AnswerOption('B', "no")];

    /// <summary>An instance with its source file and line in the metadata.</summary>
    public static BenchmarkInstance Create(
        string id,
        IReadOnlyDictionary<string, string> fields,
        string question,
        IReadOnlyList<AnswerOption> options,
        string gold,
        string split,
        string file,
        long? line,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal) { [MetadataKeys.File] = Path.GetFileName(file) };
        if (line is { } l)
        {
            meta[MetadataKeys.Line] = l.ToString(CultureInfo.InvariantCulture);
        }

        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                meta[key] = value;
            }
        }

        return new BenchmarkInstance(id, fields, question, options, gold, split) { Metadata = meta };
    }

    /// <summary>A one-entry field dictionary.</summary>
    public static Dictionary<string, string> Fields(params (string Key, string Value)[] pairs)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            fields[key] = value;
        }

        return fields;
    }

    /// <summary>Options from texts, lettered A, B, C, ...</summary>
    public static IReadOnlyList<AnswerOption> Lettered(IEnumerable<string> texts) =>
        texts.Select((t, i) => new AnswerOption((char)('A' + i), t.Trim())).ToArray();
}
