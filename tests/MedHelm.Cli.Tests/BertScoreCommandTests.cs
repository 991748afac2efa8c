using System.Text.Json;
using MedHelm.Cli.Tests.Support;
using MedHelm.Testing.Onnx;

namespace MedHelm.Cli.Tests;

public sealed class BertScoreCommandTests
{
    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task Metrics_score_computes_bertscore_with_a_local_embedding_model()
    {
        using var home = new TempHome();
        var model = home.PathOf("bert.gguf");
        var made = await CliProcess.RunAsync(["models", "make-test-model", "--kind", "bert", "--out", model, "--layers", "1", "--embd", "32"], home.Folder);
        Assert.True(made.ExitCode == 0, made.ToString());
        var input = home.PathOf("predictions.jsonl");
        await File.WriteAllLinesAsync(input,
        [
            "{\"prediction\":\"the patient has a fever\",\"gold\":\"the patient has a fever\"}",
            "{\"prediction\":\"discharge with aspirin\",\"gold\":\"the patient has a fever\"}",
        ]);

        foreach (var idf in new[] { false, true })
        {
            string[] args = ["metrics", "score", "--metric", "bertscore", "--embedding-model", model, "--input", input, "--json"];
            var result = await CliProcess.RunAsync(idf ? [.. args, "--idf"] : args, home.Folder);
            Assert.True(result.ExitCode == 0, result.ToString());
            using var json = JsonDocument.Parse(result.StdOut);
            var lines = json.RootElement.GetProperty("lines").EnumerateArray().ToArray();
            Assert.Equal(1.0, lines[0].GetProperty("scores").GetProperty("bertscore_f1").GetDouble(), 3);
            Assert.True(lines[1].GetProperty("scores").GetProperty("bertscore_f1").GetDouble() < 0.999);
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task Metrics_score_computes_bertscore_with_an_onnx_encoder_at_the_configured_layer()
    {
        using var encoder = new TestOnnxEncoder(layers: 3);
        using var home = new TempHome(new { BertScore = new { ModelType = "tiny-test-encoder", Layer = 2, LowerCase = true, MaxTokens = TinyEncoder.DefaultPositions } });
        var input = home.PathOf("predictions.jsonl");
        await File.WriteAllLinesAsync(input,
        [
            "{\"prediction\":\"The patient has a fever.\",\"gold\":\"the patient has a fever.\"}",
            "{\"prediction\":\"the cat sat on the mat\",\"gold\":\"no fever, no chest pain\"}",
        ]);

        foreach (var idf in new[] { false, true })
        {
            string[] args = ["metrics", "score", "--metric", "bertscore", "--embedding-model", encoder.ModelPath, "--input", input, "--json"];
            var result = await CliProcess.RunAsync(idf ? [.. args, "--idf"] : args, home.Folder);
            Assert.True(result.ExitCode == 0, result.ToString());
            using var json = JsonDocument.Parse(result.StdOut);
            var lines = json.RootElement.GetProperty("lines").EnumerateArray().ToArray();
            Assert.Equal(1.0, lines[0].GetProperty("scores").GetProperty("bertscore_f1").GetDouble(), 6); // same tokens once lowercased
            Assert.True(lines[1].GetProperty("scores").GetProperty("bertscore_f1").GetDouble() < 0.999);
        }

        File.Delete(encoder.VocabularyPath);
        var missing = await CliProcess.RunAsync(["metrics", "score", "--metric", "bertscore", "--embedding-model", encoder.ModelPath, "--input", input], home.Folder);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"{encoder.VocabularyPath} does not exist", Assert.Single(missing.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bertscore_without_an_embedding_model_says_what_is_missing()
    {
        using var home = new TempHome();
        var input = home.PathOf("p.jsonl");
        await File.WriteAllTextAsync(input, "{\"prediction\":\"a\",\"gold\":\"b\"}\n");
        var result = await CliProcess.RunAsync(["metrics", "score", "--metric", "bertscore", "--input", input], home.Folder);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--embedding-model", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }
}
