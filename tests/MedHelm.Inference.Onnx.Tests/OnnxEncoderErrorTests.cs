using MedHelm.Inference.Onnx.Tests.Support;
using MedHelm.Testing.Onnx;

namespace MedHelm.Inference.Onnx.Tests;

public sealed class OnnxEncoderErrorTests
{
    [Fact]
    public void A_missing_model_file_is_named()
    {
        using var files = new TestOnnxEncoder();
        var missing = Path.Combine(files.Folder, "absent.onnx");
        var e = Assert.Throws<OnnxEncoderException>(() => new OnnxTokenEmbedder(files.Settings(1) with { ModelPath = missing }));
        Assert.Equal($"the ONNX encoder: {missing} does not exist.", e.Message);
    }

    [Fact]
    public void A_folder_is_not_a_model()
    {
        using var files = new TestOnnxEncoder();
        var e = Assert.Throws<OnnxEncoderException>(() => new OnnxTokenEmbedder(files.Settings(1) with { ModelPath = files.Folder }));
        Assert.Contains($"{files.Folder} is a folder, not a file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_onnx_is_refused_with_its_name()
    {
        using var files = new TestOnnxEncoder();
        var notOnnx = Path.Combine(files.Folder, "notes.onnx");
        File.WriteAllText(notOnnx, "this is a text file, not a protobuf model\n");
        var e = Assert.Throws<OnnxEncoderException>(() => new OnnxTokenEmbedder(files.Settings(1) with { ModelPath = notOnnx }));
        Assert.StartsWith($"{notOnnx} is not a usable ONNX model: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_export_without_hidden_states_is_refused_naming_its_outputs()
    {
        using var files = new TestOnnxEncoder(new TinyEncoderGraph.Shape(HiddenStates: false));
        var e = Assert.Throws<OnnxEncoderException>(() => new OnnxTokenEmbedder(files.Settings(1)));
        Assert.StartsWith($"{files.ModelPath}: no hidden-state outputs (outputs: 'last_hidden_state')", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hidden_states_named_with_underscores_are_found()
    {
        using var files = new TestOnnxEncoder(new TinyEncoderGraph.Shape(OutputName: "hidden_states_{0}"));
        using var embedder = new OnnxTokenEmbedder(files.Settings(2));
        Assert.Equal(2, embedder.Layers);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    public void A_layer_out_of_range_names_the_setting_and_the_range(int layer)
    {
        using var files = new TestOnnxEncoder();
        var e = Assert.Throws<OnnxEncoderException>(() => new OnnxTokenEmbedder(files.Settings(layer)));
        Assert.Equal($"BertScore:Layer is {layer}, but {files.ModelPath} has hidden states 0 … 2 (0 the embeddings, 2 the last layer).", e.Message);
    }

    [Fact]
    public void A_missing_vocabulary_is_named()
    {
        using var files = new TestOnnxEncoder();
        File.Delete(files.VocabularyPath);
        var e = Assert.Throws<OnnxEncoderException>(() => new OnnxTokenEmbedder(files.Settings(1)));
        Assert.Contains($"the vocabulary of {files.ModelPath}", e.Message, StringComparison.Ordinal);
        Assert.EndsWith($"{files.VocabularyPath} does not exist.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gaps_in_the_hidden_states_are_refused()
    {
        var e = Assert.Throws<OnnxEncoderException>(() => HiddenStateOutputs.Find(["hidden_states.0", "hidden_states.2", "logits"], "m.onnx"));
        Assert.StartsWith("m.onnx: hidden state 1 is missing", e.Message, StringComparison.Ordinal);
        Assert.Equal(["hidden_states.0", "hidden_states.1"], HiddenStateOutputs.Find(["hidden_states.1", "last_hidden_state", "hidden_states.0"], "m.onnx"));
    }

    [Fact]
    public void A_text_longer_than_the_models_positions_names_max_tokens()
    {
        using var files = new TestOnnxEncoder();
        using var embedder = new OnnxTokenEmbedder(files.Settings(1));
        var e = Assert.Throws<OnnxEncoderException>(() => embedder.EmbedTokens(string.Join(' ', Enumerable.Repeat("cat", TinyEncoder.DefaultPositions))));
        Assert.StartsWith($"tiny-test-encoder: the encoder failed on a text of {TinyEncoder.DefaultPositions + 2} tokens (", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("is BertScore:MaxTokens (512) more than the model's positions?", e.Message, StringComparison.Ordinal);
    }
}
