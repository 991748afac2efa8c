using System.Globalization;
using System.Net;
using System.Text;

namespace MedHelm.Application.Reports.Decision.Html;

/// <summary>
/// A small writer of inline SVG: rectangles, lines, circles and text, every text and attribute value HTML-encoded, every
/// number written invariantly. Nothing external: no fonts, images or scripts.
/// </summary>
public sealed class SvgWriter
{
    private readonly StringBuilder _svg = new();

    /// <summary>Starts an SVG of the given size with an accessible label (role img, a title).</summary>
    public SvgWriter(double width, double height, string id, string label)
    {
        _svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{Encode(id)}\" role=\"img\" aria-label=\"{Encode(label)}\" ")
            .Append(CultureInfo.InvariantCulture, $"viewBox=\"0 0 {N(width)} {N(height)}\" width=\"{N(width)}\" height=\"{N(height)}\">")
            .Append("<title>").Append(Encode(label)).Append("</title>");
    }

    /// <summary>A rectangle; <paramref name="tooltip"/> becomes its title.</summary>
    public SvgWriter Rect(double x, double y, double width, double height, string fill, string? tooltip = null, string? cssClass = null)
    {
        _svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(width)}\" height=\"{N(height)}\" fill=\"{Encode(fill)}\"");
        return Close("rect", tooltip, cssClass);
    }

    /// <summary>A line.</summary>
    public SvgWriter Line(double x1, double y1, double x2, double y2, string stroke, double width = 1, bool dashed = false)
    {
        _svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{Encode(stroke)}\" stroke-width=\"{N(width)}\"")
            .Append(dashed ? " stroke-dasharray=\"4 3\"" : "").Append("/>");
        return this;
    }

    /// <summary>A circle; <paramref name="tooltip"/> becomes its title.</summary>
    public SvgWriter Circle(double cx, double cy, double r, string fill, string? tooltip = null, string? cssClass = null)
    {
        _svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{N(cx)}\" cy=\"{N(cy)}\" r=\"{N(r)}\" fill=\"{Encode(fill)}\" stroke=\"#222\" stroke-width=\"0.5\"");
        return Close("circle", tooltip, cssClass);
    }

    /// <summary>Text (encoded); <paramref name="anchor"/> start, middle or end; <paramref name="rotate"/> degrees about its anchor point.</summary>
    public SvgWriter Text(double x, double y, string text, string anchor = "start", double size = 11, double rotate = 0, string fill = "#222", bool bold = false)
    {
        _svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x)}\" y=\"{N(y)}\" font-size=\"{N(size)}\" text-anchor=\"{Encode(anchor)}\" fill=\"{Encode(fill)}\"")
            .Append(bold ? " font-weight=\"bold\"" : "")
            .Append(rotate != 0 ? string.Create(CultureInfo.InvariantCulture, $" transform=\"rotate({N(rotate)} {N(x)} {N(y)})\"") : "")
            .Append('>').Append(Encode(text)).Append("</text>");
        return this;
    }

    /// <summary>The finished SVG element.</summary>
    public override string ToString() => _svg.ToString() + "</svg>";

    /// <summary>HTML/XML-encodes <paramref name="text"/> (quotes included).</summary>
    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A number invariantly, at most two decimals.</summary>
    public static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    private SvgWriter Close(string element, string? tooltip, string? cssClass)
    {
        if (cssClass is not null)
        {
            _svg.Append(" class=\"").Append(Encode(cssClass)).Append('"');
        }

        if (tooltip is null)
        {
            _svg.Append("/>");
        }
        else
        {
            _svg.Append("><title>").Append(Encode(tooltip)).Append("</title></").Append(element).Append('>');
        }

        return this;
    }
}
