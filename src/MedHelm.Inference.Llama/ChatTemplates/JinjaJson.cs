using System.Globalization;
using System.Text;

namespace MedHelm.Inference.Llama.ChatTemplates;

/// <summary>
/// The <c>tojson</c> filter as llama.cpp's engine writes it: Python's <c>json.dumps</c> layout (", " and ": " by
/// default, "," between items when indenting), keys in insertion order, non-ASCII characters kept unless
/// ensure_ascii is set, control characters as \uXXXX.
/// </summary>
internal static class JinjaJson
{
    public static string Serialize(object? value, int indent, string itemSeparator, string keySeparator)
    {
        var sb = new StringBuilder();
        Write(sb, value, 0, indent, itemSeparator, keySeparator);
        return sb.ToString();
    }

    /// <summary>Python's ensure_ascii: every non-ASCII UTF-16 code unit becomes \uXXXX.</summary>
    public static string EscapeNonAscii(string json)
    {
        var sb = new StringBuilder(json.Length);
        foreach (var c in json)
        {
            if (c > 0x7f)
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, int level, int indent, string itemSeparator, string keySeparator)
    {
        switch (value)
        {
            case null or JinjaUndefined:
                sb.Append("null");
                break;
            case bool b:
                sb.Append(b ? "true" : "false");
                break;
            case long i:
                sb.Append(i.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                sb.Append(FormatDouble(d));
                break;
            case string s:
                WriteString(sb, s);
                break;
            case List<object?> list:
                WriteContainer(sb, '[', ']', list.Count, level, indent, itemSeparator, i => Write(sb, list[i], level + 1, indent, itemSeparator, keySeparator));
                break;
            case JinjaObject o:
                WriteContainer(sb, '{', '}', o.Count, level, indent, itemSeparator, i =>
                {
                    WriteString(sb, JinjaValue.ToText(o.Entries[i].Key));
                    sb.Append(keySeparator);
                    Write(sb, o.Entries[i].Value, level + 1, indent, itemSeparator, keySeparator);
                });
                break;
            default:
                sb.Append("null");
                break;
        }
    }

    private static void WriteContainer(StringBuilder sb, char open, char close, int count, int level, int indent, string itemSeparator, Action<int> writeItem)
    {
        sb.Append(open);
        if (count > 0)
        {
            var newline = indent >= 0 ? "\n" : "";
            var pad = indent > 0 ? new string(' ', indent) : "";
            var outer = indent > 0 ? new string(' ', level * indent) : "";
            sb.Append(newline);
            for (var i = 0; i < count; i++)
            {
                sb.Append(outer).Append(pad);
                writeItem(i);
                if (i < count - 1)
                {
                    sb.Append(itemSeparator);
                }

                sb.Append(newline);
            }

            sb.Append(outer);
        }

        sb.Append(close);
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }

    /// <summary>C++ ostream's default for a double (printf "%g", 6 significant digits).</summary>
    private static string FormatDouble(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        return d.ToString("G6", CultureInfo.InvariantCulture).Replace('E', 'e');
    }
}
