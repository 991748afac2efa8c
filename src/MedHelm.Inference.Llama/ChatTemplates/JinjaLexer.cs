using System.Text;

namespace MedHelm.Inference.Llama.ChatTemplates;

internal enum JinjaTokenKind
{
    Text,
    OpenStatement,
    CloseStatement,
    OpenExpression,
    CloseExpression,
    Number,
    String,
    Identifier,
    Symbol,
    End,
}

internal readonly record struct JinjaToken(JinjaTokenKind Kind, string Value, int Position);

/// <summary>
/// Splits a template into text and tag tokens with the whitespace rules chat templates are written for (and which
/// llama.cpp and Hugging Face apply): <c>trim_blocks</c> and <c>lstrip_blocks</c> on, <c>{%-</c>/<c>-%}</c> (and the
/// <c>{{-</c>, <c>{#-</c> forms) strip all whitespace on that side, CRLF becomes LF and one trailing newline of the
/// template is dropped.
/// </summary>
internal static class JinjaLexer
{
    private static readonly string[] Symbols =
    [
        "//", "**", "<=", ">=", "==", "!=", "(", ")", "{", "}", "[", "]", ",", ".", ":", "|", "<", ">", "+", "-", "~", "*", "/", "%", "=",
    ];

    public static string Normalize(string source)
    {
        var s = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        return source.EndsWith('\n') ? s[..^1] : s;
    }

    /// <summary>Tokenizes <paramref name="src"/> (already <see cref="Normalize"/>d).</summary>
    public static List<JinjaToken> Tokenize(string src)
    {
        var tokens = new List<JinjaToken>();
        var pos = 0;
        var inTag = false;
        var curlyDepth = 0;
        while (pos < src.Length)
        {
            if (!inTag)
            {
                pos = ReadText(src, pos, tokens);
                if (pos >= src.Length)
                {
                    break;
                }

                if (src[pos + 1] == '#')
                {
                    pos = SkipComment(src, pos);
                    continue;
                }

                var open = src[pos + 1] == '%' ? JinjaTokenKind.OpenStatement : JinjaTokenKind.OpenExpression;
                var dash = pos + 2 < src.Length && src[pos + 2] == '-';
                tokens.Add(new(open, src.Substring(pos, dash ? 3 : 2), pos));
                pos += dash ? 3 : 2;
                inTag = true;
                curlyDepth = 0;
                continue;
            }

            if (char.IsWhiteSpace(src[pos]))
            {
                pos++;
                continue;
            }

            if (TryClose(src, pos, curlyDepth, out var close, out var length))
            {
                tokens.Add(new(close, src.Substring(pos, length), pos));
                pos += length;
                inTag = false;
                continue;
            }

            var c = src[pos];
            if (c is '\'' or '"')
            {
                pos = ReadString(src, pos, tokens);
            }
            else if (char.IsAsciiDigit(c))
            {
                var start = pos;
                while (pos < src.Length && char.IsAsciiDigit(src[pos]))
                {
                    pos++;
                }

                if (pos + 1 < src.Length && src[pos] == '.' && char.IsAsciiDigit(src[pos + 1]))
                {
                    pos++;
                    while (pos < src.Length && char.IsAsciiDigit(src[pos]))
                    {
                        pos++;
                    }
                }

                tokens.Add(new(JinjaTokenKind.Number, src[start..pos], start));
            }
            else if (char.IsAsciiLetterOrDigit(c) || c == '_')
            {
                var start = pos;
                while (pos < src.Length && (char.IsAsciiLetterOrDigit(src[pos]) || src[pos] == '_'))
                {
                    pos++;
                }

                tokens.Add(new(JinjaTokenKind.Identifier, src[start..pos], start));
            }
            else
            {
                var symbol = Symbols.FirstOrDefault(s => string.CompareOrdinal(src, pos, s, 0, s.Length) == 0)
                    ?? throw ChatTemplateException.At(src, pos, $"unexpected character '{c}'");
                curlyDepth += symbol == "{" ? 1 : symbol == "}" ? -1 : 0;
                tokens.Add(new(JinjaTokenKind.Symbol, symbol, pos));
                pos += symbol.Length;
            }
        }

        if (inTag)
        {
            throw ChatTemplateException.At(src, src.Length, "the template ends inside a {% %} or {{ }} tag");
        }

        tokens.Add(new(JinjaTokenKind.End, "", src.Length));
        return tokens;
    }

    private static bool TryClose(string src, int pos, int curlyDepth, out JinjaTokenKind kind, out int length)
    {
        var rest = src.AsSpan(pos);
        (kind, length) = rest switch
        {
            _ when rest.StartsWith("-%}") => (JinjaTokenKind.CloseStatement, 3),
            _ when rest.StartsWith("%}") => (JinjaTokenKind.CloseStatement, 2),
            _ when rest.StartsWith("-}}") => (JinjaTokenKind.CloseExpression, 3),
            _ when rest.StartsWith("}}") && curlyDepth == 0 => (JinjaTokenKind.CloseExpression, 2),
            _ => (JinjaTokenKind.End, 0),
        };
        return length > 0;
    }

    /// <summary>Reads text up to the next tag, applying the whitespace rules; returns the position of the tag.</summary>
    private static int ReadText(string src, int pos, List<JinjaToken> tokens)
    {
        var start = pos;
        while (pos < src.Length && !(src[pos] == '{' && pos + 1 < src.Length && src[pos + 1] is '%' or '{' or '#'))
        {
            pos++;
        }

        var end = pos;
        var atTag = pos < src.Length;
        if (atTag && src[pos + 1] is '%' or '#')
        {
            end = LstripBlockEnd(src, start, end);
        }

        var text = src[start..end];
        if (start >= 2 && src[start - 1] == '}' && src[start - 2] is '%' or '#' or '-' && text.StartsWith('\n'))
        {
            text = text[1..]; // trim_blocks: the newline after a block tag
        }

        if (start >= 3 && src[start - 3] == '-' && src[start - 2] is '%' or '}' or '#' && src[start - 1] == '}')
        {
            text = text.TrimStart(' ', '\t', '\r', '\n');
        }

        if (atTag && pos + 2 < src.Length && src[pos + 2] == '-')
        {
            text = text.TrimEnd(' ', '\t', '\r', '\n');
        }

        if (text.Length > 0)
        {
            tokens.Add(new(JinjaTokenKind.Text, text, start));
        }

        return pos;
    }

    /// <summary>lstrip_blocks: spaces and tabs between the last newline and a block tag are dropped.</summary>
    private static int LstripBlockEnd(string src, int start, int end)
    {
        var current = end;
        while (current > start)
        {
            if (current == 1)
            {
                return 0; // llama.cpp trims to the start of the template here
            }

            var c = src[current - 1];
            if (c == '\n')
            {
                return current;
            }

            if (!char.IsWhiteSpace(c))
            {
                return end;
            }

            current--;
        }

        return end;
    }

    private static int SkipComment(string src, int pos)
    {
        var close = src.IndexOf("#}", pos + 2, StringComparison.Ordinal);
        if (close < 0)
        {
            throw ChatTemplateException.At(src, pos, "missing end of comment tag '#}'");
        }

        return close + 2;
    }

    private static int ReadString(string src, int pos, List<JinjaToken> tokens)
    {
        var quote = src[pos];
        var start = pos++;
        var sb = new StringBuilder();
        while (pos < src.Length && src[pos] != quote)
        {
            if (src[pos] == '\\')
            {
                if (++pos >= src.Length)
                {
                    break;
                }

                sb.Append(src[pos] switch
                {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'b' => '\b',
                    'f' => '\f',
                    'v' => '\v',
                    '\\' => '\\',
                    '\'' => '\'',
                    '"' => '"',
                    var e => throw ChatTemplateException.At(src, pos, $"unknown escape character \\{e} in a string literal"),
                });
                pos++;
                continue;
            }

            sb.Append(src[pos++]);
        }

        if (pos >= src.Length)
        {
            throw ChatTemplateException.At(src, start, "unterminated string literal");
        }

        tokens.Add(new(JinjaTokenKind.String, sb.ToString(), start));
        return pos + 1;
    }
}
