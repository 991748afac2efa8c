using System.Globalization;
using System.Text;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// EHRSHOT in the MEDS layout, exported from Parquet to CSV (no Parquet library is available here):
/// <c>data/*.csv</c> (or <c>data.csv</c>) with subject_id, time, code and optional numeric_value, unit, text_value;
/// <c>labels/&lt;task&gt;/labels.csv</c> with subject_id, prediction_time and <c>label</c> (or MEDS
/// <c>boolean_value</c> / <c>integer_value</c>); optional <c>metadata/subject_splits.csv</c> (subject_id, split).
/// One instance per label row of the benchmark's tasks (guo_readmission, new_hypertension, lab_anemia; metadata
/// "subset"): the subject's events at or before prediction_time (events without a time first) serialized one per
/// line as the timeline; gold A when the label is true (or a non-zero class), B otherwise.
/// </summary>
public sealed class EhrshotImporter : IDatasetImporter
{
    /// <summary>The tasks MedHELM evaluates and the question asked.</summary>
    public static IReadOnlyList<(string Task, string Question)> Tasks { get; } =
    [
        ("guo_readmission", "Will the patient be readmitted to the hospital within 30 days of this discharge?"),
        ("new_hypertension", "Will the patient be newly diagnosed with hypertension within the next year?"),
        ("lab_anemia", "Will the result of the hemoglobin test ordered at this time show anemia?"),
    ];

    private static readonly string[] TimeFormats =
    [
        "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd",
    ];

    /// <inheritdoc />
    public string Benchmark => "ehrshot";

    /// <inheritdoc />
    public string Formats => "CSV export of the MEDS tables: data/*.csv (subject_id, time, code, numeric_value, unit, text_value), labels/<task>/labels.csv (subject_id, prediction_time, label), metadata/subject_splits.csv";

    /// <summary>Parses a MEDS time (ISO 8601, optional fraction, 'T' or space, optional trailing Z); null when unparsable.</summary>
    public static DateTime? ParseTime(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().TrimEnd('Z');
        return DateTime.TryParseExact(t, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time : null;
    }

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!Directory.Exists(path))
        {
            context.Report.Add(path, null, null, null, File.Exists(path) ? "EHRSHOT needs the export folder (data/, labels/<task>/), not one file" : "the path does not exist");
            return [];
        }

        var labelFiles = Tasks
            .Select(t => (t.Task, t.Question, File: Path.Combine(path, "labels", t.Task, "labels.csv")))
            .Where(t => File.Exists(t.File))
            .ToArray();
        if (labelFiles.Length == 0)
        {
            context.Report.Add(Path.Combine(path, "labels"), null, null, null,
                $"no labels/<task>/labels.csv was found for the tasks {string.Join(", ", Tasks.Select(t => t.Task))}");
            return [];
        }

        var labels = new List<(string Task, string Question, string File, long Line, string Subject, DateTime Time, string TimeText, bool Label, string Raw)>();
        foreach (var (task, question, file) in labelFiles)
        {
            var table = LoadTable(file, context, "subject_id", "prediction_time");
            if (table is null)
            {
                continue;
            }

            var labelColumn = new[] { "label", "boolean_value", "integer_value" }.FirstOrDefault(table.Has);
            if (labelColumn is null)
            {
                context.Report.Add(table.Source.Path, 1, null, "label", $"the required column is missing (header: {string.Join(", ", table.Header)})");
                continue;
            }

            foreach (var row in table.Rows.Where(r => !r.IsBlank))
            {
                var subject = RequireSubject(table, row, context);
                var timeText = table.Require(row, "prediction_time", context.Report, subject);
                var raw = table.Require(row, labelColumn, context.Report, subject);
                if (subject is null || timeText is null || raw is null)
                {
                    continue;
                }

                if (ParseTime(timeText) is not { } time)
                {
                    context.Report.Add(table.Source.Path, row.Line, subject, "prediction_time", $"'{TextUtil.Shorten(timeText)}' is not a date-time");
                    continue;
                }

                if (ParseLabel(raw) is not { } label)
                {
                    context.Report.Add(table.Source.Path, row.Line, subject, labelColumn, $"expected true/false, 1/0 or a class number, found '{TextUtil.Shorten(raw)}'");
                    continue;
                }

                labels.Add((task, question, table.Source.Path, row.Line, subject, time, timeText, label, raw));
            }
        }

        var subjects = labels.Select(l => l.Subject).ToHashSet(StringComparer.Ordinal);
        var events = ReadEvents(path, context, subjects);
        var splits = ReadSplits(path, context);
        if (events is null)
        {
            return [];
        }

        var instances = new List<BenchmarkInstance>();
        foreach (var l in labels)
        {
            if (!events.TryGetValue(l.Subject, out var timeline))
            {
                context.Report.Add(l.File, l.Line, l.Subject, "subject_id", "the subject has no events in data/");
                continue;
            }

            var (text, count) = Serialize(timeline, l.Time);
            instances.Add(ImporterSupport.Create(
                $"{l.Task}/{l.Subject}/{l.Time.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)}",
                ImporterSupport.Fields(("timeline", text)),
                l.Question,
                ImporterSupport.YesNoOptions,
                l.Label ? "A" : "B",
                splits.GetValueOrDefault(l.Subject, "test"),
                l.File,
                l.Line,
                new Dictionary<string, string>
                {
                    ["subset"] = l.Task,
                    ["subject_id"] = l.Subject,
                    ["prediction_time"] = l.TimeText,
                    ["label"] = l.Raw,
                    ["events"] = count.ToString(CultureInfo.InvariantCulture),
                }));
        }

        return instances;
    }

    /// <summary>The events at or before <paramref name="until"/>, one per line: "time code [= value unit | text]"; and how many.</summary>
    public static (string Text, int Count) Serialize(IReadOnlyList<MedsEvent> timeline, DateTime until)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        var sb = new StringBuilder();
        var count = 0;
        foreach (var e in timeline)
        {
            if (e.Time is { } t && t > until)
            {
                continue;
            }

            count++;
            sb.Append(e.Time is { } time ? time.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "(static)").Append(' ').Append(e.Code);
            if (e.Value.Length > 0)
            {
                sb.Append(" = ").Append(e.Value);
                if (e.Unit.Length > 0)
                {
                    sb.Append(' ').Append(e.Unit);
                }
            }

            sb.Append('\n');
        }

        return (count == 0 ? "(no events before the prediction time)" : sb.ToString().TrimEnd(), count);
    }

    private static bool? ParseLabel(string raw) => raw.Trim().ToLowerInvariant() switch
    {
        "true" or "t" or "yes" or "1" or "1.0" => true,
        "false" or "f" or "no" or "0" or "0.0" => false,
        var s when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n > 0,
        _ => null,
    };

    private static Dictionary<string, List<MedsEvent>>? ReadEvents(string root, ImportContext context, HashSet<string> subjects)
    {
        var dataFolder = Path.Combine(root, "data");
        var files = Directory.Exists(dataFolder)
            ? context.FindAll(dataFolder, "*.csv")
            : File.Exists(Path.Combine(root, "data.csv")) ? [Path.Combine(root, "data.csv")] : [];
        if (files.Count == 0)
        {
            if (!Directory.Exists(dataFolder))
            {
                context.Report.Add(dataFolder, null, null, null, "the event data (data/*.csv or data.csv) is missing");
            }

            return null;
        }

        var events = new Dictionary<string, List<MedsEvent>>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var table = LoadTable(file, context, "subject_id", "time", "code");
            if (table is null)
            {
                continue;
            }

            foreach (var row in table.Rows.Where(r => !r.IsBlank))
            {
                var subject = RequireSubject(table, row, context);
                var code = table.Require(row, "code", context.Report, subject);
                if (subject is null || code is null || !subjects.Contains(subject))
                {
                    continue;
                }

                var timeText = table.Get(row, "time").Trim();
                DateTime? time = null;
                if (timeText.Length > 0)
                {
                    time = ParseTime(timeText);
                    if (time is null)
                    {
                        context.Report.Add(table.Source.Path, row.Line, subject, "time", $"'{TextUtil.Shorten(timeText)}' is not a date-time");
                        continue;
                    }
                }

                var numeric = table.Get(row, "numeric_value").Trim();
                if (numeric.Length > 0 && !double.TryParse(numeric, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                {
                    context.Report.Add(table.Source.Path, row.Line, subject, "numeric_value", $"'{TextUtil.Shorten(numeric)}' is not a number");
                    continue;
                }

                var value = numeric.Length > 0 ? numeric : table.Get(row, "text_value").Trim();
                if (!events.TryGetValue(subject, out var list))
                {
                    events[subject] = list = [];
                }

                list.Add(new MedsEvent(time, code, value, numeric.Length > 0 ? table.Get(row, "unit").Trim() : string.Empty));
            }
        }

        foreach (var list in events.Values)
        {
            // stable: events without a time (birth year, sex) first, then by time, ties in file order
            var sorted = list.OrderBy(e => e.Time.HasValue).ThenBy(e => e.Time ?? DateTime.MinValue).ToList();
            list.Clear();
            list.AddRange(sorted);
        }

        return events;
    }

    private static Dictionary<string, string> ReadSplits(string root, ImportContext context)
    {
        var splits = new Dictionary<string, string>(StringComparer.Ordinal);
        var file = Path.Combine(root, "metadata", "subject_splits.csv");
        if (!File.Exists(file))
        {
            return splits;
        }

        var table = LoadTable(file, context, "subject_id", "split");
        foreach (var row in table?.Rows.Where(r => !r.IsBlank) ?? [])
        {
            var subject = RequireSubject(table!, row, context);
            var split = table!.Require(row, "split", context.Report, subject);
            if (subject is not null && split is not null)
            {
                splits[subject] = split.Equals("held_out", StringComparison.OrdinalIgnoreCase) ? "test" : split;
            }
        }

        return splits;
    }

    private static CsvTable? LoadTable(string file, ImportContext context, params string[] columns)
    {
        var source = GzipSource.Load(file, context);
        var table = source is null ? null : CsvTable.Parse(source, context.Report);
        return table is not null && table.RequireColumns(context.Report, columns) ? table : null;
    }

    private static string? RequireSubject(CsvTable table, CsvRow row, ImportContext context)
    {
        var subject = table.Require(row, "subject_id", context.Report);
        if (subject is not null && !long.TryParse(subject, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            context.Report.Add(table.Source.Path, row.Line, subject, "subject_id", $"expected a numeric subject id, found '{TextUtil.Shorten(subject)}'");
            return null;
        }

        return subject;
    }
}

/// <summary>One MEDS event of a subject.</summary>
/// <param name="Time">When it happened; null for static facts.</param>
/// <param name="Code">The MEDS code (vocabulary/code).</param>
/// <param name="Value">The numeric or text value, empty when none.</param>
/// <param name="Unit">The unit of a numeric value, empty when none.</param>
public sealed record MedsEvent(DateTime? Time, string Code, string Value, string Unit);
