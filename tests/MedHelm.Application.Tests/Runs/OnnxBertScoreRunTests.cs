using MedHelm.Application.Errors;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Reports;
using MedHelm.Application.Runs;
using MedHelm.Application.Tests.Support;
using MedHelm.Core.Metrics;
using MedHelm.Testing.Onnx;

namespace MedHelm.Application.Tests.Runs;

/// <summary>
/// BERTScore of a run through its ONNX path: a generated ONNX encoder (real ONNX Runtime), scripted chat models. The
/// layer the BertScore settings pick is the one scored, and the manifest and the report say which path and layer.
/// </summary>
public sealed class OnnxBertScoreRunTests
{
    private const string Open = "medication_qa";

    [Fact]
    public async Task A_run_scores_with_the_configured_layer_and_records_the_path()
    {
        using var encoder = new TestOnnxEncoder(layers: 3);
        await using var harness = new RunHarness(bertScore: new BertScoreOptions { ModelType = "tiny-test-encoder", Layer = 1, LowerCase = true, MaxTokens = TinyEncoder.DefaultPositions });
        var model = harness.Model("tiny");
        var judge = harness.Model("judge", seed: 2);
        harness.Loader.With("tiny", Scripted.Chat((_, _) => "Take it with food, the patient has no fever."));
        harness.Loader.With("judge", Scripted.Chat((_, _) => "I cannot rate this."));

        await harness.RunAsync(new RunRequest([Open], null, [model], [judge], 3, "onnx-run", BertScoreModel: encoder.ModelPath, Samples: true));

        await using var database = await harness.OpenDatabaseAsync();
        var candidates = await database.GetJuryCandidatesAsync("onnx-run", Open);
        Assert.Equal(3, candidates.Count);
        var report = await new RunReportBuilder(database).BuildAsync("onnx-run");
        var stored = Assert.Single(report.SecondaryMeans, m => m.Metric == BertScoreMetric.MetricName);
        Assert.Equal(3, stored.Instances);
        Assert.Equal(Mean(encoder, candidates, layer: 1), stored.Mean, 12);
        Assert.NotEqual(Mean(encoder, candidates, layer: 3), stored.Mean, 6); // not the last layer

        var bert = report.Manifest!.BertscoreModel!;
        var encoding = bert.Encoding!;
        Assert.Equal(("onnx", 1, 3, "tiny-test-encoder", false), (encoding.Engine, encoding.Layer, encoding.Layers, encoding.ModelType, bert.Idf));
        Assert.Equal(encoder.VocabularyPath, encoding.Vocabulary);
        Assert.StartsWith("CPU", encoding.ExecutionProvider, StringComparison.Ordinal);
        Assert.Contains("ONNX layer 1 of 3", RunReportTextFormatter.Format(report), StringComparison.Ordinal);
        Assert.Contains(harness.Observer.Notices, n => n.StartsWith("bertscore (tiny-test-encoder, ONNX layer 1 of 3): 3 score(s) stored", StringComparison.Ordinal));

        // a resume with another layer would mix two definitions in one run: refused before anything is computed
        harness.BertScore.Layer = 2;
        var e = await Assert.ThrowsAsync<ConflictException>(() => harness.RunAsync(new RunRequest([], null, [], [], RunId: "onnx-run", Resume: true)));
        Assert.Contains("ONNX layer 1 of 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("ONNX layer 2 of 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_encoder_is_refused_before_the_run_naming_the_option_and_the_file()
    {
        using var encoder = new TestOnnxEncoder(new TinyEncoderGraph.Shape(HiddenStates: false));
        await using var harness = new RunHarness();
        var model = harness.Model("tiny");

        var e = await Assert.ThrowsAsync<RequestValidationException>(() =>
            harness.RunAsync(new RunRequest([Open], null, [model], ["none"], 1, "bad", BertScoreModel: encoder.ModelPath, Samples: true)));
        Assert.StartsWith($"--bertscore-model: {encoder.ModelPath}: no hidden-state outputs", e.Message, StringComparison.Ordinal);

        File.Delete(encoder.VocabularyPath);
        e = await Assert.ThrowsAsync<RequestValidationException>(() =>
            harness.RunAsync(new RunRequest([Open], null, [model], ["none"], 1, "bad", BertScoreModel: encoder.ModelPath, Samples: true)));
        Assert.Contains($"{encoder.VocabularyPath} does not exist", e.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Loader.Leases);
        await using var database = await harness.OpenDatabaseAsync();
        Assert.Empty(await database.ListRunsAsync());
    }

    [Fact]
    public void The_default_settings_pick_helms_model_and_layer_and_an_unknown_model_needs_a_layer()
    {
        var defaults = new BertScoreOptions();
        Assert.Equal(("distilbert-base-uncased", 5, true, false), (defaults.ModelType, defaults.EffectiveLayer, defaults.EffectiveLowerCase, defaults.Idf));
        Assert.True(new BertScoreOptionsValidator().Validate(null, defaults).Succeeded);
        var unknown = new BertScoreOptionsValidator().Validate(null, new BertScoreOptions { ModelType = "my-clinical-bert" });
        Assert.Contains("BertScore:Layer must be set: bert_score has no default layer for ModelType 'my-clinical-bert'", unknown.FailureMessage, StringComparison.Ordinal);
        Assert.True(new BertScoreOptionsValidator().Validate(null, new BertScoreOptions { ModelType = "my-clinical-bert", Layer = 4 }).Succeeded);
        Assert.False(new BertScoreOptionsValidator().Validate(null, new BertScoreOptions { MaxTokens = 2 }).Succeeded);
    }

    private static double Mean(TestOnnxEncoder encoder, IReadOnlyList<Evaluation.Jury.JuryCandidate> candidates, int layer)
    {
        using var embedder = OnnxEncoders.Open(new Inference.Onnx.OnnxEncoderSettings(encoder.ModelPath, encoder.VocabularyPath, layer, LowerCase: true, TinyEncoder.DefaultPositions), "test");
        return candidates.Average(c => BertScore.Compute(embedder.EmbedTokens(c.Output), embedder.EmbedTokens(c.Gold)).F1);
    }
}
