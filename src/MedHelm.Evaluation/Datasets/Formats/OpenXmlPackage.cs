using System.IO.Compression;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace MedHelm.Evaluation.Datasets.Formats;

/// <summary>
/// Reads the parts of an Office Open XML package (xlsx, docx) with the framework's zip and XML classes: no DTDs,
/// part sizes checked against <see cref="ImportLimits.MaxUncompressedBytes"/>, every failure reported.
/// </summary>
public static class OpenXmlPackage
{
    /// <summary>Loads one XML part; null (problem reported) when the package or part is unusable.</summary>
    public static XDocument? LoadPart(string file, byte[] package, string partName, DatasetValidationReport report, ImportLimits limits, bool required = true)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(limits);
        try
        {
            using var zip = new ZipArchive(new MemoryStream(package, writable: false), ZipArchiveMode.Read);
            var entry = zip.GetEntry(partName) ?? zip.Entries.FirstOrDefault(e => string.Equals(e.FullName, partName, StringComparison.OrdinalIgnoreCase));
            if (entry is null)
            {
                if (required)
                {
                    report.Add(file, null, null, partName, "the package part is missing (is this really an Office Open XML file?)");
                }

                return null;
            }

            if (entry.Length > limits.MaxUncompressedBytes)
            {
                report.Add(file, null, null, partName, $"the part unpacks to {entry.Length} bytes, more than the limit of {limits.MaxUncompressedBytes}");
                return null;
            }

            using var stream = entry.Open();
            var bytes = ReadCapped(stream, limits.MaxUncompressedBytes);
            if (bytes is null)
            {
                report.Add(file, null, null, partName, $"the part unpacks to more than {limits.MaxUncompressedBytes} bytes");
                return null;
            }

            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, CloseInput = true };
            using var reader = XmlReader.Create(new MemoryStream(bytes), settings);
            return XDocument.Load(reader, LoadOptions.SetLineInfo | LoadOptions.PreserveWhitespace);
        }
        catch (InvalidDataException ex)
        {
            report.Add(file, null, null, null, $"not a valid zip container ({ex.Message.ReplaceLineEndings(" ")})");
        }
        catch (XmlException ex)
        {
            report.Add(file, ex.LineNumber > 0 ? ex.LineNumber : null, null, partName, $"invalid XML in the part ({ex.Message.ReplaceLineEndings(" ")})");
        }

        return null;
    }

    /// <summary>The concatenated text of every &lt;t&gt; element under <paramref name="element"/> (both OOXML namespaces).</summary>
    public static string TextOf(XElement element)
    {
        ArgumentNullException.ThrowIfNull(element);
        var sb = new StringBuilder();
        foreach (var node in element.Descendants())
        {
            if (node.Name.LocalName == "t")
            {
                sb.Append(node.Value);
            }
            else if (node.Name.LocalName is "tab")
            {
                sb.Append('\t');
            }
            else if (node.Name.LocalName is "br" or "cr")
            {
                sb.Append('\n');
            }
        }

        return sb.ToString();
    }

    /// <summary>The 1-based line of an element in its part, when known.</summary>
    public static long? LineOf(XObject node) =>
        node is IXmlLineInfo info && info.HasLineInfo() ? info.LineNumber : null;

    private static byte[]? ReadCapped(Stream stream, long cap)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > cap)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}

/// <summary>One row of the first worksheet of an xlsx workbook.</summary>
/// <param name="Row">The 1-based row number in the sheet.</param>
/// <param name="Cells">Cell text by 0-based column index.</param>
public sealed record SheetRow(long Row, IReadOnlyDictionary<int, string> Cells)
{
    /// <summary>The text of column <paramref name="index"/>, empty when absent.</summary>
    public string this[int index] => Cells.TryGetValue(index, out var v) ? v : string.Empty;
}

/// <summary>Reads the first worksheet of an xlsx file (shared strings, inline strings, numbers, booleans).</summary>
public static class XlsxReader
{
    private static readonly XNamespace Main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    private static readonly XNamespace Rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    private static readonly XNamespace PackageRel = "http://schemas.openxmlformats.org/package/2006/relationships";

    /// <summary>The rows of the first sheet in order; null (problems reported) when the workbook is unusable.</summary>
    public static IReadOnlyList<SheetRow>? ReadFirstSheet(string file, byte[] package, DatasetValidationReport report, ImportLimits limits)
    {
        var sheetPart = FirstSheetPart(file, package, report, limits);
        if (sheetPart is null)
        {
            return null;
        }

        var shared = new List<string>();
        var sst = OpenXmlPackage.LoadPart(file, package, "xl/sharedStrings.xml", report, limits, required: false);
        if (sst is not null)
        {
            shared.AddRange(sst.Root!.Elements(Main + "si").Select(OpenXmlPackage.TextOf));
        }

        var sheet = OpenXmlPackage.LoadPart(file, package, sheetPart, report, limits);
        if (sheet is null)
        {
            return null;
        }

        var rows = new List<SheetRow>();
        long implicitRow = 0;
        foreach (var row in sheet.Descendants(Main + "row"))
        {
            implicitRow = long.TryParse((string?)row.Attribute("r"), out var r) ? r : implicitRow + 1;
            var cells = new Dictionary<int, string>();
            var implicitColumn = -1;
            foreach (var c in row.Elements(Main + "c"))
            {
                var reference = (string?)c.Attribute("r");
                var column = reference is null ? implicitColumn + 1 : ColumnIndex(reference);
                implicitColumn = column;
                var type = (string?)c.Attribute("t");
                var value = (string?)c.Element(Main + "v");
                string text;
                switch (type)
                {
                    case "s":
                        if (!int.TryParse(value, out var index) || index < 0 || index >= shared.Count)
                        {
                            report.Add(file, implicitRow, null, reference, $"the cell points to shared string {value}, which does not exist");
                            continue;
                        }

                        text = shared[index];
                        break;
                    case "inlineStr":
                        text = c.Element(Main + "is") is { } inline ? OpenXmlPackage.TextOf(inline) : string.Empty;
                        break;
                    case "b":
                        text = value == "1" ? "TRUE" : "FALSE";
                        break;
                    default:
                        text = value ?? string.Empty;
                        break;
                }

                cells[column] = text;
            }

            rows.Add(new SheetRow(implicitRow, cells));
        }

        return rows;
    }

    /// <summary>"AB12" → 27 (0-based column index).</summary>
    public static int ColumnIndex(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var index = 0;
        foreach (var ch in reference)
        {
            if (ch is >= 'A' and <= 'Z')
            {
                index = (index * 26) + (ch - 'A' + 1);
            }
            else if (ch is >= 'a' and <= 'z')
            {
                index = (index * 26) + (ch - 'a' + 1);
            }
            else
            {
                break;
            }
        }

        return index - 1;
    }

    private static string? FirstSheetPart(string file, byte[] package, DatasetValidationReport report, ImportLimits limits)
    {
        var workbook = OpenXmlPackage.LoadPart(file, package, "xl/workbook.xml", report, limits);
        if (workbook is null)
        {
            return null;
        }

        var sheet = workbook.Descendants(Main + "sheet").FirstOrDefault();
        if (sheet is null)
        {
            report.Add(file, null, null, "xl/workbook.xml", "the workbook has no worksheet");
            return null;
        }

        var id = (string?)sheet.Attribute(Rel + "id");
        var rels = OpenXmlPackage.LoadPart(file, package, "xl/_rels/workbook.xml.rels", report, limits, required: false);
        var target = rels?.Root?.Elements(PackageRel + "Relationship")
            .FirstOrDefault(r => (string?)r.Attribute("Id") == id)?.Attribute("Target")?.Value;
        if (target is null)
        {
            return "xl/worksheets/sheet1.xml";
        }

        target = target.TrimStart('/');
        return target.StartsWith("xl/", StringComparison.Ordinal) ? target : "xl/" + target;
    }
}

/// <summary>One body paragraph of a docx document.</summary>
/// <param name="Text">The paragraph's text.</param>
/// <param name="HasRedText">True when a run with visible text is coloured pure red (FF0000).</param>
/// <param name="Line">The line of the paragraph in word/document.xml.</param>
public sealed record DocxParagraph(string Text, bool HasRedText, long? Line);

/// <summary>Reads the paragraphs of a docx document in order, including those inside tables.</summary>
public static class DocxReader
{
    private static readonly XNamespace W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

    /// <summary>The paragraphs; null (problems reported) when the document is unusable.</summary>
    public static IReadOnlyList<DocxParagraph>? ReadParagraphs(string file, byte[] package, DatasetValidationReport report, ImportLimits limits)
    {
        var document = OpenXmlPackage.LoadPart(file, package, "word/document.xml", report, limits);
        if (document is null)
        {
            return null;
        }

        var body = document.Root?.Element(W + "body");
        if (body is null)
        {
            report.Add(file, null, null, "word/document.xml", "the document has no body");
            return null;
        }

        var paragraphs = new List<DocxParagraph>();
        foreach (var p in body.Descendants(W + "p"))
        {
            var text = new StringBuilder();
            var red = false;
            foreach (var run in p.Descendants(W + "r"))
            {
                var runText = OpenXmlPackage.TextOf(run);
                text.Append(runText);
                var color = (string?)run.Element(W + "rPr")?.Element(W + "color")?.Attribute(W + "val");
                if (!string.IsNullOrWhiteSpace(runText) && string.Equals(color, "FF0000", StringComparison.OrdinalIgnoreCase))
                {
                    red = true;
                }
            }

            paragraphs.Add(new DocxParagraph(text.ToString(), red, OpenXmlPackage.LineOf(p)));
        }

        return paragraphs;
    }
}
