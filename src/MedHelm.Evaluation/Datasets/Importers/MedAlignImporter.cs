using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// MedAlign (Stanford, Redivis): <c>clinician-reviewed-model-responses.tsv</c> (instruction_id, person_id, question;
/// one row per reviewed model response, so an instruction repeats), <c>clinician-instruction-responses.tsv</c>
/// (instruction_id, clinician_response) and the EHRs <c>medalign_ehr_xml/EHR_&lt;person_id&gt;.xml</c>. One instance per
/// instruction with a clinician response: the EHR XML text is the input, the instruction the question, the
/// clinician's response the reference. An instruction whose rows disagree on person or question, or whose EHR file
/// is missing or not well-formed XML, is an error.
/// </summary>
public sealed class MedAlignImporter : IDatasetImporter
{
    /// <summary>The instructions file.</summary>
    public const string InstructionsFileName = "clinician-reviewed-model-responses.tsv";

    /// <summary>The clinician responses file.</summary>
    public const string ResponsesFileName = "clinician-instruction-responses.tsv";

    /// <summary>The EHR folder.</summary>
    public const string EhrFolderName = "medalign_ehr_xml";

    /// <inheritdoc />
    public string Benchmark => "medalign";

    /// <inheritdoc />
    public string Formats => $"TSV {InstructionsFileName} (instruction_id, person_id, question) + {ResponsesFileName} (instruction_id, clinician_response) + XML {EhrFolderName}/EHR_<person_id>.xml";

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var folder = File.Exists(path) ? Path.GetDirectoryName(Path.GetFullPath(path))! : path;
        if (!Directory.Exists(folder))
        {
            context.Report.Add(path, null, null, null, "the path does not exist");
            return [];
        }

        var instructionsFile = Path.Combine(folder, InstructionsFileName);
        var responsesFile = Path.Combine(folder, ResponsesFileName);
        var ehrFolder = Path.Combine(folder, EhrFolderName);
        var ok = true;
        foreach (var required in new[] { instructionsFile, responsesFile })
        {
            if (!File.Exists(required))
            {
                context.Report.Add(required, null, null, null, "the file is missing");
                ok = false;
            }
        }

        if (!Directory.Exists(ehrFolder))
        {
            context.Report.Add(ehrFolder, null, null, null, "the EHR folder is missing");
            ok = false;
        }

        if (!ok)
        {
            return [];
        }

        var instructions = Table(instructionsFile, context, "instruction_id", "person_id");
        var responses = Table(responsesFile, context, "instruction_id", "clinician_response");
        if (instructions is null || responses is null)
        {
            return [];
        }

        var questionColumn = instructions.Has("question") ? "question" : instructions.Has("instruction") ? "instruction" : null;
        if (questionColumn is null)
        {
            context.Report.Add(instructions.Source.Path, 1, null, "question", $"the required column is missing (header: {string.Join(", ", instructions.Header)})");
            return [];
        }

        var byInstruction = new Dictionary<string, (string Person, string Question, long Line)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var row in instructions.Rows.Where(r => !r.IsBlank))
        {
            var id = instructions.Require(row, "instruction_id", context.Report);
            var person = instructions.Require(row, "person_id", context.Report, id);
            var question = instructions.Require(row, questionColumn, context.Report, id);
            if (id is null || person is null || question is null)
            {
                continue;
            }

            if (person.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_'))
            {
                context.Report.Add(instructions.Source.Path, row.Line, id, "person_id", $"'{TextUtil.Shorten(person)}' is not a usable person id");
                continue;
            }

            if (byInstruction.TryGetValue(id, out var known))
            {
                if (known.Person != person)
                {
                    context.Report.Add(instructions.Source.Path, row.Line, id, "person_id", $"the instruction was given for person {known.Person} on line {known.Line}");
                }
                else if (known.Question != question)
                {
                    context.Report.Add(instructions.Source.Path, row.Line, id, questionColumn, $"the instruction text differs from line {known.Line}");
                }

                continue;
            }

            byInstruction[id] = (person, question, row.Line);
            order.Add(id);
        }

        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in responses.Rows.Where(r => !r.IsBlank))
        {
            var id = responses.Require(row, "instruction_id", context.Report);
            var answer = responses.Require(row, "clinician_response", context.Report, id);
            if (id is null || answer is null)
            {
                continue;
            }

            if (!answers.TryAdd(id, answer))
            {
                context.Report.Add(responses.Source.Path, row.Line, id, "instruction_id", "the instruction has more than one clinician response");
            }
            else if (!byInstruction.ContainsKey(id))
            {
                context.Report.Add(responses.Source.Path, row.Line, id, "instruction_id", $"the instruction does not occur in {InstructionsFileName}");
            }
        }

        var ehrs = new Dictionary<string, string?>(StringComparer.Ordinal);
        var instances = new List<BenchmarkInstance>();
        foreach (var id in order)
        {
            if (!answers.TryGetValue(id, out var answer))
            {
                continue;
            }

            var (person, question, line) = byInstruction[id];
            if (!ehrs.TryGetValue(person, out var ehr))
            {
                ehrs[person] = ehr = LoadEhr(Path.Combine(ehrFolder, $"EHR_{person}.xml"), context, instructions.Source.Path, line, id);
            }

            if (ehr is null)
            {
                continue;
            }

            instances.Add(ImporterSupport.Create(
                id, ImporterSupport.Fields(("ehr", ehr)), question, [], answer.Trim(), "test", instructions.Source.Path, line,
                new Dictionary<string, string> { ["person_id"] = person }));
        }

        return instances;
    }

    private static string? LoadEhr(string file, ImportContext context, string instructionsPath, long line, string instructionId)
    {
        if (!File.Exists(file))
        {
            context.Report.Add(instructionsPath, line, instructionId, "person_id", $"the EHR file {EhrFolderName}/{Path.GetFileName(file)} is missing");
            return null;
        }

        var source = context.LoadText(file, lineOriented: false);
        if (source is null || N2c2CtMatchingImporter.LoadXml(source, context.Report) is null)
        {
            return null;
        }

        return source.Text.Trim();
    }

    private static CsvTable? Table(string file, ImportContext context, params string[] columns)
    {
        var source = context.LoadText(file, lineOriented: true);
        var table = source is null ? null : CsvTable.Parse(source, context.Report, '\t');
        return table is not null && table.RequireColumns(context.Report, columns) ? table : null;
    }
}
