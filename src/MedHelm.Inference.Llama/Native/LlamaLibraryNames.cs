namespace MedHelm.Inference.Llama.Native;

/// <summary>Logical library names used by the bindings; <see cref="Runtime.LlamaRuntime"/> maps them to full paths.</summary>
internal static class LlamaLibraryNames
{
    public const string Llama = "llama";
    public const string Ggml = "ggml";
    public const string GgmlBase = "ggml-base";

    /// <summary>
    /// File names inside a runtime folder, in load order (dependencies first). The first candidate is the name in
    /// the npm prebuilt packages; the second the name of a cmake build of the same source (gpu-kernels/README.md).
    /// </summary>
    public static readonly (string Logical, string[] Candidates)[] Files =
    [
        (GgmlBase, ["libggml-base.so"]),
        (Ggml, ["libggml.v0.5.0.so", "libggml.so"]),
        (Llama, ["libllama.v0.5.0.so", "libllama.so"]),
    ];
}
