using System.Text;

namespace MedHelm.Gguf.TestModels;

/// <summary>The real chat templates embedded in this assembly (see Templates/README.md for their origin).</summary>
public static class TestModelTemplates
{
    private static readonly Lazy<string> LlamaTemplate = new(() => Load("llama3.jinja"));
    private static readonly Lazy<string> DeepSeekTemplate = new(() => Load("deepseek-r1-distill.jinja"));

    /// <summary>meta-llama/Llama-3.3-70B-Instruct's template (detected by llama.cpp as "llama3").</summary>
    public static string Llama3 => LlamaTemplate.Value;

    /// <summary>deepseek-ai/DeepSeek-R1-Distill-Llama-8B's template (detected by llama.cpp as "deepseek3").</summary>
    public static string DeepSeekR1Distill => DeepSeekTemplate.Value;

    /// <summary>The template a kind's model carries, or null for Bert.</summary>
    public static string? For(TestModelKind kind) => kind switch
    {
        TestModelKind.Llama => Llama3,
        TestModelKind.DeepSeekR1 => DeepSeekR1Distill,
        _ => null,
    };

    private static string Load(string fileName)
    {
        var name = "MedHelm.Gguf.Templates." + fileName;
        using var stream = typeof(TestModelTemplates).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource '{name}' is missing from {typeof(TestModelTemplates).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: false);
        return reader.ReadToEnd();
    }
}
