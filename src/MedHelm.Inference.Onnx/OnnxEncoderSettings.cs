namespace MedHelm.Inference.Onnx;

/// <summary>Where ONNX Runtime runs the encoder.</summary>
public enum OnnxExecutionProvider
{
    /// <summary>CUDA when its provider loads (an NVIDIA GPU with the CUDA 12 runtime and cuDNN 9), CPU otherwise.</summary>
    Auto,

    /// <summary>The CPU provider.</summary>
    Cpu,

    /// <summary>The CUDA provider; an error when it does not load.</summary>
    Cuda,
}

/// <summary>An ONNX export of a BERT-family encoder that outputs its hidden states, and how BERTScore reads it.</summary>
/// <param name="ModelPath">The .onnx file.</param>
/// <param name="VocabularyPath">The WordPiece vocab.txt (one token a line, the line number is the id).</param>
/// <param name="Layer">The hidden state scored: 0 is the embedding output, N the output of the N-th layer.</param>
/// <param name="LowerCase">True for an uncased model: the tokenizer lowercases and strips accents.</param>
/// <param name="MaxTokens">Tokens per text, [CLS] and [SEP] included; longer texts are cut (bert_score truncates at 512).</param>
/// <param name="Provider">The execution provider.</param>
/// <param name="Name">The name recorded with scores (e.g. distilbert-base-uncased).</param>
public sealed record OnnxEncoderSettings(
    string ModelPath, string VocabularyPath, int Layer, bool LowerCase, int MaxTokens = 512,
    OnnxExecutionProvider Provider = OnnxExecutionProvider.Auto, string? Name = null)
{
    /// <summary>vocab.txt beside <paramref name="modelPath"/>.</summary>
    public static string DefaultVocabulary(string modelPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".", "vocab.txt");
}
