using System.Globalization;
using System.Text;
using MedHelm.Evaluation.Files;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Jury;

/// <summary>A ratings file that cannot be read; the message names the file, the line and the column.</summary>
public sealed class RatingsFormatException(string message) : FormatException(message);

/// <summary>
/// Reads the CSV files of <c>medhelm agreement</c>: a header line naming the columns (any order, case-insensitive,
/// extra columns ignored), then one row per rating; RFC 4180 quoting; blank lines skipped; numbers with a dot.
/// </summary>
public static class AgreementCsv
{
    private static readonly string[] s_axes = ["accuracy", "completeness", "clarity"];

    /// <summary>Columns instance_id, benchmark, rater_id, accuracy, completeness, clarity (scores 1-5).</summary>
    public static IReadOnlyList<ClinicianRating> ReadClinicianRatings(string path) =>
        Read(path, ["instance_id", "benchmark", "rater_id", .. s_axes], (row, at) =>
            new ClinicianRating(row.Text("instance_id"), row.Text("benchmark"), row.Text("rater_id"),
                row.Score("accuracy"), row.Score("completeness"), row.Score("clarity")));

    /// <summary>Columns instance_id, benchmark, judge, accuracy, completeness, clarity (scores 1-5).</summary>
    public static IReadOnlyList<JuryRating> ReadJuryRatings(string path) =>
        Read(path, ["instance_id", "benchmark", "judge", .. s_axes], (row, at) =>
            new JuryRating(row.Text("instance_id"), row.Text("benchmark"), row.Text("judge"),
                row.Score("accuracy"), row.Score("completeness"), row.Score("clarity")));

    /// <summary>Columns instance_id, benchmark, rouge_l, bertscore (0-1; either may be empty).</summary>
    public static IReadOnlyList<MetricScores> ReadMetricScores(string path) =>
        Read(path, ["instance_id", "benchmark", "rouge_l", "bertscore"], (row, at) =>
            new MetricScores(row.Text("instance_id"), row.Text("benchmark"), row.Unit("rouge_l"), row.Unit("bertscore")));

    private static List<T> Read<T>(string path, string[] required, Func<Row, int, T> map)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var name = Path.GetFileName(path);
        RegularFiles.EnsureRegular(path, "CSV file");
        string text;
        try
        {
            text = TextUtil.Utf8Strict(File.ReadAllBytes(path));
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{name} is not valid UTF-8 (byte offset {e.Index}); save it as UTF-8.", e);
        }

        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        var records = ParseRecords(text, name);
        if (records.Count == 0)
        {
            throw new RatingsFormatException($"{name}: the file is empty (a header line is needed: {string.Join(", ", required)}).");
        }

        var (headerLine, header) = records[0];
        var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < header.Count; i++)
        {
            var column = header[i].Trim().TrimStart('\uFEFF');
            if (!columns.TryAdd(column, i))
            {
                throw new RatingsFormatException($"{name} line {headerLine}: column '{column}' appears twice in the header.");
            }
        }

        foreach (var column in required)
        {
            if (!columns.ContainsKey(column))
            {
                throw new RatingsFormatException($"{name} line {headerLine}: the header has no column '{column}' (needed: {string.Join(", ", required)}).");
            }
        }

        var result = new List<T>(records.Count - 1);
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Count != header.Count)
            {
                throw new RatingsFormatException($"{name} line {line}: {fields.Count} fields, but the header has {header.Count}.");
            }

            result.Add(map(new Row(name, line, fields, columns), line));
        }

        return result;
    }

    private static List<(int Line, List<string> Fields)> ParseRecords(string text, string name)
    {
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var inQuotes = false;
        var fieldStarted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        line++;
                    }

                    field.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"' when field.Length == 0 || field.ToString().Trim().Length == 0:
                    field.Clear();
                    inQuotes = true;
                    fieldStarted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(c);
                    fieldStarted = true;
                    break;
            }
        }

        if (inQuotes)
        {
            throw new RatingsFormatException($"{name} line {recordLine}: a quoted field is not closed.");
        }

        EndRecord();
        return records;

        void EndRecord()
        {
            if (fieldStarted || fields.Count > 0)
            {
                fields.Add(field.ToString());
                if (!(fields.Count == 1 && fields[0].Trim().Length == 0))
                {
                    records.Add((recordLine, fields));
                }
            }

            fields = [];
            field.Clear();
            fieldStarted = false;
        }
    }

    private sealed class Row(string file, int line, List<string> fields, Dictionary<string, int> columns)
    {
        public string Text(string column)
        {
            var value = fields[columns[column]].Trim();
            return value.Length > 0 ? value : throw Error(column, "is empty");
        }

        public double Score(string column)
        {
            var value = Number(column) ?? throw Error(column, "is empty");
            return value is >= VerdictSchema.MinScore and <= VerdictSchema.MaxScore ? value : throw Error(column, $"must be from {VerdictSchema.MinScore} to {VerdictSchema.MaxScore}");
        }

        public double? Unit(string column)
        {
            var value = Number(column);
            return value is null or (>= 0 and <= 1) ? value : throw Error(column, "must be from 0 to 1");
        }

        private double? Number(string column)
        {
            var text = fields[columns[column]].Trim();
            if (text.Length == 0)
            {
                return null;
            }

            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
                ? value
                : throw Error(column, "is not a number");
        }

        private RatingsFormatException Error(string column, string problem) =>
            new($"{file} line {line}, column '{column}': the value {problem}.");
    }
}
