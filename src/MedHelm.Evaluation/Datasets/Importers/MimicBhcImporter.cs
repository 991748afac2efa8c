using System.Globalization;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// MIMIC-IV-BHC (PhysioNet <c>labelled-notes-hospital-course</c>): JSON Lines <c>mimic_iv_bhc.json</c> (also
/// <c>.jsonl</c>), one <c>{"input": discharge note, "target": brief hospital course}</c> per line. The instance id is
/// the optional <c>note_id</c>, else the line number.
/// </summary>
public sealed class MimicBhcImporter : IDatasetImporter
{
    /// <inheritdoc />
    public string Benchmark => "mimic_bhc";

    /// <inheritdoc />
    public string Formats => "JSONL mimic_iv_bhc.json: one {input, target} object per line";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = File.Exists(path) ? path : context.Find(path, "mimic_iv_bhc.json", "mimic_iv_bhc.jsonl");
        var source = file is null ? null : context.LoadText(file, lineOriented: true);
        if (source is null)
        {
            return [];
        }

        var instances = new List<BenchmarkInstance>();
        foreach (var (line, record) in JsonSource.Records(source, context.Report))
        {
            var lineId = line.ToString(CultureInfo.InvariantCulture);
            var at = new RecordLocation(source.Path, line, null);
            var noteId = JsonSource.OptionalString(record, "note_id", at, context.Report);
            at = at with { Key = noteId };
            var input = JsonSource.RequireString(record, "input", at, context.Report);
            var target = JsonSource.RequireString(record, "target", at, context.Report);
            if (input is null || target is null)
            {
                continue;
            }

            instances.Add(ImporterSupport.Create(
                string.IsNullOrWhiteSpace(noteId) ? $"line{lineId}" : noteId.Trim(),
                ImporterSupport.Fields(("note", input.Trim())), string.Empty, [], target.Trim(), "test", source.Path, line));
        }

        return instances;
    }
}
