using MedHelm.Application.Errors;
using MedHelm.Evaluation.Files;
using MedHelm.Gguf;

namespace MedHelm.Application.Models;

/// <summary>
/// BERTScore's model must be a BERT-family encoder (llama.cpp encodes such a text whole); a chat model would load and
/// then give meaningless token embeddings, so it is refused from its GGUF header before anything is loaded or scored.
/// </summary>
public static class EmbeddingModels
{
    /// <summary>Architectures whose GGUF models encode text whole (llama.cpp's encoders), as BERTScore needs.</summary>
    public static IReadOnlyList<string> Architectures { get; } = ["bert", "nomic-bert"];

    /// <summary>True for an encoder architecture.</summary>
    public static bool IsEncoder(string? architecture) => architecture is not null && Architectures.Contains(architecture, StringComparer.Ordinal);

    /// <summary>The refusal of a model that is not an encoder, naming <paramref name="label"/> (an option or setting), the file and its architecture.</summary>
    public static string NotAnEncoder(string label, string path, string? architecture) =>
        $"{label}: {path} is a '{architecture ?? "unknown"}' model, not a BERT-family embedding model ({string.Join(", ", Architectures)}); " +
        "BERTScore needs an encoder such as a BGE or MiniLM GGUF.";

    /// <summary>Reads only the GGUF header of <paramref name="path"/> (no hash, nothing loaded) and refuses anything but an encoder.</summary>
    /// <exception cref="RequestValidationException">Not a regular file, not a readable GGUF file, or not an encoder; the message starts with <paramref name="label"/>.</exception>
    public static void EnsureEncoder(string path, string label)
    {
        if (RegularFiles.KindOf(path) is { } kind)
        {
            throw new RequestValidationException($"{label}: {path} is {kind}, not a regular file; a model must be a GGUF file.");
        }

        string? architecture;
        try
        {
            architecture = GgufReader.Read(path).Architecture;
        }
        catch (GgufFormatException e)
        {
            throw new RequestValidationException($"{label}: {path} is not a usable GGUF model: {e.Message}", e);
        }

        if (!IsEncoder(architecture))
        {
            throw new RequestValidationException(NotAnEncoder(label, path, architecture));
        }
    }
}
