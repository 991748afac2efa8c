using System.Globalization;
using System.Text.Json;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// HEAD-QA English <c>HEAD_EN.json</c>: <c>{exams: {name: {year, category, data: [{qid, qtext, ra, answers, image}]}}}</c>.
/// Split by exam year (2013-2014 train, 2015 dev, 2016-2017 test); questions with an image are skipped, as HELM does.
/// </summary>
public sealed class HeadQaImporter : IDatasetImporter
{
    /// <inheritdoc />
    public string Benchmark => "head_qa";

    /// <inheritdoc />
    public string Formats => "JSON HEAD_EN.json {version, language, exams: {name: {name, year, category, data: [{qid, qtext, ra, answers:[{aid, atext}], image}]}}}";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = context.Find(path, "HEAD_EN.json", "HEAD.json");
        var source = file is null ? null : context.LoadText(file, lineOriented: false);
        using var document = source is null ? null : JsonSource.Parse(source, context.Report);
        if (document is null)
        {
            return [];
        }

        var report = context.Report;
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("exams", out var exams) || exams.ValueKind != JsonValueKind.Object)
        {
            report.Add(source!.Path, 1, null, "exams", "expected an object with an \"exams\" object");
            return [];
        }

        var lines = JsonSource.ObjectStartLines(source!, 4);
        var index = 0;
        var instances = new List<BenchmarkInstance>();
        foreach (var exam in exams.EnumerateObject())
        {
            var examAt = new RecordLocation(source!.Path, null, exam.Name);
            if (exam.Value.ValueKind != JsonValueKind.Object || !exam.Value.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            {
                report.Add(examAt.File, null, exam.Name, "data", "expected an exam object with a \"data\" array");
                continue;
            }

            var year = YearOf(exam.Name, exam.Value);
            var split = year switch { >= 2016 => "test", 2015 => "dev", _ => "train" };
            var category = exam.Value.TryGetProperty("category", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : string.Empty;
            foreach (var item in data.EnumerateArray())
            {
                var line = index < lines.Count ? lines[index] : (long?)null;
                index++;
                var at = new RecordLocation(source.Path, line, exam.Name);
                var qid = JsonSource.RequireString(item, "qid", at, report);
                at = at with { Key = $"{exam.Name}/{qid}" };
                var question = JsonSource.RequireString(item, "qtext", at, report);
                var ra = JsonSource.RequireString(item, "ra", at, report);
                var image = JsonSource.OptionalString(item, "image", at, report);
                if (!item.TryGetProperty("answers", out var answers) || answers.ValueKind != JsonValueKind.Array || answers.GetArrayLength() < 2)
                {
                    report.Add(at.File, at.Line, at.Key, "answers", "expected an array of at least two answers");
                    continue;
                }

                var texts = new List<(string Aid, string Text)>();
                foreach (var answer in answers.EnumerateArray())
                {
                    var aid = JsonSource.RequireString(answer, "aid", at, report);
                    var atext = JsonSource.RequireString(answer, "atext", at, report, allowEmpty: true);
                    if (aid is not null && atext is not null)
                    {
                        texts.Add((aid, atext));
                    }
                }

                if (qid is null || question is null || ra is null || texts.Count != answers.GetArrayLength())
                {
                    continue;
                }

                var goldIndex = texts.FindIndex(t => t.Aid == ra);
                if (goldIndex < 0)
                {
                    report.Add(at.File, at.Line, at.Key, "ra", $"the right answer '{TextUtil.Shorten(ra)}' is not among the answer ids");
                    continue;
                }

                if (!string.IsNullOrWhiteSpace(image))
                {
                    continue; // questions with an image are skipped
                }

                instances.Add(ImporterSupport.Create(
                    $"{exam.Name}/{qid}", new Dictionary<string, string>(), question, ImporterSupport.Lettered(texts.Select(t => t.Text)),
                    ((char)('A' + goldIndex)).ToString(), split, source.Path, line,
                    new Dictionary<string, string> { ["exam"] = exam.Name, ["year"] = year.ToString(CultureInfo.InvariantCulture), ["category"] = category }));
            }
        }

        return instances;
    }

    private static int YearOf(string name, JsonElement exam)
    {
        if (exam.TryGetProperty("year", out var y))
        {
            if (y.ValueKind == JsonValueKind.Number && y.TryGetInt32(out var n))
            {
                return n;
            }

            if (y.ValueKind == JsonValueKind.String && int.TryParse(y.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out n))
            {
                return n;
            }
        }

        foreach (var part in name.Split('_'))
        {
            if (part.Length == 4 && int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            {
                return n;
            }
        }

        return 0;
    }
}
