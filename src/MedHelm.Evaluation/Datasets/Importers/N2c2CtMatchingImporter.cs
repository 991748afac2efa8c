using System.Xml;
using System.Xml.Linq;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// n2c2 2018 track 1 (cohort selection for clinical trials): one XML file per patient,
/// <c>&lt;PatientMatching&gt;&lt;TEXT&gt;notes&lt;/TEXT&gt;&lt;TAGS&gt;&lt;ABDOMINAL met="met"/&gt;…&lt;/TAGS&gt;</c>, in
/// <c>test/</c> (and <c>train/</c>, read as split "train") or directly in the folder given. Each patient gives one
/// instance per criterion of the benchmark's runs (ABDOMINAL, ADVANCED-CAD, CREATININE; metadata "subset"); gold A
/// when the criterion's <c>met</c> attribute is "met", B when "not met".
/// </summary>
public sealed class N2c2CtMatchingImporter : IDatasetImporter
{
    /// <summary>The criteria MedHELM evaluates, with the definition shown to the model.</summary>
    public static IReadOnlyList<(string Tag, string Definition)> Criteria { get; } =
    [
        ("ABDOMINAL", "History of intra-abdominal surgery: any operation inside the abdomen, such as resection of the small or large intestine, or a history of small bowel obstruction."),
        ("ADVANCED-CAD", "Advanced cardiovascular disease, meaning at least two of: two or more medications taken for coronary artery disease; a past myocardial infarction; current angina; past or present ischemia."),
        ("CREATININE", "Serum creatinine above the upper limit of normal."),
    ];

    /// <inheritdoc />
    public string Benchmark => "n2c2_ct_matching";

    /// <inheritdoc />
    public string Formats => "XML per patient (test/*.xml, train/*.xml): <PatientMatching><TEXT>notes</TEXT><TAGS><CRITERION met=\"met|not met\"/>…</TAGS>";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var files = new List<(string File, string Split)>();
        if (File.Exists(path))
        {
            files.Add((path, "test"));
        }
        else if (Directory.Exists(path) && (Directory.Exists(Path.Combine(path, "test")) || Directory.Exists(Path.Combine(path, "train"))))
        {
            foreach (var split in new[] { "test", "train" })
            {
                var folder = Path.Combine(path, split);
                if (Directory.Exists(folder))
                {
                    files.AddRange(context.FindAll(folder, "*.xml").Select(f => (f, split)));
                }
            }
        }
        else
        {
            files.AddRange(context.FindAll(path, "*.xml").Select(f => (f, "test")));
        }

        var instances = new List<BenchmarkInstance>();
        foreach (var (file, split) in files)
        {
            ReadPatient(file, split, context, instances);
        }

        return instances;
    }

    private static void ReadPatient(string file, string split, ImportContext context, List<BenchmarkInstance> instances)
    {
        var source = context.LoadText(file, lineOriented: false);
        var document = source is null ? null : LoadXml(source, context.Report);
        if (document?.Root is not { } root)
        {
            return;
        }

        var patient = Path.GetFileNameWithoutExtension(file);
        var text = root.Element("TEXT");
        if (text is null)
        {
            context.Report.Add(source!.Path, LineOf(root), patient, "TEXT", "the <TEXT> element is missing");
            return;
        }

        if (string.IsNullOrWhiteSpace(text.Value))
        {
            context.Report.Add(source!.Path, LineOf(text), patient, "TEXT", "the notes are empty");
            return;
        }

        var tags = root.Element("TAGS");
        if (tags is null)
        {
            context.Report.Add(source!.Path, LineOf(root), patient, "TAGS", "the <TAGS> element is missing");
            return;
        }

        var notes = text.Value.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        foreach (var (tag, definition) in Criteria)
        {
            var element = tags.Element(tag);
            if (element is null)
            {
                context.Report.Add(source!.Path, LineOf(tags), patient, tag, "the criterion tag is missing");
                continue;
            }

            var met = ((string?)element.Attribute("met"))?.Trim().ToLowerInvariant();
            string? gold = met switch
            {
                "met" => "A",
                "not met" => "B",
                _ => null,
            };
            if (gold is null)
            {
                context.Report.Add(source!.Path, LineOf(element), patient, tag,
                    met is null ? "the met attribute is missing" : $"met should be \"met\" or \"not met\", found \"{TextUtil.Shorten(met)}\"");
                continue;
            }

            instances.Add(ImporterSupport.Create(
                $"{split}/{patient}/{tag}",
                ImporterSupport.Fields(("notes", notes), ("criterion", definition)),
                $"Does the patient meet the criterion {tag}?",
                ImporterSupport.YesNoOptions,
                gold,
                split,
                source!.Path,
                LineOf(element),
                new Dictionary<string, string> { ["subset"] = tag, ["patient"] = patient, ["met"] = met! }));
        }
    }

    /// <summary>Parses XML without DTDs, keeping line numbers; null (problem reported with its line) when malformed.</summary>
    internal static XDocument? LoadXml(SourceText source, DatasetValidationReport report)
    {
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
            using var reader = XmlReader.Create(new StringReader(source.Text), settings);
            return XDocument.Load(reader, LoadOptions.SetLineInfo | LoadOptions.PreserveWhitespace);
        }
        catch (XmlException ex)
        {
            report.Add(source.Path, ex.LineNumber > 0 ? ex.LineNumber : null, null, null, $"invalid XML ({ex.Message.ReplaceLineEndings(" ")})");
            return null;
        }
    }

    internal static long? LineOf(XObject node) => node is IXmlLineInfo info && info.HasLineInfo() ? info.LineNumber : null;
}
