using MedHelm.Testing.Onnx;

namespace MedHelm.Inference.Onnx.Tests.Support;

/// <summary>The embedder settings of a generated encoder.</summary>
internal static class TestEncoderFiles
{
    public static OnnxEncoderSettings Settings(this TestOnnxEncoder files, int layer, int maxTokens = 512) =>
        new(files.ModelPath, files.VocabularyPath, layer, LowerCase: true, maxTokens, OnnxExecutionProvider.Auto, "tiny-test-encoder");
}
