using System.Security.Cryptography;
using System.Text;

namespace MedHelm.Inference.Llama.ChatTemplates;

/// <summary>The special-token strings a template sees and whether the tokenizer adds BOS/EOS itself.</summary>
public sealed record ChatTemplateTokens(string BosToken, string EosToken, bool AddBos, bool AddEos);

/// <summary>
/// A model's Jinja chat template (GGUF <c>tokenizer.chat_template</c>), executed by this repository's interpreter so
/// that the prompt equals what llama-server's <c>/apply-template</c> renders for the same messages: the same
/// variables (<c>messages</c>, <c>bos_token</c>, <c>eos_token</c>, <c>add_generation_prompt</c> when true,
/// <c>enable_thinking</c>, <c>date_string</c>, <c>datetime</c>), the same system-message merge for templates that
/// ignore the system role, and the leading BOS (trailing EOS) removed when the tokenizer adds it.
/// Thread-safe: rendering keeps no state.
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>
    /// Names this renderer in ledger keys; bump it whenever a change can render some template differently, so that
    /// stored results computed from the old prompts are not reused.
    /// </summary>
    public const string RendererVersion = "medhelm-jinja-1";

    private readonly IReadOnlyList<JinjaNode> _program;
    private readonly string _normalized;

    private ChatTemplate(string source, string normalized, IReadOnlyList<JinjaNode> program, ChatTemplateTokens tokens)
    {
        Source = source;
        _normalized = normalized;
        _program = program;
        Tokens = tokens;
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)));
        SupportsSystemRole = ProbeSystemRole();
        ReadsDate = ReadsAny(program, ["strftime_now", "date_string", "datetime"]);
    }

    public string Source { get; }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 template source.</summary>
    public string Sha256 { get; }

    public ChatTemplateTokens Tokens { get; }

    /// <summary>
    /// False when the template never reads a system message's content (llama.cpp's capability probe); the system
    /// message is then prepended to the next message with a newline, as llama-server does.
    /// </summary>
    public bool SupportsSystemRole { get; }

    /// <summary>True when the template reads the date (strftime_now, date_string or datetime): its prompts change with it.</summary>
    public bool ReadsDate { get; }

    /// <summary>
    /// Parses <paramref name="source"/> and renders a sample conversation once, so that a template this interpreter
    /// cannot execute fails here, at load, with the construct and its position.
    /// </summary>
    /// <exception cref="ChatTemplateException">The template uses syntax or functions outside the supported subset.</exception>
    public static ChatTemplate Load(string source, ChatTemplateTokens tokens)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(tokens);
        var normalized = JinjaLexer.Normalize(source);
        var template = new ChatTemplate(source, normalized, JinjaParser.Parse(normalized), tokens);
        template.Render(
            [new("system", "You are a clinician."), new("user", "Question?"), new("assistant", "Answer."), new("user", "Next?")],
            new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        return template;
    }

    /// <summary>Renders <paramref name="messages"/> with the template at the fixed time <paramref name="now"/> (UTC).</summary>
    /// <exception cref="ChatTemplateException">The template failed or refused the conversation (raise_exception).</exception>
    public string Render(IReadOnlyList<ChatTemplateMessage> messages, DateTime now, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages.ToList();
        if (!SupportsSystemRole && list.Count > 0 && list[0].Role == "system")
        {
            var system = list[0];
            list.RemoveAt(0);
            if (list.Count > 0)
            {
                list[0] = list[0] with { Content = system.Content + "\n" + list[0].Content };
            }
        }

        var values = list.Select(m => (object?)Message(m.Role, m.Content, probe: false)).ToList();
        var text = Execute(values, now, addGenerationPrompt, interpreter: null);
        if (Tokens.AddBos && Tokens.BosToken.Length > 0 && text.StartsWith(Tokens.BosToken, StringComparison.Ordinal))
        {
            text = text[Tokens.BosToken.Length..];
        }

        if (Tokens.AddEos && Tokens.EosToken.Length > 0 && text.EndsWith(Tokens.EosToken, StringComparison.Ordinal))
        {
            text = text[..^Tokens.EosToken.Length];
        }

        return text;
    }

    private string Execute(List<object?> messages, DateTime now, bool addGenerationPrompt, JinjaInterpreter? interpreter)
    {
        var utc = now.ToUniversalTime();
        interpreter ??= new JinjaInterpreter(_normalized, format => JinjaBuiltins.Strftime(format, utc));
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["bos_token"] = Tokens.BosToken,
            ["eos_token"] = Tokens.EosToken,
            ["enable_thinking"] = true,
            ["datetime"] = JinjaBuiltins.Strftime("%b %d %Y", utc),
            ["date_string"] = JinjaBuiltins.Strftime("%d %b %Y", utc),
        };
        if (addGenerationPrompt)
        {
            variables["add_generation_prompt"] = true;
        }

        return interpreter.Render(_program, variables);
    }

    private bool ProbeSystemRole()
    {
        var interpreter = new JinjaInterpreter(_normalized, _ => "");
        try
        {
            Execute([Message("system", "System message", probe: true), Message("user", "User message", probe: false)],
                new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc), addGenerationPrompt: true, interpreter);
        }
        catch (ChatTemplateException)
        {
            // a template that refuses system messages has not read the content either
        }

        return interpreter.ProbeRead;
    }

    private static bool ReadsAny(IReadOnlyList<JinjaNode> program, string[] names) =>
        program.Any(n => JinjaSyntaxWalker.Names(n).Any(names.Contains));

    private static JinjaObject Message(string role, string content, bool probe)
    {
        var o = new JinjaObject { IsProbe = probe };
        o.Set("role", role);
        o.Set("content", content);
        return o;
    }
}

/// <summary>One chat message as the template sees it.</summary>
public sealed record ChatTemplateMessage(string Role, string Content);
