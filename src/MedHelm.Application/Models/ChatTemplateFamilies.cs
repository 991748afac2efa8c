namespace MedHelm.Application.Models;

/// <summary>
/// Names the family of a GGUF chat template from the markers its text uses (the way llama.cpp tells its built-in
/// formats apart), for the model registry; the template itself is recorded by its SHA-256.
/// </summary>
public static class ChatTemplateFamilies
{
    /// <summary>A model without <c>tokenizer.chat_template</c> (an encoder).</summary>
    public const string None = "none";

    /// <summary>A template whose markers match no family below.</summary>
    public const string Unknown = "unknown";

    // Most specific first: DeepSeek-R1 distills of Llama keep Llama's header markers in some conversions.
    private static readonly (string Family, string[] Markers)[] Families =
    [
        ("deepseek-r1", ["<｜Assistant｜>", "<｜User｜>"]),
        ("llama3", ["<|start_header_id|>", "<|end_header_id|>"]),
        ("chatml", ["<|im_start|>"]),
        ("gemma", ["<start_of_turn>"]),
        ("phi3", ["<|assistant|>", "<|end|>"]),
        ("command-r", ["<|START_OF_TURN_TOKEN|>"]),
        ("mistral", ["[INST]"]),
    ];

    /// <summary>The family of <paramref name="template"/>: llama3, deepseek-r1, chatml, gemma, phi3, command-r, mistral, or <see cref="Unknown"/>; <see cref="None"/> for null.</summary>
    public static string Detect(string? template)
    {
        if (template is null)
        {
            return None;
        }

        foreach (var (family, markers) in Families)
        {
            if (markers.All(m => template.Contains(m, StringComparison.Ordinal)))
            {
                return family;
            }
        }

        return Unknown;
    }
}
