using System.Globalization;
using System.Text;

namespace MedHelm.Inference.Llama.ChatTemplates;

/// <summary>
/// The value model of the template interpreter. Values are plain .NET objects: <c>null</c> is Jinja's none,
/// <see cref="JinjaUndefined"/> an undefined name, <see cref="bool"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="string"/>, <see cref="List{T}"/> of values (lists and tuples), <see cref="JinjaObject"/> (mappings and
/// namespaces, insertion-ordered) and <see cref="JinjaFunction"/> (built-ins, bound methods and macros).
/// </summary>
internal sealed class JinjaUndefined
{
    public static readonly JinjaUndefined Instance = new("");

    public JinjaUndefined(string name) => Name = name;

    /// <summary>What was undefined (a variable or property name), for error messages.</summary>
    public string Name { get; }
}

/// <summary>An insertion-ordered mapping; a <c>namespace()</c> is one with <see cref="IsNamespace"/> set.</summary>
internal sealed class JinjaObject
{
    private readonly List<KeyValuePair<object, object?>> _entries = [];
    private readonly Dictionary<object, int> _index = [];

    public bool IsNamespace { get; init; }

    /// <summary>The loop object and namespaces have no dict methods (items(), get(), ...).</summary>
    public bool HasMethods { get; init; } = true;

    /// <summary>A probe message: reading its "content" is recorded (the system-role capability check).</summary>
    public bool IsProbe { get; init; }

    public int Count => _entries.Count;

    public IReadOnlyList<KeyValuePair<object, object?>> Entries => _entries;

    public void Set(object key, object? value)
    {
        if (_index.TryGetValue(key, out var i))
        {
            _entries[i] = new(key, value);
        }
        else
        {
            _index[key] = _entries.Count;
            _entries.Add(new(key, value));
        }
    }

    public bool TryGet(object key, out object? value)
    {
        if (_index.TryGetValue(key, out var i))
        {
            value = _entries[i].Value;
            return true;
        }

        value = null;
        return false;
    }

    public bool ContainsKey(object key) => _index.ContainsKey(key);
}

/// <summary>Arguments of a call: positional values, then keyword values in the order written.</summary>
internal sealed record JinjaArgs(IReadOnlyList<object?> Positional, IReadOnlyList<KeyValuePair<string, object?>> Named)
{
    public static readonly JinjaArgs Empty = new([], []);

    /// <summary>The keyword <paramref name="name"/>, else positional <paramref name="index"/>, else undefined.</summary>
    public object? Get(string name, int index)
    {
        foreach (var (k, v) in Named)
        {
            if (k == name)
            {
                return v;
            }
        }

        return index < Positional.Count ? Positional[index] : JinjaUndefined.Instance;
    }
}

/// <summary>A callable value: a global function, a method bound to its receiver, a filter or a macro.</summary>
internal sealed class JinjaFunction(string name, Func<JinjaArgs, object?> invoke)
{
    public string Name { get; } = name;

    public object? Invoke(JinjaArgs args) => invoke(args);
}

/// <summary>Conversions between values, with the semantics of llama.cpp's template engine.</summary>
internal static class JinjaValue
{
    public static bool IsUndefined(object? v) => v is JinjaUndefined;

    public static bool IsNumber(object? v) => v is long or double;

    public static string TypeName(object? v) => v switch
    {
        null => "None",
        JinjaUndefined => "Undefined",
        bool => "Boolean",
        long => "Integer",
        double => "Float",
        string => "String",
        List<object?> => "Array",
        JinjaObject => "Object",
        JinjaFunction => "Function",
        _ => v.GetType().Name,
    };

    public static bool Truthy(object? v) => v switch
    {
        null or JinjaUndefined => false,
        bool b => b,
        long i => i != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        JinjaObject o => o.Count > 0,
        _ => true,
    };

    /// <summary>How a value prints in <c>{{ }}</c>, <c>~</c> and <c>string</c>.</summary>
    public static string ToText(object? v) => v switch
    {
        null => "None",
        JinjaUndefined => "",
        bool b => b ? "True" : "False",
        long i => i.ToString(CultureInfo.InvariantCulture),
        double d => FloatText(d),
        string s => s,
        List<object?> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
        JinjaObject o => "{" + string.Join(", ", o.Entries.Select(e => Repr(e.Key) + ": " + Repr(e.Value))) + "}",
        JinjaFunction f => "Function",
        _ => v.ToString() ?? "",
    };

    /// <summary>
    /// What <c>{{ value }}</c> writes, as llama.cpp gathers output parts: none and undefined write nothing and a list
    /// writes its items one after another (<c>~</c>, <c>string</c> and items inside dicts print as <see cref="ToText"/>).
    /// </summary>
    public static string OutputText(object? v) => v switch
    {
        null or JinjaUndefined => "",
        List<object?> l => string.Concat(l.Select(OutputText)),
        _ => ToText(v),
    };

    /// <summary>Python-like repr used inside printed lists and dicts.</summary>
    public static string Repr(object? v) => v switch
    {
        string s when s.Contains('\'') => JinjaJson.Serialize(s, -1, ", ", ": "),
        string s => "'" + s + "'",
        _ => ToText(v),
    };

    /// <summary>C's "%f" with trailing zeros removed, keeping one decimal ("2.500000" -> "2.5", "3.000000" -> "3.0").</summary>
    public static string FloatText(double d)
    {
        var s = d.ToString("F6", CultureInfo.InvariantCulture).TrimEnd('0');
        return s.EndsWith('.') ? s + "0" : s;
    }

    public static double AsDouble(object? v) => v switch
    {
        long i => i,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new JinjaRuntimeException($"{TypeName(v)} is not a number"),
    };

    public static long AsLong(object? v) => v switch
    {
        long i => i,
        double d => (long)d,
        bool b => b ? 1 : 0,
        _ => throw new JinjaRuntimeException($"{TypeName(v)} is not an integer"),
    };

    public static new bool Equals(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        if (IsNumber(a) && IsNumber(b))
        {
            return AsDouble(a) == AsDouble(b);
        }

        return (a, b) switch
        {
            (JinjaUndefined, JinjaUndefined) => true,
            (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
            (bool x, bool y) => x == y,
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Equals(p.First, p.Second)),
            (JinjaObject x, JinjaObject y) => x.Count == y.Count
                && x.Entries.All(e => y.TryGet(e.Key, out var other) && Equals(e.Value, other)),
            _ => ReferenceEquals(a, b),
        };
    }

    /// <summary>A hashable key for mappings (strings, integers, booleans).</summary>
    public static object Key(object? v) => v switch
    {
        string or long or bool => v,
        double d when d == Math.Floor(d) => (long)d,
        null => throw new JinjaRuntimeException("Type: None is not allowed as object key"),
        _ => throw new JinjaRuntimeException($"Type: {TypeName(v)} is not allowed as object key"),
    };

    /// <summary>Converts parsed JSON-like .NET data (dictionaries, lists, primitives) into interpreter values.</summary>
    public static object? From(object? data) => data switch
    {
        null => null,
        string or bool or long or double or JinjaObject or JinjaFunction or JinjaUndefined => data,
        int i => (long)i,
        float f => (double)f,
        IEnumerable<KeyValuePair<string, object?>> map => FromMap(map),
        System.Collections.IEnumerable list => list.Cast<object?>().Select(From).ToList(),
        _ => throw new ArgumentException($"A {data.GetType().Name} cannot be passed to a chat template."),
    };

    private static JinjaObject FromMap(IEnumerable<KeyValuePair<string, object?>> map)
    {
        var o = new JinjaObject();
        foreach (var (k, v) in map)
        {
            o.Set(k, From(v));
        }

        return o;
    }

    public static string Concat(params object?[] parts)
    {
        var sb = new StringBuilder();
        foreach (var p in parts)
        {
            sb.Append(ToText(p));
        }

        return sb.ToString();
    }
}
