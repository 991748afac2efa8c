using System.Text;

namespace MedHelm.Application.Reports.Decision.Html;

/// <summary>Appends HTML with every text encoded: headings, paragraphs and tables of plain-text cells.</summary>
internal sealed class HtmlBuilder
{
    private readonly StringBuilder _html = new();

    /// <summary>Raw markup the caller built from encoded parts (an SVG from <see cref="SvgWriter"/>, a tag).</summary>
    public HtmlBuilder Raw(string markup)
    {
        _html.Append(markup);
        return this;
    }

    /// <summary>A section with an id and a heading.</summary>
    public HtmlBuilder Section(string id, string heading)
    {
        _html.Append("<section id=\"").Append(SvgWriter.Encode(id)).Append("\"><h2>").Append(SvgWriter.Encode(heading)).Append("</h2>");
        return this;
    }

    /// <summary>Closes a section.</summary>
    public HtmlBuilder End() => Raw("</section>\n");

    /// <summary>A sub-heading.</summary>
    public HtmlBuilder H3(string text) => Raw("<h3>").Text(text).Raw("</h3>");

    /// <summary>A paragraph (optionally with a class).</summary>
    public HtmlBuilder P(string text, string? cssClass = null) =>
        Raw(cssClass is null ? "<p>" : $"<p class=\"{SvgWriter.Encode(cssClass)}\">").Text(text).Raw("</p>");

    /// <summary>Encoded text.</summary>
    public HtmlBuilder Text(string? text) => Raw(SvgWriter.Encode(text));

    /// <summary>A preformatted block of (encoded) text.</summary>
    public HtmlBuilder Pre(string? text) => Raw("<pre>").Text(text).Raw("</pre>");

    /// <summary>A table with a header row; numeric-looking cells are right-aligned by the stylesheet's <c>td.n</c>.</summary>
    public HtmlBuilder Table(string id, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, string? caption = null)
    {
        _html.Append("<table id=\"").Append(SvgWriter.Encode(id)).Append("\">");
        if (caption is not null)
        {
            _html.Append("<caption>").Append(SvgWriter.Encode(caption)).Append("</caption>");
        }

        _html.Append("<thead><tr>");
        foreach (var h in headers)
        {
            _html.Append("<th>").Append(SvgWriter.Encode(h)).Append("</th>");
        }

        _html.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            _html.Append("<tr>");
            for (var i = 0; i < row.Count; i++)
            {
                _html.Append(i > 0 && LooksNumeric(row[i]) ? "<td class=\"n\">" : "<td>").Append(SvgWriter.Encode(row[i])).Append("</td>");
            }

            _html.Append("</tr>");
        }

        _html.Append("</tbody></table>\n");
        return this;
    }

    /// <inheritdoc />
    public override string ToString() => _html.ToString();

    private static bool LooksNumeric(string cell) =>
        cell.Length > 0 && (char.IsDigit(cell[0]) || (cell[0] is '-' or '.' && cell.Length > 1 && char.IsDigit(cell[1])));
}
