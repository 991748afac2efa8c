using System.Text.Json.Nodes;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Tests.Support;

namespace MedHelm.Evaluation.Tests.Datasets;

/// <summary>Every malformed input names the file, the record key and the field.</summary>
public class PubMedQaMalformedTests
{
    private const string Key = "26163474";

    private static DatasetFormatException ImportMutated(Action<JsonObject> mutateRecord, bool withGroundTruth = false)
    {
        var root = JsonNode.Parse(TestData.TestSetJson)!.AsObject();
        mutateRecord(root[Key]!.AsObject());
        using var folder = new TempFolder();
        folder.Write("test_set.json", root.ToJsonString());
        if (withGroundTruth)
        {
            folder.Write("test_ground_truth.json", TestData.GroundTruthJson);
        }

        return Assert.Throws<DatasetFormatException>(() => PubMedQaImporter.Import(folder.Path));
    }

    private static void AssertNames(DatasetFormatException ex, string file, string? key, string? field)
    {
        Assert.EndsWith(file, ex.File, StringComparison.Ordinal);
        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
        Assert.Equal(key, ex.RecordKey);
        Assert.Equal(field, ex.Field);
        if (key is not null)
        {
            Assert.Contains($"'{key}'", ex.Message, StringComparison.Ordinal);
        }

        if (field is not null)
        {
            Assert.Contains($"'{field}'", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Missing_question()
    {
        var ex = ImportMutated(r => r.Remove("QUESTION"));
        AssertNames(ex, "test_set.json", Key, "QUESTION");
        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Question_not_a_string() =>
        AssertNames(ImportMutated(r => r["QUESTION"] = 42), "test_set.json", Key, "QUESTION");

    [Fact]
    public void Empty_question() =>
        AssertNames(ImportMutated(r => r["QUESTION"] = "  "), "test_set.json", Key, "QUESTION");

    [Fact]
    public void Contexts_not_an_array()
    {
        var ex = ImportMutated(r => r["CONTEXTS"] = "just a string");
        AssertNames(ex, "test_set.json", Key, "CONTEXTS");
        Assert.Contains("array", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Contexts_missing() =>
        AssertNames(ImportMutated(r => r.Remove("CONTEXTS")), "test_set.json", Key, "CONTEXTS");

    [Fact]
    public void Contexts_empty() =>
        AssertNames(ImportMutated(r => r["CONTEXTS"] = new JsonArray()), "test_set.json", Key, "CONTEXTS");

    [Fact]
    public void Context_item_not_a_string()
    {
        var ex = ImportMutated(r => r["CONTEXTS"] = new JsonArray("ok", 3));
        AssertNames(ex, "test_set.json", Key, "CONTEXTS");
        Assert.Contains("item 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Labels_not_an_array() =>
        AssertNames(ImportMutated(r => r["LABELS"] = 1), "test_set.json", Key, "LABELS");

    [Fact]
    public void Final_decision_not_yes_no_maybe()
    {
        var ex = ImportMutated(r => r["final_decision"] = "perhaps");
        AssertNames(ex, "test_set.json", Key, "final_decision");
        Assert.Contains("'perhaps'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Final_decision_missing() =>
        AssertNames(ImportMutated(r => r.Remove("final_decision")), "test_set.json", Key, "final_decision");

    [Fact]
    public void Ground_truth_disagreeing_with_final_decision()
    {
        var ex = ImportMutated(r => r["final_decision"] = "no", withGroundTruth: true);
        AssertNames(ex, "test_ground_truth.json", Key, "final_decision");
        Assert.Contains("disagrees", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ground_truth_with_invalid_label()
    {
        using var folder = new TempFolder();
        folder.Write("test_set.json", TestData.TestSetJson);
        folder.Write("test_ground_truth.json", TestData.GroundTruthJson.Replace("\"no\"", "\"nope\"", StringComparison.Ordinal));
        var ex = Assert.Throws<DatasetFormatException>(() => PubMedQaImporter.Import(folder.Path));
        AssertNames(ex, "test_ground_truth.json", "24577079", null);
    }

    [Fact]
    public void Ground_truth_key_without_record()
    {
        using var folder = new TempFolder();
        folder.Write("test_set.json", TestData.TestSetJson);
        folder.Write("test_ground_truth.json", TestData.GroundTruthJson.Replace("{", "{\n    \"999\": \"yes\",", StringComparison.Ordinal));
        var ex = Assert.Throws<DatasetFormatException>(() => PubMedQaImporter.Import(folder.Path));
        AssertNames(ex, "test_ground_truth.json", "999", null);
    }

    [Fact]
    public void Record_without_ground_truth()
    {
        using var folder = new TempFolder();
        folder.Write("test_set.json", TestData.TestSetJson);
        folder.Write("test_ground_truth.json", "{\"12377809\": \"yes\"}");
        var ex = Assert.Throws<DatasetFormatException>(() => PubMedQaImporter.Import(folder.Path));
        AssertNames(ex, "test_ground_truth.json", Key, null);
    }

    [Fact]
    public void Invalid_json_reports_the_line()
    {
        using var folder = new TempFolder();
        folder.Write("test_set.json", "{\n  \"1\": {\n    \"QUESTION\": \"q\",\n    \"CONTEXTS\": [\"c\",]\n  }\n}");
        var ex = Assert.Throws<DatasetFormatException>(() => PubMedQaImporter.Import(folder.Path));
        AssertNames(ex, "test_set.json", null, null);
        Assert.Equal(4, ex.LineNumber);
        Assert.Contains("(line 4)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("invalid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_file()
    {
        using var folder = new TempFolder();
        folder.Write("test_set.json", TestData.TestSetJson[..(TestData.TestSetJson.Length / 2)]);
        var ex = Assert.Throws<DatasetFormatException>(() => PubMedQaImporter.Import(folder.Path));
        Assert.NotNull(ex.LineNumber);
        Assert.Contains("invalid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\t ")]
    [InlineData("\uFEFF")]
    public void Empty_file(string content)
    {
        using var folder = new TempFolder();
        folder.Write("test_set.json", content);
        var ex = Assert.Throws<DatasetFormatException>(() => PubMedQaImporter.Import(folder.Path));
        AssertNames(ex, "test_set.json", null, null);
        Assert.Contains("empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_object_has_no_records()
    {
        using var folder = new TempFolder();
        folder.Write("test_set.json", "{}");
        var ex = Assert.Throws<DatasetFormatException>(() => PubMedQaImporter.Import(folder.Path));
        Assert.Contains("no records", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Root_not_an_object()
    {
        using var folder = new TempFolder();
        folder.Write("test_set.json", "[1, 2]");
        var ex = Assert.Throws<DatasetFormatException>(() => PubMedQaImporter.Import(folder.Path));
        Assert.Contains("found an array", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Record_not_an_object()
    {
        using var folder = new TempFolder();
        folder.Write("test_set.json", "{\"777\": \"text\"}");
        var ex = Assert.Throws<DatasetFormatException>(() => PubMedQaImporter.Import(folder.Path));
        AssertNames(ex, "test_set.json", "777", null);
    }

    [Fact]
    public void Duplicate_key()
    {
        using var folder = new TempFolder();
        const string record = "{\"QUESTION\": \"q?\", \"CONTEXTS\": [\"c\"], \"final_decision\": \"yes\"}";
        folder.Write("test_set.json", $"{{\"5\": {record}, \"5\": {record}}}");
        var ex = Assert.Throws<DatasetFormatException>(() => PubMedQaImporter.Import(folder.Path));
        AssertNames(ex, "test_set.json", "5", null);
        Assert.Contains("more than once", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_folder()
    {
        var path = Path.Combine(Path.GetTempPath(), "medhelm-missing-" + Guid.NewGuid().ToString("N"));
        var ex = Assert.Throws<DatasetFormatException>(() => PubMedQaImporter.Import(path));
        Assert.Equal(path, ex.File);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Folder_without_dataset_files()
    {
        using var folder = new TempFolder();
        folder.Write("readme.txt", "nothing here");
        var ex = Assert.Throws<DatasetFormatException>(() => PubMedQaImporter.Import(folder.Path));
        Assert.Contains("test_set.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ori_pqal.json", ex.Message, StringComparison.Ordinal);
    }
}
