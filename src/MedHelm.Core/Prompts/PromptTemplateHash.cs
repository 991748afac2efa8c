using System.Security.Cryptography;
using System.Text;
using MedHelm.Core.Catalog;

namespace MedHelm.Core.Prompts;

/// <summary>SHA-256 fingerprints of prompt templates and rendered prompts (lower-case hex).</summary>
public static class PromptTemplateHash
{
    /// <summary>SHA-256 of the UTF-8 bytes of <paramref name="text"/>, as 64 lower-case hex digits.</summary>
    public static string Compute(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Hash of the multiple-choice template of <paramref name="definition"/>.</summary>
    public static string ForMultipleChoice(BenchmarkDefinition definition, IReadOnlyList<char> letters) =>
        Compute(MultipleChoicePrompt.Template(definition, letters));
}
