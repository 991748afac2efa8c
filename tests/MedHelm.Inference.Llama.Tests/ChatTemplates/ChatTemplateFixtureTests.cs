using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using MedHelm.Inference.Llama.ChatTemplates;

namespace MedHelm.Inference.Llama.Tests.ChatTemplates;

/// <summary>
/// The interpreter against llama-server: every row of Fixtures/renderings.jsonl (written by Fixtures/generate.py
/// from the pinned llama-server's /apply-template) must render byte for byte the same, or fail where llama-server failed.
/// </summary>
public sealed class ChatTemplateFixtureTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "ChatTemplates");

    public static TheoryData<string, string> Rows()
    {
        var data = new TheoryData<string, string>();
        foreach (var row in ReadRows())
        {
            data.Add(row.GetProperty("template").GetString()!, row.GetProperty("case").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Rendering_equals_llama_server(string templateName, string caseName)
    {
        var row = ReadRows().Single(r => r.GetProperty("template").GetString() == templateName && r.GetProperty("case").GetString() == caseName);
        var source = File.ReadAllText(Path.Combine(Folder, "Templates", templateName + ".jinja"));
        Assert.Equal(row.GetProperty("template_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(Folder, "Templates", templateName + ".jinja")))));

        var tokens = new ChatTemplateTokens(
            row.GetProperty("bos_token").GetString()!, row.GetProperty("eos_token").GetString()!,
            row.GetProperty("add_bos").GetBoolean(), row.GetProperty("add_eos").GetBoolean());
        var template = ChatTemplate.Load(source, tokens);
        var messages = row.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatTemplateMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!))
            .ToList();
        var date = DateTime.ParseExact(row.GetProperty("date").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        var addGenerationPrompt = row.GetProperty("add_generation_prompt").GetBoolean();

        if (row.GetProperty("expected").ValueKind == JsonValueKind.Null)
        {
            var e = Assert.Throws<ChatTemplateException>(() => template.Render(messages, date, addGenerationPrompt));
            Assert.Contains(e.Reason, row.GetProperty("error").GetString()!);
            return;
        }

        Assert.Equal(row.GetProperty("expected").GetString(), template.Render(messages, date, addGenerationPrompt));
    }

    [Fact]
    public void The_fixtures_cover_every_template_file_and_the_required_families()
    {
        var rows = ReadRows().ToList();
        var templates = Directory.GetFiles(Path.Combine(Folder, "Templates"), "*.jinja").Select(Path.GetFileNameWithoutExtension).ToHashSet();
        Assert.Equal(templates, rows.Select(r => r.GetProperty("template").GetString()).ToHashSet());
        foreach (var family in new[] { "Llama-3.1", "Llama-3.3", "R1-Distill-Llama", "R1-Distill-Qwen", "Qwen2.5", "Mistral-7B-Instruct-v0.3", "Mistral-Nemo", "gemma-2", "gemma-3", "phi-4" })
        {
            Assert.Contains(templates, t => t!.Contains(family, StringComparison.OrdinalIgnoreCase));
        }
    }

    private static IEnumerable<JsonElement> ReadRows() =>
        File.ReadLines(Path.Combine(Folder, "Fixtures", "renderings.jsonl"))
            .Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement);
}
