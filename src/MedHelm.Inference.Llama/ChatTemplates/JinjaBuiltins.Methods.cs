using System.Globalization;
using System.Text;

namespace MedHelm.Inference.Llama.ChatTemplates;

internal static partial class JinjaBuiltins
{
    /// <summary>The string methods chat templates call (<c>s.strip()</c>, <c>s.split('x')</c>, ...), bound to <paramref name="s"/>.</summary>
    private static JinjaFunction? StringMethod(string name, string s) => name switch
    {
        "strip" => new(name, a => Strip(s, a.Get("chars", 0), true, true)),
        "lstrip" => new(name, a => Strip(s, a.Get("chars", 0), true, false)),
        "rstrip" => new(name, a => Strip(s, a.Get("chars", 0), false, true)),
        "upper" => new(name, _ => AsciiCase(s, upper: true)),
        "lower" => new(name, _ => AsciiCase(s, upper: false)),
        "title" => new(name, _ => Title(s)),
        "capitalize" => new(name, _ => s.Length == 0 ? s : AsciiCase(s[..1], upper: true) + AsciiCase(s[1..], upper: false)),
        "startswith" => new(name, a => s.StartsWith(Text(a.Get("prefix", 0), name), StringComparison.Ordinal)),
        "endswith" => new(name, a => s.EndsWith(Text(a.Get("suffix", 0), name), StringComparison.Ordinal)),
        "split" => new(name, a => Split(s, a.Get("sep", 0), a.Get("maxsplit", 1))),
        "replace" => new(name, a => Replace(s, Text(a.Get("old", 0), name), Text(a.Get("new", 1), name), a.Get("count", 2))),
        "length" => new(name, _ => (long)Encoding.UTF8.GetByteCount(s)),
        "join" => new(name, a => string.Join(s, (a.Get("iterable", 0) as List<object?> ?? []).Select(JinjaValue.ToText))),
        _ => null,
    };

    /// <summary>The mapping methods: <c>items()</c>, <c>keys()</c>, <c>values()</c>, <c>get(key, default)</c>.</summary>
    private static JinjaFunction? DictMethod(string name, JinjaObject o) => name switch
    {
        "items" => new(name, _ => Items(o)),
        "keys" => new(name, _ => o.Entries.Select(e => (object?)e.Key).ToList()),
        "values" => new(name, _ => o.Entries.Select(e => e.Value).ToList()),
        "get" => new(name, a =>
        {
            var fallback = a.Get("default", 1);
            return o.TryGet(JinjaValue.Key(a.Get("key", 0)), out var v) ? v : fallback is JinjaUndefined ? null : fallback;
        }),
        _ => null,
    };

    private static string Text(object? v, string method) =>
        v as string ?? throw new JinjaRuntimeException($"{method}() expects a string argument, got {JinjaValue.TypeName(v)}");

    private static string Strip(string s, object? chars, bool left, bool right)
    {
        var set = (chars as string ?? Whitespace).ToCharArray();
        return left && right ? s.Trim(set) : left ? s.TrimStart(set) : s.TrimEnd(set);
    }

    /// <summary>C's toupper/tolower byte by byte, as llama.cpp: only ASCII letters change (Python would change "é" too).</summary>
    private static string AsciiCase(string s, bool upper) =>
        string.Create(s.Length, (s, upper), (span, state) =>
        {
            for (var i = 0; i < state.s.Length; i++)
            {
                var c = state.s[i];
                span[i] = !char.IsAscii(c) ? c : state.upper ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c);
            }
        });

    /// <summary>llama.cpp's title case: a word starts after ASCII whitespace (Python also starts one after punctuation).</summary>
    private static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var startOfWord = true;
        foreach (var c in s)
        {
            if (c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v')
            {
                startOfWord = true;
                sb.Append(c);
            }
            else
            {
                sb.Append(AsciiCase(c.ToString(), upper: startOfWord));
                startOfWord = false;
            }
        }

        return sb.ToString();
    }

    private static List<object?> Split(string s, object? separator, object? maxsplit)
    {
        var max = maxsplit is long m ? m : -1;
        if (separator is null or JinjaUndefined)
        {
            var words = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return words.Select(w => (object?)w).ToList();
        }

        var sep = Text(separator, "split");
        if (sep.Length == 0)
        {
            throw new JinjaRuntimeException("split(): empty separator");
        }

        var parts = new List<object?>();
        var start = 0;
        while (max < 0 || parts.Count < max)
        {
            var i = s.IndexOf(sep, start, StringComparison.Ordinal);
            if (i < 0)
            {
                break;
            }

            parts.Add(s[start..i]);
            start = i + sep.Length;
        }

        parts.Add(s[start..]);
        return parts;
    }

    private static string Replace(string s, string old, string replacement, object? count)
    {
        var limit = count is long c ? c : -1;
        if (limit < 0)
        {
            return old.Length == 0 ? s : s.Replace(old, replacement, StringComparison.Ordinal);
        }

        var sb = new StringBuilder();
        var start = 0;
        for (var n = 0; n < limit; n++)
        {
            var i = s.IndexOf(old, start, StringComparison.Ordinal);
            if (i < 0 || old.Length == 0)
            {
                break;
            }

            sb.Append(s, start, i - start).Append(replacement);
            start = i + old.Length;
        }

        return sb.Append(s, start, s.Length - start).ToString();
    }

    /// <summary>C strftime (C locale) for the conversions templates use.</summary>
    public static string Strftime(string format, DateTime time)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }

            var spec = format[++i];
            sb.Append(spec switch
            {
                'Y' => time.Year.ToString(c),
                'y' => (time.Year % 100).ToString("00", c),
                'm' => time.Month.ToString("00", c),
                'd' => time.Day.ToString("00", c),
                'e' => time.Day.ToString(c).PadLeft(2),
                'b' or 'h' => time.ToString("MMM", c),
                'B' => time.ToString("MMMM", c),
                'a' => time.ToString("ddd", c),
                'A' => time.ToString("dddd", c),
                'H' => time.Hour.ToString("00", c),
                'I' => ((time.Hour + 11) % 12 + 1).ToString("00", c),
                'M' => time.Minute.ToString("00", c),
                'S' => time.Second.ToString("00", c),
                'p' => time.Hour < 12 ? "AM" : "PM",
                'j' => time.DayOfYear.ToString("000", c),
                'F' => time.ToString("yyyy-MM-dd", c),
                'T' => time.ToString("HH:mm:ss", c),
                'D' => time.ToString("MM/dd/yy", c),
                'Z' => "UTC",
                'z' => "+0000",
                '%' => "%",
                _ => throw new JinjaRuntimeException($"strftime_now: unsupported conversion '%{spec}'"),
            });
        }

        return sb.ToString();
    }
}
