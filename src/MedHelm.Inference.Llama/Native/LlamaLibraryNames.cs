namespace MedHelm.Inference.Llama.Native;

/// <summary>Logical library names used by the bindings; <see cref="LlamaRuntime"/> maps them to full paths.</summary>
internal static class LlamaLibraryNames
{
    public const string Llama = "llama";
    public const string Ggml = "ggml";
    public const string GgmlBase = "ggml-base";

    /// <summary>File names inside a runtime folder, in load order (dependencies first).</summary>
    public static readonly (string Logical, string FileName)[] Files =
    [
        (GgmlBase, "libggml-base.so"),
        (Ggml, "libggml.v0.5.0.so"),
        (Llama, "libllama.v0.5.0.so"),
    ];
}
