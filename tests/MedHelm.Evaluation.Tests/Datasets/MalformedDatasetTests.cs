using System.IO.Compression;
using System.Text;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Tests.Datasets;

/// <summary>Malformed files across the formats: each is rejected with the file, the line and the field named.</summary>
public sealed class MalformedDatasetTests
{
    private const string MedCalcHeader = "Row Number,Calculator ID,Calculator Name,Category,Output Type,Note ID,Note Type,Patient Note,Question,Relevant Entities,Ground Truth Answer,Lower Limit,Upper Limit,Ground Truth Explanation\n";
    private const string MedBulletsHeader = "link,question,opa,opb,opc,opd,ope,answer_idx,answer,explanation\n";
    private const string MedecHeader = "Text ID,Text,Sentences,Error Flag,Error Type,Error Sentence ID,Error Sentence,Corrected Sentence,Corrected Text\n";

    private static string MedCalcRow(string id, string lower = "1.5") => $"{id},2,CrCl,lab,decimal,n1,Extracted,\"A note.\",What is the CrCl?,{{}},2.0,{lower},2.5,x\n";

    private static string MedBulletsRow(string qid, string answer = "A") => $"https://x?qid={qid},\"Which?\",a,b,c,d,e,{answer},a,because\n";

    private static string MedQaLine(string answerIdx = "B", string question = "\"question\": \"Which?\", ") =>
        $"{{{question}\"answer\": \"y\", \"options\": {{\"A\": \"x\", \"B\": \"y\", \"C\": \"z\", \"D\": \"w\"}}, \"meta_info\": \"step1\", \"answer_idx\": \"{answerIdx}\"}}\n";

    private static string McqaLine(string id, string cop = "2", string opc = "\"opc\": \"c\", ") =>
        $"{{\"question\": \"q\", \"exp\": null, \"cop\": {cop}, \"opa\": \"a\", \"opb\": \"b\", {opc}\"opd\": \"d\", \"subject_name\": \"Anatomy\", \"topic_name\": null, \"id\": \"{id}\", \"choice_type\": \"single\"}}\n";

    private static string HalluLine(int i) =>
        $"{{\"Question\":\"Q{i}?\",\"Knowledge\":[\"K{i}\"],\"Ground Truth\":\"T{i}\",\"Difficulty Level\":\"easy\",\"Hallucinated Answer\":\"H{i}\",\"Category of Hallucination\":\"c\"}}\n";

    public static TheoryData<string, string, Func<TempFolder, string>, string, long?, string?> Cases => new()
    {
        // benchmark, case, writes the files and returns the path to import, expected file name, line, field
        { "medbullets", "missing column", f => f.Write("medbullets_op5.csv", "link,question,opa,opb,opc,opd,ope,answer,explanation\nx,q,a,b,c,d,e,a,z\n"), "medbullets_op5.csv", 1, "answer_idx" },
        { "medbullets", "answer letter out of range", f => f.Write("medbullets_op5.csv", MedBulletsHeader + MedBulletsRow("1") + MedBulletsRow("2", "F")), "medbullets_op5.csv", 3, "answer_idx" },
        { "medbullets", "row of the wrong width", f => f.Write("medbullets_op5.csv", MedBulletsHeader + MedBulletsRow("1") + "x,only,three\n"), "medbullets_op5.csv", 3, null },
        { "medbullets", "duplicate ids", f => f.Write("medbullets_op5.csv", MedBulletsHeader + MedBulletsRow("7") + MedBulletsRow("7")), "medbullets_op5.csv", 3, "id" },
        { "medcalc_bench", "unterminated quote", f => f.Write("test_data.csv", MedCalcHeader + MedCalcRow("1") + "2,2,CrCl,lab,decimal,n1,Extracted,\"A note that never ends\n"), "test_data.csv", 3, "column 8" },
        { "medcalc_bench", "wrong type", f => f.Write("test_data.csv", MedCalcHeader + MedCalcRow("1") + MedCalcRow("2") + MedCalcRow("3", "low")), "test_data.csv", 4, "Lower Limit" },
        { "medcalc_bench", "empty value", f => f.Write("test_data.csv", MedCalcHeader + MedCalcRow("1").Replace("What is the CrCl?", " ", StringComparison.Ordinal)), "test_data.csv", 2, "Question" },
        { "medcalc_bench", "empty file", f => f.Write("test_data.csv", ""), "test_data.csv", null, null },
        { "medec", "error flag not 0/1", f => f.Write("MEDEC-MS-TestSet-with-GroundTruth-and-ErrorType.csv", MedecHeader + "ms-1,t,0 A.,yes,,-1,,,\n"), "MEDEC-MS-TestSet-with-GroundTruth-and-ErrorType.csv", 2, "Error Flag" },
        { "medec", "invalid UTF-8", f => WriteBytes(f, "MEDEC-MS-TestSet-with-GroundTruth-and-ErrorType.csv", Encoding.UTF8.GetBytes(MedecHeader + "ms-1,t,0 A.,0,,-1,,,\nms-2,t,0 B") .Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes(",0,,-1,,,\n")).ToArray()), "MEDEC-MS-TestSet-with-GroundTruth-and-ErrorType.csv", 3, null },
        { "medhallu", "bad JSON on line 812", f => f.Write("medhallu.jsonl", string.Concat(Enumerable.Range(1, 811).Select(HalluLine)) + "{\"Question\": \"oops\",\n"), "medhallu.jsonl", 812, null },
        { "medhallu", "wrong type", f => f.Write("medhallu.jsonl", HalluLine(1) + HalluLine(2).Replace("[\"K2\"]", "\"K2\"", StringComparison.Ordinal)), "medhallu.jsonl", 2, "Knowledge" },
        { "medhallu", "missing field", f => f.Write("medhallu.jsonl", HalluLine(1).Replace("\"Ground Truth\"", "\"Truth\"", StringComparison.Ordinal)), "medhallu.jsonl", 1, "Ground Truth" },
        { "medhallu", "a 50 MB line", f => f.Write("medhallu.jsonl", HalluLine(1) + "{\"Question\":\"" + new string('x', 50 * 1024 * 1024) + "\"}\n"), "medhallu.jsonl", 2, null },
        { "ehr_sql", "invalid JSON", f => { f.Write("eicu.sql", "CREATE TABLE patient (uniquepid VARCHAR(10));"); return f.Write("test.json", "[{\"id\": \"a\",\n \"question\": \"q\",\n \"query\": select }]"); }, "test.json", 3, null },
        { "ehr_sql", "wrong type of is_impossible", f => { f.Write("eicu.sql", "CREATE TABLE patient (uniquepid VARCHAR(10));"); return f.Write("test.json", "[\n{\"id\":\"a\",\"question\":\"q\",\"query\":\"select 1\",\"is_impossible\":false},\n{\"id\":\"b\",\"question\":\"q\",\"query\":\"nan\",\"is_impossible\":\"no\"}\n]"); }, "test.json", 3, "is_impossible" },
        { "ehr_sql", "missing schema DDL", f => { f.Write("test.json", "[]"); return f.Path; }, "eicu.sql", null, null },
        { "head_qa", "right answer not among the answers", f => f.Write("HEAD_EN.json", "{\"exams\": {\"C_2016_1_M\": {\"year\": \"2016\", \"data\": [\n{\"qid\": \"1\", \"qtext\": \"q\", \"ra\": \"9\", \"answers\": [{\"aid\": 1, \"atext\": \"a\"}, {\"aid\": 2, \"atext\": \"b\"}], \"image\": \"\"}]}}}"), "HEAD_EN.json", 2, "ra" },
        { "aci_bench", "missing reference note", f => f.Write("clef_taskC_test3_full.json", "{\"data\": [\n {\"src\": \"[doctor] hi\", \"tgt\": \"note\", \"file\": \"1\"},\n {\"src\": \"[doctor] hi\", \"file\": \"2\"}]}"), "clef_taskC_test3_full.json", 3, "tgt" },
        { "medi_qa", "malformed XML", f => f.Write("MEDIQA2019-Task3-QA-TestSet-wLabels.xml", "<?xml version=\"1.0\"?>\n<Root>\n<Question QID=\"1\">\n<QuestionText>q</QuestionText>\n</Root>\n"), "MEDIQA2019-Task3-QA-TestSet-wLabels.xml", 5, null },
        { "medi_qa", "no rank-1 answer", f => f.Write("MEDIQA2019-Task3-QA-TestSet-wLabels.xml", "<?xml version=\"1.0\"?>\n<Root>\n<Question QID=\"1\"><QuestionText>q</QuestionText><AnswerList><Answer AID=\"1_1\" ReferenceRank=\"2\"><AnswerText>a</AnswerText></Answer></AnswerList></Question>\n</Root>\n"), "MEDIQA2019-Task3-QA-TestSet-wLabels.xml", 3, "ReferenceRank" },
        { "medication_qa", "xlsx that is not a zip", f => f.Write("MedInfo2019-QA-Medications.xlsx", "this is not a workbook"), "MedInfo2019-QA-Medications.xlsx", null, null },
        { "medication_qa", "xlsx without the Answer column", f => WriteXlsx(f, "MedInfo2019-QA-Medications.xlsx", ["Question", "Focus (Drug)"], ["how?", "aspirin"]), "MedInfo2019-QA-Medications.xlsx", 1, "Answer" },
        { "race_based_med", "docx without Run entries", f => WriteDocx(f, "s.docx", "Supplement", "Nothing here"), "s.docx", null, "word/document.xml" },
        { "med_dialog", "file naming no subset", f => f.Write("dialogs_test.json", "{\"data\": []}"), "dialogs_test.json", null, null },
        { "med_qa", "bad JSON line", f => f.Write("phrases_no_exclude_test.jsonl", MedQaLine() + MedQaLine() + "{\"question\": \"Which?\", \"options\": {\"A\": \n"), "phrases_no_exclude_test.jsonl", 3, null },
        { "med_qa", "missing question", f => f.Write("phrases_no_exclude_test.jsonl", MedQaLine() + MedQaLine(question: "")), "phrases_no_exclude_test.jsonl", 2, "question" },
        { "med_qa", "answer letter not among the options", f => f.Write("phrases_no_exclude_test.jsonl", MedQaLine() + MedQaLine() + MedQaLine("E")), "phrases_no_exclude_test.jsonl", 3, "answer_idx" },
        { "med_qa", "options as a list", f => f.Write("test.jsonl", MedQaLine().Replace("{\"A\": \"x\", \"B\": \"y\", \"C\": \"z\", \"D\": \"w\"}", "[\"x\", \"y\"]", StringComparison.Ordinal)), "test.jsonl", 1, "options" },
        { "med_mcqa", "bad JSON line", f => f.Write("dev.json", McqaLine("a") + "{\"question\": \"q\", \"cop\": 1,\n"), "dev.json", 2, null },
        { "med_mcqa", "missing option", f => f.Write("dev.json", McqaLine("a") + McqaLine("b") + McqaLine("c", opc: "")), "dev.json", 3, "opc" },
        { "med_mcqa", "answer out of range", f => f.Write("dev.json", McqaLine("a") + McqaLine("b", cop: "5")), "dev.json", 2, "cop" },
        { "med_mcqa", "answer of the wrong type", f => f.Write("dev.json", McqaLine("a", cop: "[1]")), "dev.json", 1, "cop" },
        { "med_mcqa", "the unlabelled test file", f => f.Write("test.json", McqaLine("a")), "test.json", null, "cop" },
        { "pubmed_qa", "bad final_decision", f => f.Write("test_set.json", "{\"1\": {\"QUESTION\": \"q\", \"CONTEXTS\": [\"c\"], \"final_decision\": \"perhaps\"}}"), "test_set.json", null, "final_decision" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_input_is_rejected_naming_file_line_and_field(
        string benchmark, string name, Func<TempFolder, string> write, string file, long? line, string? field)
    {
        using var folder = new TempFolder();
        var path = write(folder);
        var result = DatasetImport.Read(DatasetImporters.Find(benchmark)!, path);
        Assert.Null(result.Dataset);
        Assert.False(result.Report.IsValid, name);
        var problem = result.Report.Problems[0];
        Assert.True(Path.GetFileName(problem.File) == file, $"{name}: {result.Report.Format()}");
        if (line is not null)
        {
            Assert.True(problem.Line == line, $"{name}: expected line {line}: {result.Report.Format()}");
        }

        if (field is not null)
        {
            Assert.True(problem.Field == field, $"{name}: expected field {field}: {result.Report.Format()}");
        }

        var e = Assert.Throws<DatasetFormatException>(() => DatasetImport.Import(DatasetImporters.Find(benchmark)!, path));
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        if (line is not null)
        {
            Assert.Contains($"(line {line})", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_report_lists_every_problem_not_just_the_first()
    {
        using var folder = new TempFolder();
        var path = folder.Write("test_data.csv", MedCalcHeader + MedCalcRow("1", "a") + MedCalcRow("2") + MedCalcRow("3", "b") + MedCalcRow("4", "c"));
        var result = DatasetImport.Read(DatasetImporters.Find("medcalc_bench")!, path);
        Assert.Equal([2L, 4L, 5L], result.Report.Problems.Select(p => p.Line!.Value));
        var e = Assert.Throws<DatasetFormatException>(() => DatasetImport.Import(DatasetImporters.Find("medcalc_bench")!, path));
        Assert.Equal(3, e.Problems.Count);
        Assert.Contains("(and 2 more problems)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_limit_can_be_lowered()
    {
        using var folder = new TempFolder();
        var path = folder.Write("m.jsonl", HalluLine(1) + HalluLine(2));
        var result = DatasetImport.Read(DatasetImporters.Find("medhallu")!, path, new ImportLimits { MaxLineBytes = 50 });
        Assert.Equal(1, result.Report.Problems[0].Line);
    }

    private static string WriteBytes(TempFolder folder, string name, byte[] bytes)
    {
        var path = Path.Combine(folder.Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string WriteXlsx(TempFolder folder, string name, string[] header, string[] row)
    {
        static string Cells(string[] values, int r) => string.Concat(values.Select((v, i) =>
            $"<c r=\"{(char)('A' + i)}{r}\" t=\"inlineStr\"><is><t>{v}</t></is></c>"));
        var path = Path.Combine(folder.Path, name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        Add(zip, "xl/workbook.xml", "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheets><sheet name=\"S\" sheetId=\"1\"/></sheets></workbook>");
        Add(zip, "xl/worksheets/sheet1.xml",
            $"<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData><row r=\"1\">{Cells(header, 1)}</row><row r=\"2\">{Cells(row, 2)}</row></sheetData></worksheet>");
        return path;
    }

    private static string WriteDocx(TempFolder folder, string name, params string[] paragraphs)
    {
        var path = Path.Combine(folder.Path, name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        Add(zip, "word/document.xml",
            "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>" +
            string.Concat(paragraphs.Select(p => $"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>")) + "</w:body></w:document>");
        return path;
    }

    private static void Add(ZipArchive zip, string name, string content)
    {
        using var stream = zip.CreateEntry(name).Open();
        stream.Write(Encoding.UTF8.GetBytes(content));
    }
}
