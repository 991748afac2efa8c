using System.Text;
using System.Text.RegularExpressions;

namespace MedHelm.Core.Prompts;

/// <summary>Named slots (<c>{name}</c>) in a prompt template; <c>{{</c> and <c>}}</c> are literal braces.</summary>
public static partial class PromptTemplateSlots
{
    /// <summary>The slot names in order of first appearance.</summary>
    public static IReadOnlyList<string> Find(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return SlotPattern().Matches(template)
            .Where(m => m.Groups["name"].Success)
            .Select(m => m.Groups["name"].Value)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>
    /// The 0-based index of the first brace that is neither part of a slot nor doubled (a lone "{" or "}", or "{" not
    /// followed by a slot name and "}"), or null when every brace is balanced.
    /// </summary>
    public static int? FirstStrayBrace(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var last = 0;
        foreach (Match m in SlotPattern().Matches(template))
        {
            if (template.AsSpan(last, m.Index - last).IndexOfAny('{', '}') is var i and >= 0)
            {
                return last + i;
            }

            last = m.Index + m.Length;
        }

        var rest = template.AsSpan(last).IndexOfAny('{', '}');
        return rest >= 0 ? last + rest : null;
    }

    /// <summary>Replaces each slot with its value; throws <see cref="ArgumentException"/> for a slot without a value.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        var sb = new StringBuilder(template.Length * 2);
        var last = 0;
        foreach (Match m in SlotPattern().Matches(template))
        {
            sb.Append(template, last, m.Index - last);
            if (m.Groups["name"].Success)
            {
                var name = m.Groups["name"].Value;
                if (!values.TryGetValue(name, out var value))
                {
                    throw new ArgumentException($"The prompt template slot '{{{name}}}' has no value.", nameof(values));
                }

                sb.Append(value);
            }
            else
            {
                sb.Append(m.Value[0]);
            }

            last = m.Index + m.Length;
        }

        sb.Append(template, last, template.Length - last);
        return sb.ToString();
    }

    [GeneratedRegex(@"\{\{|\}\}|\{(?<name>[A-Za-z_][A-Za-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex SlotPattern();
}
