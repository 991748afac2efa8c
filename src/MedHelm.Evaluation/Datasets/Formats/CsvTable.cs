using System.Text;

namespace MedHelm.Evaluation.Datasets.Formats;

/// <summary>One data row of a CSV/TSV file.</summary>
/// <param name="Line">1-based line where the record starts.</param>
/// <param name="Cells">The cells in column order.</param>
public sealed record CsvRow(long Line, IReadOnlyList<string> Cells)
{
    /// <summary>True when every cell is empty or whitespace (trailing blank rows some exports add).</summary>
    public bool IsBlank => Cells.All(string.IsNullOrWhiteSpace);
}

/// <summary>
/// A CSV (RFC 4180: quoted fields, doubled quotes, newlines inside quotes) or TSV file with a header row. Parsing
/// reports an unterminated quote, a stray quote, a duplicate or missing column and rows of the wrong width,
/// each with its line.
/// </summary>
public sealed class CsvTable
{
    private readonly Dictionary<string, int> _columns;

    private CsvTable(SourceText source, IReadOnlyList<string> header, IReadOnlyList<CsvRow> rows)
    {
        Source = source;
        Header = header;
        Rows = rows;
        _columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < header.Count; i++)
        {
            _columns.TryAdd(header[i].Trim(), i);
        }
    }

    /// <summary>The file.</summary>
    public SourceText Source { get; }

    /// <summary>Column names.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>Data rows (the header excluded), blank rows included.</summary>
    public IReadOnlyList<CsvRow> Rows { get; }

    /// <summary>Parses <paramref name="source"/>; null when it cannot be read as a table (problems reported).</summary>
    public static CsvTable? Parse(SourceText source, DatasetValidationReport report, char separator = ',')
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(report);
        var records = new List<CsvRow>();
        var text = source.Text;
        var cells = new List<string>();
        var cell = new StringBuilder();
        var line = 1L;
        var recordLine = 1L;
        var i = 0;
        var ok = true;
        var atCellStart = true;
        var quoted = false;
        while (i < text.Length)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        cell.Append('"');
                        i += 2;
                        continue;
                    }

                    quoted = false;
                    i++;
                    if (i < text.Length && text[i] != separator && text[i] != '\n' && text[i] != '\r')
                    {
                        report.Add(source.Path, line, null, $"column {cells.Count + 1}", "unexpected text after a closing quote");
                        ok = false;
                        while (i < text.Length && text[i] != separator && text[i] != '\n')
                        {
                            cell.Append(text[i++]);
                        }
                    }

                    continue;
                }

                if (c == '\n')
                {
                    line++;
                }

                cell.Append(c);
                i++;
                continue;
            }

            if (c == '"' && atCellStart)
            {
                quoted = true;
                atCellStart = false;
                i++;
                continue;
            }

            if (c == separator)
            {
                cells.Add(cell.ToString());
                cell.Clear();
                atCellStart = true;
                i++;
                continue;
            }

            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                i++;
                continue;
            }

            if (c == '\n')
            {
                cells.Add(cell.ToString());
                cell.Clear();
                records.Add(new CsvRow(recordLine, cells.ToArray()));
                cells.Clear();
                atCellStart = true;
                line++;
                recordLine = line;
                i++;
                continue;
            }

            atCellStart = false;
            cell.Append(c);
            i++;
        }

        if (quoted)
        {
            report.Add(source.Path, recordLine, null, $"column {cells.Count + 1}", "a quoted field is not closed before the end of the file");
            return null;
        }

        if (cell.Length > 0 || cells.Count > 0)
        {
            cells.Add(cell.ToString());
            records.Add(new CsvRow(recordLine, cells.ToArray()));
        }

        if (records.Count == 0 || records[0].IsBlank)
        {
            report.Add(source.Path, 1, null, null, "the header row is missing");
            return null;
        }

        var header = records[0].Cells.Select(h => h.Trim()).ToArray();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in header)
        {
            if (name.Length > 0 && !seen.Add(name))
            {
                report.Add(source.Path, 1, null, name, "the column occurs more than once in the header");
                ok = false;
            }
        }

        var rows = records.Skip(1).ToList();
        foreach (var row in rows)
        {
            if (row.Cells.Count != header.Length && !(row.IsBlank && row.Cells.Count <= header.Length))
            {
                report.Add(source.Path, row.Line, null, null, $"the row has {row.Cells.Count} cells, the header has {header.Length}");
                ok = false;
            }
        }

        return ok ? new CsvTable(source, header, rows) : null;
    }

    /// <summary>True when the header has <paramref name="column"/>.</summary>
    public bool Has(string column) => _columns.ContainsKey(column);

    /// <summary>Reports each missing column (line 1); true when all are present.</summary>
    public bool RequireColumns(DatasetValidationReport report, params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(report);
        var ok = true;
        foreach (var column in columns)
        {
            if (!Has(column))
            {
                report.Add(Source.Path, 1, null, column, $"the required column is missing (header: {string.Join(", ", Header)})");
                ok = false;
            }
        }

        return ok;
    }

    /// <summary>The cell of <paramref name="column"/> in <paramref name="row"/> (empty when the column or cell is absent).</summary>
    public string Get(CsvRow row, string column)
    {
        ArgumentNullException.ThrowIfNull(row);
        return _columns.TryGetValue(column, out var index) && index < row.Cells.Count ? row.Cells[index] : string.Empty;
    }

    /// <summary>The trimmed cell, reporting an empty one; null when empty.</summary>
    public string? Require(CsvRow row, string column, DatasetValidationReport report, string? recordKey = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var value = Get(row, column).Trim();
        if (value.Length == 0)
        {
            report.Add(Source.Path, row.Line, recordKey, column, "the value is empty");
            return null;
        }

        return value;
    }
}
