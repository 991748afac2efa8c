using System.Text;
using MedHelm.Application.Datasets;
using MedHelm.Storage;
using Microsoft.Data.Sqlite;

namespace MedHelm.Application.Tests.Datasets;

/// <summary>
/// The dataset and definition campaign (issue 16): malformed definition files and instance files (JSONL, CSV) through
/// the import <c>datasets import --definition</c> and the service use. Each is refused with the file, the line and the
/// field named, and the results database keeps its rows and passes its integrity check.
/// </summary>
public sealed class DatasetCampaignTests : IAsyncLifetime
{
    private const string Definition = "definition.json";
    private const string Jsonl = "instances.jsonl";
    private const string Csv = "instances.csv";

    private readonly TempFolder _folder = new();
    private SqliteResultStore _store = null!;

    /// <summary>One case: the definition (null: a valid one), the instances file and its bytes (null: valid ones), and what the first problem must name.</summary>
    private sealed record Case(byte[]? DefinitionBytes, string InstancesName, byte[]? InstancesBytes, string File, long? Line, string? Field);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // Definition files: the file is refused before any instance is read.
        ["def-syntax-error"] = Def("{\n \"name\": \"t\"\n \"category\": \"CDS\"\n}", 3, null),
        ["def-truncated"] = Def(ValidDefinition[..(ValidDefinition.Length / 2)], 1 + ValidDefinition[..(ValidDefinition.Length / 2)].Count(c => c == '\n'), null),
        ["def-empty"] = Def("", null, null),
        ["def-blank"] = Def("  \n\t\n", null, null),
        ["def-array-root"] = Def("[\n{}\n]", 1, null),
        ["def-lone-surrogate-value"] = Def(ValidDefinition.Replace("\"name\": \"campaign_task\"", "\"name\": \"campaign\\ud800task\"", StringComparison.Ordinal), 2, "name"),
        ["def-lone-low-surrogate"] = Def(ValidDefinition.Replace("\"task\": \"t\"", "\"task\": \"\\udc00\"", StringComparison.Ordinal), 6, "task"),
        ["def-lone-surrogate-key"] = Def(ValidDefinition.Replace("\"task\": \"t\"", "\"\\udbff\": \"t\"", StringComparison.Ordinal), 6, null),
        ["def-invalid-utf8"] = new(Bytes(ValidDefinition[..40], [0xC3, 0x28], ValidDefinition[40..]), Jsonl, null, Definition, 3, null),
        ["def-utf16-with-bom"] = new(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(ValidDefinition)).ToArray(), Jsonl, null, Definition, 1, null),
        ["def-two-boms"] = new(Bytes("", [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF], ValidDefinition), Jsonl, null, Definition, 1, null),
        ["def-nesting-too-deep"] = Def("{\"name\": " + new string('[', 100) + new string(']', 100) + "}", 1, null),
        ["def-brace-unclosed"] = Def(Template("{note\\n{question}"), 5, "prompt_template"),
        ["def-brace-unopened"] = Def(Template("note}\\n{question}"), 5, "prompt_template"),
        ["def-brace-empty-slot"] = Def(Template("{}\\n{question}"), 5, "prompt_template"),
        ["def-unknown-placeholder"] = Def(Template("{patient_note}\\n{question}"), 5, "prompt_template"),
        ["def-answer-kind-unknown"] = Def(Answer("{\"type\": \"essay\"}"), 7, "answer.type"),
        ["def-answer-kind-number"] = Def(Answer("{\"type\": 3}"), 7, "answer.type"),
        ["def-answer-missing"] = Def(ValidDefinition.Replace(" \"answer\": {\"type\": \"letter\"},\n", "", StringComparison.Ordinal), null, "answer"),
        ["def-answer-not-object"] = Def(Answer("\"letter\""), 7, "answer"),
        ["def-tolerance-on-letter"] = Def(Answer("{\"type\": \"letter\", \"tolerance\": 0.5}"), 7, "answer.tolerance"),
        ["def-tolerance-negative"] = Def(Answer("{\"type\": \"number\", \"tolerance\": -1}"), 7, "answer.tolerance"),
        ["def-one-label"] = Def(Answer("{\"type\": \"label\", \"labels\": [\"only\"]}"), 7, "answer.labels"),
        ["def-max-tokens-negative"] = Def(MaxTokens("-1"), 9, "max_tokens"),
        ["def-max-tokens-overflow"] = Def(MaxTokens("99999999999999999999"), 9, "max_tokens"),
        ["def-max-tokens-fraction"] = Def(MaxTokens("1.5"), 9, "max_tokens"),
        ["def-max-tokens-text"] = Def(MaxTokens("\"5\""), 9, "max_tokens"),
        ["def-max-tokens-huge-exponent"] = Def(MaxTokens("1e400"), 9, "max_tokens"),
        ["def-unknown-category"] = Def(ValidDefinition.Replace("\"CDS\"", "\"Cardiology\"", StringComparison.Ordinal), 3, "category"),
        ["def-wrong-subcategory"] = Def(ValidDefinition.Replace("Predicting Patient Risks and Outcomes", "Billing", StringComparison.Ordinal), 4, "subcategory"),
        ["def-bad-name"] = Def(ValidDefinition.Replace("campaign_task", "my task!", StringComparison.Ordinal), 2, "name"),
        ["def-name-missing"] = Def(ValidDefinition.Replace("\"name\": \"campaign_task\",", "", StringComparison.Ordinal), null, "name"),
        ["def-unknown-key"] = Def(ValidDefinition.Replace("\"prompt_template\"", "\"promt_template\"", StringComparison.Ordinal), 5, "promt_template"),
        ["def-duplicate-field-key"] = Def(ValidDefinition.Replace("[{\"key\": \"note\", \"label\": \"Note\"}]", "[{\"key\": \"note\", \"label\": \"Note\"},\n {\"key\": \"note\", \"label\": \"Again\"}]", StringComparison.Ordinal), 11, "fields[1].key"),
        ["def-fields-not-array"] = Def(ValidDefinition.Replace("[{\"key\": \"note\", \"label\": \"Note\"}]", "\"note\"", StringComparison.Ordinal), 10, "fields"),
        ["def-bad-access"] = Def(ValidDefinition.Replace("\"private\"", "\"secret\"", StringComparison.Ordinal), 8, "access"),

        // JSON Lines instances: the definition is valid, the data file is not.
        ["jsonl-truncated-last-line"] = Lines(Line(1), Line(2), "{\"id\": \"i3\", \"fields\": {\"note\": \"n\""),
        ["jsonl-array-line"] = Lines(Line(1), "[1, 2]") with { Line = 2 },
        ["jsonl-lone-high-surrogate"] = Lines(Line(1), Line(2, note: "pain \\ud800 in chest")) with { Field = "note" },
        ["jsonl-lone-low-surrogate"] = Lines(Line(1), Line(2, question: "which \\udc00?")) with { Field = "question" },
        ["jsonl-reversed-pair"] = Lines(Line(1), Line(2, question: "\\udc00\\ud800")) with { Field = "question" },
        ["jsonl-surrogate-at-end"] = Lines(Line(1), Line(2, answer: "A\\ud83d")) with { Field = "answer" },
        ["jsonl-surrogate-in-option"] = Lines(Line(1), Line(2).Replace("\"no\"", "\"n\\uDBFFo\"", StringComparison.Ordinal)) with { Field = "options" },
        ["jsonl-surrogate-in-key"] = Lines(Line(1), Line(2).Replace("\"metadata\"", "\"\\ud800\"", StringComparison.Ordinal)) with { Line = 2 },
        ["jsonl-invalid-utf8"] = new(null, Jsonl, Bytes(Line(1) + "\n{\"id\": \"i2\", \"question\": \"caf", [0xC3, 0x28], "\"}\n"), Jsonl, 2, null),
        ["jsonl-overlong-utf8"] = new(null, Jsonl, Bytes(Line(1) + "\n" + Line(2) + "\n{\"id\": \"", [0xC0, 0xAF], "\"}\n"), Jsonl, 3, null),
        ["jsonl-encoded-surrogate"] = new(null, Jsonl, Bytes(Line(1) + "\n{\"id\": \"", [0xED, 0xA0, 0x80], "\"}\n"), Jsonl, 2, null),
        ["jsonl-truncated-utf8-sequence"] = new(null, Jsonl, Bytes(Line(1) + "\n{\"id\": \"x", [0xE2, 0x82], ""), Jsonl, 2, null),
        ["jsonl-utf16le"] = new(null, Jsonl, Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Line(1) + "\n")).ToArray(), Jsonl, 1, null),
        ["jsonl-bom-on-second-line"] = new(null, Jsonl, Bytes(Line(1) + "\n", [0xEF, 0xBB, 0xBF], Line(2) + "\n"), Jsonl, 2, null),
        ["jsonl-nul-in-line"] = Lines(Line(1), Line(2, question: "a\u0000b")) with { Line = 2 },
        ["jsonl-empty"] = new(null, Jsonl, [], Jsonl, null, null),
        ["jsonl-blank-lines"] = new(null, Jsonl, Bytes("\n\n   \n"), Jsonl, null, null),
        ["jsonl-huge-line"] = new(null, Jsonl, Bytes(Line(1) + "\n{\"id\": \"i2\", \"question\": \"" + new string('x', 16 * 1024 * 1024) + "\"}\n"), Jsonl, 2, null),
        ["jsonl-duplicate-ids"] = Lines(Line(1), Line(2), Line(1)) with { Line = 3, Field = "id" },
        ["jsonl-missing-id"] = Lines(Line(1), Line(2).Replace("\"id\": \"i2\", ", "", StringComparison.Ordinal)) with { Line = 2, Field = "id" },
        ["jsonl-id-object"] = Lines(Line(1), Line(2).Replace("\"id\": \"i2\"", "\"id\": {\"n\": 2}", StringComparison.Ordinal)) with { Line = 2, Field = "id" },
        ["jsonl-answer-not-an-option"] = Lines(Line(1), Line(2, answer: "E")) with { Line = 2, Field = "answer" },
        ["jsonl-answer-missing"] = Lines(Line(1), Line(2).Replace(", \"answer\": \"A\"", "", StringComparison.Ordinal)) with { Line = 2, Field = "answer" },
        ["jsonl-fields-array"] = Lines(Line(1), Line(2).Replace("{\"note\": \"n2\"}", "[\"n2\"]", StringComparison.Ordinal)) with { Line = 2, Field = "fields" },
        ["jsonl-field-number-object"] = Lines(Line(1), Line(2).Replace("{\"note\": \"n2\"}", "{\"note\": {\"text\": \"n2\"}}", StringComparison.Ordinal)) with { Line = 2, Field = "fields.note" },
        ["jsonl-options-string"] = Lines(Line(1), Line(2).Replace("[\"yes\", \"no\"]", "\"yes/no\"", StringComparison.Ordinal)) with { Line = 2, Field = "options" },
        ["jsonl-option-empty"] = Lines(Line(1), Line(2).Replace("\"no\"", "\" \"", StringComparison.Ordinal)) with { Line = 2, Field = "options[1]" },
        ["jsonl-medmcqa-keys"] = Lines(Line(1), Line(2).Replace("\"options\"", "\"opa\"", StringComparison.Ordinal)) with { Line = 2, Field = "opa" },
        ["jsonl-metadata-list"] = Lines(Line(1), Line(2).Replace("{\"synthetic\": \"true\"}", "[\"synthetic\"]", StringComparison.Ordinal)) with { Line = 2, Field = "metadata" },

        // CSV instances.
        ["csv-invalid-utf8"] = new(null, Csv, Bytes(CsvHeader + CsvRow(1) + "i2,caf", [0xE9], ",q,yes,no,A\n"), Csv, 3, null),
        ["csv-encoded-surrogate"] = new(null, Csv, Bytes(CsvHeader + "i1,", [0xED, 0xB0, 0x80], ",q,yes,no,A\n"), Csv, 2, null),
        ["csv-latin1-header"] = new(null, Csv, Bytes("id,n", [0xF6], "te,question,option_A,option_B,answer\n" + CsvRow(1)), Csv, 1, null),
        ["csv-utf16"] = new(null, Csv, Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(CsvHeader + CsvRow(1))).ToArray(), Csv, 1, null),
        ["csv-missing-id-column"] = CsvCase("note,question,option_A,option_B,answer\nn,q,yes,no,A\n", 1, "id"),
        ["csv-missing-field-column"] = CsvCase("id,question,option_A,option_B,answer\ni1,q,yes,no,A\n", 1, "note"),
        ["csv-missing-answer-column"] = CsvCase("id,note,question,option_A,option_B\ni1,n,q,yes,no\n", 1, "answer"),
        ["csv-one-option-column"] = CsvCase("id,note,question,option_A,answer\ni1,n,q,yes,A\n", 1, "option_A"),
        ["csv-unterminated-quote"] = CsvCase(CsvHeader + CsvRow(1) + "i2,\"a note that never ends,q,yes,no,A\n", 3, "column 2"),
        ["csv-row-too-short"] = CsvCase(CsvHeader + CsvRow(1) + "i2,n\n", 3, null),
        ["csv-duplicate-ids"] = CsvCase(CsvHeader + CsvRow(1) + CsvRow(1), 3, "id"),
        ["csv-answer-out-of-range"] = CsvCase(CsvHeader + CsvRow(1) + "i2,n,q,yes,no,C\n", 3, "answer"),
        ["csv-empty"] = CsvCase("", null, null),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    public async Task InitializeAsync()
    {
        // a database with one import already in it: the campaign must leave it as it was
        _store = await SqliteResultStore.OpenAsync(_folder.PathOf("data", "results.sqlite"));
        var valid = await Import(null, Jsonl, null);
        Assert.True(valid.Outcome is not null, valid.Check.Report.Format());
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    [Fact]
    public void The_campaign_holds_at_least_60_files() => Assert.True(Cases.Count >= 60, $"{Cases.Count} cases");

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Refused_naming_the_file_line_and_field_and_nothing_is_stored(string name)
    {
        var c = Cases[name];
        var datasets = (await _store.ListDatasetsAsync()).Count;

        var result = await Import(c.DefinitionBytes, c.InstancesName, c.InstancesBytes);

        Assert.Null(result.Outcome);
        Assert.Null(result.Check.Dataset);
        Assert.NotEmpty(result.Check.Report.Problems);
        var problem = result.Check.Report.Problems[0];
        var text = problem.ToString();
        Assert.True(Path.GetFileName(problem.File) == c.File, $"{name}: expected {c.File}: {result.Check.Report.Format()}");
        Assert.Contains(c.File, text, StringComparison.Ordinal);
        Assert.True(problem.Line == c.Line, $"{name}: expected line {c.Line}: {text}");
        Assert.True(problem.Field == c.Field, $"{name}: expected field {c.Field ?? "(none)"}: {text}");
        if (c.Line is { } line)
        {
            Assert.Contains($"(line {line})", text, StringComparison.Ordinal);
        }

        if (c.Field is { } field)
        {
            Assert.Contains($"field '{field}'", text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("unexpected", text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(datasets, (await _store.ListDatasetsAsync()).Count);
        Assert.Equal("ok", await IntegrityAsync());
    }

    private async Task<DatasetImportResult> Import(byte[]? definition, string instancesName, byte[]? instances)
    {
        var folder = Directory.CreateDirectory(_folder.PathOf("case-" + Guid.NewGuid().ToString("N"))).FullName;
        var definitionPath = Path.Combine(folder, Definition);
        var instancesPath = Path.Combine(folder, instancesName);
        await File.WriteAllBytesAsync(definitionPath, definition ?? Encoding.UTF8.GetBytes(ValidDefinition));
        await File.WriteAllBytesAsync(instancesPath, instances ?? Encoding.UTF8.GetBytes(Line(1) + "\n" + Line(2) + "\n"));
        return await new DatasetImportService(_store).ImportAsync(new DatasetSource(null, instancesPath, definitionPath), CancellationToken.None);
    }

    private async Task<string> IntegrityAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={_folder.PathOf("data", "results.sqlite")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private const string ValidDefinition = """
        {
         "name": "campaign_task",
         "category": "CDS",
         "subcategory": "Predicting Patient Risks and Outcomes",
         "prompt_template": "{note}\n{question}\n{options}",
         "task": "t",
         "answer": {"type": "letter"},
         "access": "private",
         "max_tokens": 1,
         "fields": [{"key": "note", "label": "Note"}],
         "metric": "exact_match"
        }
        """;

    private const string CsvHeader = "id,note,question,option_A,option_B,answer\n";

    private static string CsvRow(int i) => $"i{i},n{i},q{i},yes,no,A\n";

    private static string Line(int i, string? note = null, string? question = null, string answer = "A") =>
        $"{{\"id\": \"i{i}\", \"fields\": {{\"note\": \"{note ?? "n" + i}\"}}, \"question\": \"{question ?? "q" + i}\", \"options\": [\"yes\", \"no\"], \"answer\": \"{answer}\", \"metadata\": {{\"synthetic\": \"true\"}}}}";

    private static string Template(string template) => ValidDefinition.Replace("{note}\\n{question}\\n{options}", template, StringComparison.Ordinal);

    private static string Answer(string answer) => ValidDefinition.Replace("{\"type\": \"letter\"}", answer, StringComparison.Ordinal);

    private static string MaxTokens(string value) => ValidDefinition.Replace("\"max_tokens\": 1", "\"max_tokens\": " + value, StringComparison.Ordinal);

    private static Case Def(string json, long? line, string? field) => new(Encoding.UTF8.GetBytes(json), Jsonl, null, Definition, line, field);

    /// <summary>A JSONL file of these lines, refused on its last line by default.</summary>
    private static Case Lines(params string[] lines) => new(null, Jsonl, Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"), Jsonl, lines.Length, null);

    private static Case CsvCase(string text, long? line, string? field) => new(null, Csv, Encoding.UTF8.GetBytes(text), Csv, line, field);

    private static byte[] Bytes(string before, byte[]? raw = null, string after = "") =>
        [.. Encoding.UTF8.GetBytes(before), .. raw ?? [], .. Encoding.UTF8.GetBytes(after)];
}
