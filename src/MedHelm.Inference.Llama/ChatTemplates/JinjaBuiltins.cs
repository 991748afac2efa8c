using System.Globalization;

namespace MedHelm.Inference.Llama.ChatTemplates;

/// <summary>Globals, tests, filters and methods of the interpreter (the set chat templates use).</summary>
internal static partial class JinjaBuiltins
{
    private const string Whitespace = " \t\n\r\f\v";

    public static JinjaFunction? Global(string name, JinjaInterpreter interpreter) => name switch
    {
        "raise_exception" => new(name, a => throw new JinjaRaisedException(JinjaValue.ToText(a.Get("message", 0)))),
        "namespace" => new(name, a =>
        {
            var ns = new JinjaObject { IsNamespace = true, HasMethods = false };
            foreach (var (k, v) in a.Named)
            {
                ns.Set(k, v);
            }

            return ns;
        }),
        "strftime_now" => new(name, a => interpreter.Strftime(a.Get("format", 0) as string
            ?? throw new JinjaRuntimeException("strftime_now expects a format string"))),
        "range" => new(name, Range),
        "tojson" => new(name, a => ToJson(a)),
        _ => null,
    };

    public static bool Test(string name, object? v, IReadOnlyList<object?> args)
    {
        object? Arg() => args.Count > 0 ? args[0] : throw new JinjaRuntimeException($"test '{name}' needs an argument");
        return name switch
        {
            "defined" => v is not JinjaUndefined,
            "undefined" => v is JinjaUndefined,
            "none" => v is null,
            "string" => v is string,
            "number" => v is long or double,
            "integer" => v is long,
            "float" => v is double,
            "boolean" => v is bool,
            "true" => v is true,
            "false" => v is false,
            "mapping" => v is JinjaObject,
            "iterable" => v is List<object?> or JinjaObject or string,
            "sequence" => v is List<object?> or JinjaObject or string,
            "callable" => v is JinjaFunction,
            "odd" => JinjaValue.AsLong(v) % 2 != 0,
            "even" => JinjaValue.AsLong(v) % 2 == 0,
            "divisibleby" => JinjaValue.AsLong(v) % JinjaValue.AsLong(Arg()) == 0,
            "lower" => v is string s && s == s.ToLowerInvariant(),
            "upper" => v is string u && u == u.ToUpperInvariant(),
            "eq" or "equalto" or "sameas" => JinjaValue.Equals(v, Arg()),
            "ne" => !JinjaValue.Equals(v, Arg()),
            "lt" or "lessthan" => JinjaValue.AsDouble(v) < JinjaValue.AsDouble(Arg()),
            "le" => JinjaValue.AsDouble(v) <= JinjaValue.AsDouble(Arg()),
            "gt" or "greaterthan" => JinjaValue.AsDouble(v) > JinjaValue.AsDouble(Arg()),
            "ge" => JinjaValue.AsDouble(v) >= JinjaValue.AsDouble(Arg()),
            "in" => Contains(Arg(), v),
            _ => throw new JinjaRuntimeException($"unknown test 'is {name}'"),
        };
    }

    /// <summary><c>item in container</c>.</summary>
    public static bool Contains(object? container, object? item) => container switch
    {
        JinjaUndefined => false,
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        List<object?> list => list.Any(x => JinjaValue.Equals(x, item)),
        JinjaObject o => item is string or long or bool && o.ContainsKey(JinjaValue.Key(item)),
        _ => throw new JinjaRuntimeException($"'in' is not supported between {JinjaValue.TypeName(item)} and {JinjaValue.TypeName(container)}"),
    };

    public static object? Filter(string name, object? input, JinjaArgs args, JinjaInterpreter interpreter)
    {
        name = name switch { "count" => "length", "d" => "default", "trim" => "strip", _ => name };
        if (name == "default")
        {
            var fallback = args.Get("default_value", 1);
            var boolean = JinjaValue.Truthy(args.Get("boolean", 2));
            return input is JinjaUndefined || (boolean && !JinjaValue.Truthy(input)) ? (fallback is JinjaUndefined ? "" : fallback) : input;
        }

        if (input is JinjaUndefined)
        {
            return UndefinedFilter(name);
        }

        if (input is not string && input is not null && name is "lower" or "upper" or "strip" or "title" or "capitalize" or "replace")
        {
            input = JinjaValue.ToText(input);
        }

        return name switch
        {
            "tojson" => ToJson(args),
            "string" or "safe" => JinjaValue.ToText(input),
            "length" => Length(input),
            "list" => input switch
            {
                List<object?> l => l.ToList(),
                string s => s.Select(c => (object?)c.ToString()).ToList(),
                JinjaObject o => o.Entries.Select(e => (object?)e.Key).ToList(),
                _ => throw NotFor(name, input),
            },
            "first" => input is List<object?> l1 ? (l1.Count > 0 ? l1[0] : new JinjaUndefined("first")) : throw NotFor(name, input),
            "last" => input is List<object?> l2 ? (l2.Count > 0 ? l2[^1] : new JinjaUndefined("last")) : throw NotFor(name, input),
            "reverse" => input switch
            {
                List<object?> l => Enumerable.Reverse(l).ToList(),
                string s => new string(s.Reverse().ToArray()),
                _ => throw NotFor(name, input),
            },
            "join" => Join(input, args),
            "items" => input switch
            {
                JinjaObject o => Items(o),
                null => new List<object?>(),
                _ => throw NotFor(name, input),
            },
            "int" => input switch
            {
                long or double or bool => JinjaValue.AsLong(input),
                string s => long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : 0L,
                _ => throw NotFor(name, input),
            },
            "float" => input switch
            {
                long or double or bool => JinjaValue.AsDouble(input),
                string s => double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 0.0,
                _ => throw NotFor(name, input),
            },
            "abs" => input is long i2 ? Math.Abs(i2) : Math.Abs(JinjaValue.AsDouble(input)),
            "map" => Map(input, args, interpreter),
            "select" or "reject" => Select(input, args, name == "select", attribute: false, interpreter),
            "selectattr" or "rejectattr" => Select(input, args, name == "selectattr", attribute: true, interpreter),
            _ when input is string && StringMethod(name, (string)input) is { } m => m.Invoke(new JinjaArgs(args.Positional.Skip(1).ToList(), args.Named)),
            _ when input is JinjaObject o && DictMethod(name, o) is { } dm => dm.Invoke(new JinjaArgs(args.Positional.Skip(1).ToList(), args.Named)),
            _ => throw NotFor(name, input),
        };
    }

    /// <summary>A method of <paramref name="target"/> bound to it (<c>s.strip</c>, <c>d.items</c>, ...), or null.</summary>
    public static JinjaFunction? Method(object? target, string name) => target switch
    {
        string s => StringMethod(name, s),
        JinjaObject { HasMethods: true } o => DictMethod(name, o),
        List<object?> l => name switch
        {
            "append" => new(name, a =>
            {
                l.Add(a.Get("item", 0));
                return null;
            }),
            _ => null,
        },
        _ => null,
    };

    private static object? UndefinedFilter(string name) => name switch
    {
        "length" or "sum" or "wordcount" => 0L,
        "first" or "last" or "min" or "max" => new JinjaUndefined(name),
        "items" or "list" or "map" or "reject" or "rejectattr" or "reverse" or "select" or "selectattr" or "sort" or "unique" => new List<object?>(),
        "capitalize" or "join" or "lower" or "replace" or "safe" or "string" or "strip" or "title" or "truncate" or "upper" => "",
        "tojson" => "null",
        _ => throw new JinjaRuntimeException($"filter '{name}' cannot be applied to an undefined value"),
    };

    private static JinjaRuntimeException NotFor(string name, object? input) =>
        new($"unknown filter '{name}' for type {JinjaValue.TypeName(input)}");

    private static long Length(object? input) => input switch
    {
        string s => System.Text.Encoding.UTF8.GetByteCount(s), // llama.cpp counts bytes
        List<object?> l => l.Count,
        JinjaObject o => o.Count,
        _ => throw NotFor("length", input),
    };

    private static List<object?> Items(JinjaObject o) => o.Entries.Select(e => (object?)new List<object?> { e.Key, e.Value }).ToList();

    private static string Join(object? input, JinjaArgs args)
    {
        var separator = args.Get("d", 1) is string sep ? sep : "";
        var attribute = args.Get("attribute", 2);
        var items = input switch
        {
            List<object?> l => l,
            string s => s.Select(c => (object?)c.ToString()).ToList(),
            _ => throw NotFor("join", input),
        };
        return string.Join(separator, items.Select(i => JinjaValue.ToText(attribute is string a && i is JinjaObject o && o.TryGet(a, out var v) ? v : i)));
    }

    private static List<object?> Map(object? input, JinjaArgs args, JinjaInterpreter interpreter)
    {
        var items = input as List<object?> ?? (input is null ? [] : throw NotFor("map", input));
        if (args.Get("attribute", 99) is string attribute)
        {
            var fallback = args.Get("default", 99);
            return items.Select(i => interpreter.Member(i, attribute, computed: true) is var v && v is JinjaUndefined && fallback is not JinjaUndefined ? fallback : v).ToList();
        }

        if (args.Get("filter", 1) is string filter)
        {
            var rest = args.Positional.Skip(2).ToList();
            return items.Select(i => Filter(filter, i, new JinjaArgs([i, .. rest], []), interpreter)).ToList();
        }

        throw new JinjaRuntimeException("map needs a filter name or attribute=");
    }

    private static List<object?> Select(object? input, JinjaArgs args, bool keep, bool attribute, JinjaInterpreter interpreter)
    {
        var items = input as List<object?> ?? (input is null ? [] : throw NotFor(keep ? "select" : "reject", input));
        var offset = attribute ? 2 : 1;
        var attributeName = attribute ? args.Get("attribute", 1) as string ?? throw new JinjaRuntimeException("selectattr/rejectattr need an attribute name") : null;
        var test = args.Positional.Count > offset ? args.Positional[offset] as string : null;
        var testArgs = args.Positional.Skip(offset + 1).ToList();
        return items.Where(i =>
        {
            var value = attributeName is null ? i : interpreter.Member(i, attributeName, computed: true);
            var pass = test is null ? JinjaValue.Truthy(value) : Test(test, value, testArgs);
            return pass == keep;
        }).ToList();
    }

    private static List<object?> Range(JinjaArgs a)
    {
        var n = a.Positional.Select(JinjaValue.AsLong).ToArray();
        var (start, stop, step) = n.Length switch
        {
            1 => (0L, n[0], 1L),
            2 => (n[0], n[1], 1L),
            3 => (n[0], n[1], n[2]),
            _ => throw new JinjaRuntimeException("range expects 1 to 3 integers"),
        };
        if (step == 0)
        {
            throw new JinjaRuntimeException("range() step must not be zero");
        }

        var result = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            result.Add(i);
        }

        return result;
    }

    private static string ToJson(JinjaArgs a)
    {
        var indentArg = a.Get("indent", 1);
        var indent = indentArg is long i ? (int)i : -1;
        var separators = a.Get("separators", 2) as List<object?> ?? [];
        if (JinjaValue.Truthy(a.Get("sort_keys", 3)))
        {
            throw new JinjaRuntimeException("tojson(sort_keys=true) is not supported (llama.cpp does not implement it)");
        }

        var itemSeparator = separators.Count > 0 ? JinjaValue.ToText(separators[0]) : indent < 0 ? ", " : ",";
        var keySeparator = separators.Count > 1 ? JinjaValue.ToText(separators[1]) : ": ";
        var json = JinjaJson.Serialize(a.Positional.Count > 0 ? a.Positional[0] : JinjaUndefined.Instance, indent, itemSeparator, keySeparator);
        return JinjaValue.Truthy(a.Get("ensure_ascii", 4)) ? JinjaJson.EscapeNonAscii(json) : json;
    }

    /// <summary>Python-style slicing of lists and strings (negative indices and steps).</summary>
    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        var length = target switch
        {
            List<object?> l => l.Count,
            string s => s.Length,
            _ => throw new JinjaRuntimeException($"cannot slice {JinjaValue.TypeName(target)}"),
        };
        var st = step is null ? 1 : JinjaValue.AsLong(step);
        if (st == 0)
        {
            throw new JinjaRuntimeException("slice step cannot be zero");
        }

        long Clamp(object? v, long fallback, bool isStart)
        {
            if (v is null or JinjaUndefined)
            {
                return fallback;
            }

            var x = JinjaValue.AsLong(v);
            if (x < 0)
            {
                x += length;
            }

            return st > 0 ? Math.Clamp(x, 0, length) : Math.Clamp(x, -1, length - 1);
        }

        var from = Clamp(start, st > 0 ? 0 : length - 1, true);
        var to = Clamp(stop, st > 0 ? length : -1, false);
        var indices = new List<int>();
        for (var i = from; st > 0 ? i < to : i > to; i += st)
        {
            indices.Add((int)i);
        }

        return target is string str
            ? string.Concat(indices.Select(i => str[i]))
            : indices.Select(i => ((List<object?>)target!)[i]).ToList();
    }
}
