using MedHelm.Application.Errors;
using MedHelm.Application.Hosting;
using MedHelm.Application.Options;
using MedHelm.Inference.Onnx;

namespace MedHelm.Application.Models;

/// <summary>
/// BERTScore's ONNX path: a model file ending in .onnx is an encoder export read with the <c>BertScore</c> settings
/// (layer, casing, vocabulary, execution provider); any other file is a GGUF encoder scored with its final layer.
/// </summary>
public static class OnnxEncoders
{
    /// <summary>True for an ONNX encoder file.</summary>
    public static bool IsOnnx(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    /// <summary>The embedder settings of <paramref name="modelPath"/> under <paramref name="options"/>.</summary>
    public static OnnxEncoderSettings Settings(string modelPath, BertScoreOptions options, MedHelmPaths paths)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(paths);
        var vocabulary = string.IsNullOrWhiteSpace(options.Vocabulary) ? OnnxEncoderSettings.DefaultVocabulary(modelPath) : paths.Resolve(options.Vocabulary);
        var layer = options.EffectiveLayer ?? throw new RequestValidationException($"BertScore:Layer must be set for ModelType '{options.ModelType}'.");
        return new OnnxEncoderSettings(modelPath, vocabulary, layer, options.EffectiveLowerCase, options.MaxTokens, options.ExecutionProvider, options.ModelType);
    }

    /// <summary>Opens the encoder; a file or setting that is wrong is a <see cref="RequestValidationException"/> starting with <paramref name="label"/>.</summary>
    public static OnnxTokenEmbedder Open(OnnxEncoderSettings settings, string label)
    {
        try
        {
            return new OnnxTokenEmbedder(settings);
        }
        catch (OnnxEncoderException e)
        {
            throw new RequestValidationException($"{label}: {e.Message}", e);
        }
    }
}
