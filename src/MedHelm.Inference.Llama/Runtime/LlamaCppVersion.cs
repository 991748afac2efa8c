
namespace MedHelm.Inference.Llama.Runtime;

/// <summary>The pinned llama.cpp version, read from gpu-kernels/LLAMA_CPP_VERSION (embedded at build time).</summary>
public static class LlamaCppVersion
{
    private static readonly Lazy<string> s_value = new(() =>
    {
        using var stream = typeof(LlamaCppVersion).Assembly.GetManifestResourceStream("LLAMA_CPP_VERSION")
            ?? throw new InvalidOperationException("The LLAMA_CPP_VERSION resource is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Trim();
    });

    /// <summary>For example <c>v0.5.0 de3ff815…</c>: the node-llama-cpp release tag and the llama.cpp commit.</summary>
    public static string Value => s_value.Value;
}
