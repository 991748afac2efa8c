using System.Collections;
using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace MedHelm.Hosting;

/// <summary>
/// Checks a configuration (appsettings.json and MEDHELM__ environment variables together) against the options classes
/// its sections bind to: every key must name a property (a typo must not silently leave a setting at its default), and
/// every value must convert to the property's type (the binder would otherwise throw mid-start, or drop the whole
/// dictionary entry). Returns one failure per problem, naming the key as "Section:Key:Sub".
/// </summary>
public static class ConfigurationSchema
{
    /// <summary>Top-level sections that belong to libraries, not to MedHelm's options (left unchecked).</summary>
    private static readonly HashSet<string> ForeignSections = new(StringComparer.OrdinalIgnoreCase) { "Logging", "Serilog", "AllowedHosts", "Kestrel", "Urls" };

    public static IReadOnlyList<string> Check(IConfiguration configuration, IReadOnlyDictionary<string, Type> sections)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(sections);
        var failures = new List<string>();
        foreach (var child in configuration.GetChildren())
        {
            if (ForeignSections.Contains(child.Key))
            {
                continue;
            }
            var match = sections.FirstOrDefault(s => string.Equals(s.Key, child.Key, StringComparison.OrdinalIgnoreCase));
            if (match.Value is null)
            {
                failures.Add($"unknown section '{child.Path}' (known: {string.Join(", ", sections.Keys.Order(StringComparer.Ordinal))}).");
                continue;
            }
            CheckNode(child, match.Value, failures);
        }
        return failures;
    }

    private static void CheckNode(IConfigurationSection node, Type type, List<string> failures)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsLeaf(type))
        {
            CheckLeaf(node, type, failures);
            return;
        }
        if (node.Value is { Length: > 0 } && !node.GetChildren().Any())
        {
            failures.Add($"{node.Path} = '{node.Value}' is a single value, but it must be a section ({Describe(type)}).");
            return;
        }
        if (ElementType(type) is { } element)
        {
            foreach (var item in node.GetChildren())
            {
                CheckNode(item, element, failures);
            }
            return;
        }

        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && (p.CanWrite || ElementType(p.PropertyType) is not null))
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in node.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out var property))
            {
                var suggestion = properties.Keys.FirstOrDefault(k => Distance(k, child.Key) <= 2);
                failures.Add($"unknown key '{child.Path}'{(suggestion is null ? "" : $" (did you mean '{suggestion}'?)")}; known keys of {node.Path}: {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))}.");
                continue;
            }
            CheckNode(child, property.PropertyType, failures);
        }
    }

    private static void CheckLeaf(IConfigurationSection node, Type type, List<string> failures)
    {
        if (node.GetChildren().Any())
        {
            failures.Add($"{node.Path} is a section, but it must be a single value ({Describe(type)}).");
            return;
        }
        if (node.Value is null || type == typeof(string) || (node.Value.Length == 0 && !type.IsValueType))
        {
            return;
        }
        try
        {
            var converter = TypeDescriptor.GetConverter(type);
            if (converter.ConvertFromInvariantString(node.Value) is null && type.IsValueType)
            {
                throw new FormatException();
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or NotSupportedException || e.InnerException is FormatException or OverflowException)
        {
            failures.Add($"{node.Path} = '{node.Value}' is not a valid {Describe(type)}.");
        }
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(Uri)
        || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Guid);

    /// <summary>The value type of a dictionary or the element type of a list/array, or null.</summary>
    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }
        if (!type.IsGenericType || !typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }
        var args = type.GetGenericArguments();
        return args.Length switch
        {
            1 => args[0],
            2 => args[1],
            _ => null,
        };
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "whole number",
        _ when type == typeof(uint) || type == typeof(ulong) => "non-negative whole number",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "number",
        _ when type == typeof(bool) => "true or false",
        _ when type.IsEnum => $"one of {string.Join(", ", Enum.GetNames(type))}",
        _ => type.Name,
    };

    private static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
        }
        return d[a.Length, b.Length];
    }
}
