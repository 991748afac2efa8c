using System.Text;

namespace MedHelm.Application.Reports.Decision;

/// <summary>A fixed-width text table: the first <c>leftColumns</c> columns left-aligned, the rest right-aligned, two spaces between, no trailing spaces.</summary>
internal sealed class TextGrid(IReadOnlyList<string> header, int leftColumns = 1)
{
    private readonly List<IReadOnlyList<string>> _rows = [];

    public TextGrid Add(IReadOnlyList<string> cells)
    {
        if (cells.Count != header.Count)
        {
            throw new ArgumentException($"The row has {cells.Count} cells, the header {header.Count}.", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }

    public void AppendTo(StringBuilder text)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        Append(text, header, widths);
        text.AppendJoin("  ", widths.Select(w => new string('-', w))).Append('\n');
        foreach (var row in _rows)
        {
            Append(text, row, widths);
        }
    }

    private void Append(StringBuilder text, IReadOnlyList<string> cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Count; i++)
        {
            line.Append(i > 0 ? "  " : "").Append(i < leftColumns ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i]));
        }

        text.Append(line.ToString().TrimEnd()).Append('\n');
    }
}
