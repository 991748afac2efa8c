using System.Xml;
using System.Xml.Linq;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// MEDIQA 2019 Task 3 QA: <c>MEDIQA2019-Task3-QA-TestSet-wLabels.xml</c> (Question QID, QuestionText, AnswerList of
/// Answer AID / ReferenceRank / AnswerText); the reference is the answer with ReferenceRank 1. The optional ground-truth
/// file (<c>question_id,answer_id,label</c>) is checked against the XML and its correct answer ids kept as metadata.
/// </summary>
public sealed class MediQaImporter : IDatasetImporter
{
    private const string XmlFile = "MEDIQA2019-Task3-QA-TestSet-wLabels.xml";
    private const string GroundTruthFile = "QA_testSet_ground_truth_round_2.txt";

    /// <inheritdoc />
    public string Benchmark => "medi_qa";

    /// <inheritdoc />
    public string Formats => $"XML {XmlFile} (+ {GroundTruthFile}, CSV question_id,answer_id,label)";

    /// <summary>Parses an XML text with line information and no DTD processing; null (problem reported) when invalid.</summary>
    internal static XDocument? LoadXml(SourceText source, DatasetValidationReport report)
    {
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
            using var reader = XmlReader.Create(new StringReader(source.Text), settings);
            return XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException ex)
        {
            report.Add(source.Path, ex.LineNumber > 0 ? ex.LineNumber : null, null, null, $"invalid XML ({ex.Message.ReplaceLineEndings(" ")})");
            return null;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = context.Find(path, XmlFile);
        var source = file is null ? null : context.LoadText(file, lineOriented: false);
        var document = source is null ? null : LoadXml(source, context.Report);
        if (document is null)
        {
            return [];
        }

        var report = context.Report;
        Dictionary<string, List<string>>? correct = null;
        var folder = Path.GetDirectoryName(Path.GetFullPath(file!))!;
        if (File.Exists(Path.Combine(folder, GroundTruthFile)) && context.LoadText(Path.Combine(folder, GroundTruthFile), lineOriented: true) is { } gt
            && CsvTable.Parse(gt, report) is { } table && table.RequireColumns(report, "question_id", "answer_id", "label"))
        {
            correct = [];
            foreach (var row in table.Rows.Where(r => !r.IsBlank))
            {
                var label = table.Get(row, "label").Trim();
                if (label is not ("0" or "1"))
                {
                    report.Add(gt.Path, row.Line, table.Get(row, "answer_id"), "label", $"expected 0 or 1, found '{TextUtil.Shorten(label)}'");
                    continue;
                }

                var list = correct.TryGetValue(table.Get(row, "question_id").Trim(), out var l) ? l : correct[table.Get(row, "question_id").Trim()] = [];
                if (label == "1")
                {
                    list.Add(table.Get(row, "answer_id").Trim());
                }
            }
        }

        var instances = new List<BenchmarkInstance>();
        foreach (var q in document.Descendants("Question"))
        {
            var line = OpenXmlPackage.LineOf(q);
            var qid = (string?)q.Attribute("QID");
            if (string.IsNullOrWhiteSpace(qid))
            {
                report.Add(source!.Path, line, null, "QID", "the attribute is missing");
                continue;
            }

            var text = q.Element("QuestionText")?.Value.Trim();
            if (string.IsNullOrEmpty(text))
            {
                report.Add(source!.Path, line, qid, "QuestionText", "the element is missing or empty");
                continue;
            }

            var reference = q.Descendants("Answer").FirstOrDefault(a => ((string?)a.Attribute("ReferenceRank"))?.Trim() == "1");
            var answer = reference?.Element("AnswerText")?.Value.Trim();
            if (string.IsNullOrEmpty(answer))
            {
                report.Add(source!.Path, line, qid, "ReferenceRank", "no answer with ReferenceRank=\"1\" and a non-empty AnswerText");
                continue;
            }

            var meta = new Dictionary<string, string> { ["reference_answer_id"] = (string?)reference!.Attribute("AID") ?? string.Empty };
            if (correct is not null)
            {
                if (!correct.TryGetValue(qid, out var ids))
                {
                    report.Add(GroundTruthFile, null, qid, "question_id", "the question has no row in the ground-truth file");
                    continue;
                }

                meta["correct_answer_ids"] = string.Join(",", ids);
            }

            instances.Add(ImporterSupport.Create(qid, new Dictionary<string, string>(), text, [], answer, "test", source!.Path, line, meta));
        }

        return instances;
    }
}
