using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MedHelm.Inference.Llama.Generation;

/// <summary>A JSON schema uses a keyword (or a form of one) that <see cref="JsonSchemaGrammar"/> cannot enforce.</summary>
public sealed class UnsupportedJsonSchemaException(string keyword, string location, string reason)
    : Exception($"JSON schema keyword '{keyword}' at {location} is not supported: {reason}")
{
    /// <summary>The keyword, e.g. <c>pattern</c>.</summary>
    public string Keyword { get; } = keyword;

    /// <summary>Where in the schema, as a JSON pointer (<c>#/properties/name</c>).</summary>
    public string Location { get; } = location;
}

/// <summary>
/// Turns a JSON schema into a GBNF grammar for llama.cpp's grammar sampler, so that every sampled answer is a JSON text
/// the schema accepts. The subset: <c>type</c> (one or a list), <c>properties</c> with <c>required</c> (members in
/// declared order, required ones first, optional ones each optional), <c>additionalProperties: false</c> (or absent:
/// only declared members are produced), <c>items</c> with <c>minItems</c>/<c>maxItems</c>, <c>enum</c>, <c>const</c>,
/// <c>anyOf</c>, <c>$ref</c> to <c>#/$defs/…</c> or <c>#/definitions/…</c>, strings with <c>minLength</c>/<c>maxLength</c>,
/// integers with <c>minimum</c>/<c>maximum</c> (a range of at most <see cref="MaxEnumeratedRange"/> values, or
/// <c>minimum</c> 0 or 1 alone), and the annotations (title, description, default, …), which are ignored. Any other
/// keyword is refused with <see cref="UnsupportedJsonSchemaException"/> naming it, rather than silently not enforced.
/// The output is compact JSON: at most one space after a separator, so a model cannot loop on whitespace. String
/// characters exclude surrogates and values above U+10FFFF, which llama.cpp's grammar decoder would otherwise accept
/// from byte tokens; an overlong UTF-8 encoding decodes to an allowed code point and cannot be excluded by a grammar
/// (trained models do not produce them; random-weight test models can).
/// </summary>
public sealed class JsonSchemaGrammar
{
    /// <summary>Largest integer range given by minimum and maximum that is enumerated.</summary>
    public const int MaxEnumeratedRange = 1000;

    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "$defs", "definitions",
    };

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const", "anyOf", "$ref",
        "minLength", "maxLength", "minimum", "maximum",
    };

    private const string Primitives =
        "ws ::= \" \"?\n" +
        // no control character, no surrogate and nothing above U+10FFFF: llama.cpp decodes any byte pattern, .NET would not
        "char ::= [^\"\\\\\\x7F\\x00-\\x1F\\uD800-\\uDFFF\\U00110000-\\U003FFFFF] | \"\\\\\" ([\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4})\n" +
        "string ::= \"\\\"\" char* \"\\\"\"\n" +
        "integer ::= \"-\"? ([0-9] | [1-9] [0-9]{1,15})\n" +
        "number ::= integer (\".\" [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?\n" +
        "boolean ::= \"true\" | \"false\"\n" +
        "null ::= \"null\"\n" +
        "value ::= object | array | string | number | boolean | null\n" +
        "object ::= \"{\" ws (string ws \":\" ws value (\",\" ws string ws \":\" ws value)*)? ws \"}\"\n" +
        "array ::= \"[\" ws (value (\",\" ws value)*)? ws \"]\"\n";

    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly JsonElement _root;
    private readonly StringBuilder _rules = new();
    private readonly Dictionary<string, string> _refRules = new(StringComparer.Ordinal);
    private int _next;

    private JsonSchemaGrammar(JsonElement root) => _root = root;

    /// <summary>The grammar of any JSON object (OpenAI's <c>response_format: {"type": "json_object"}</c>).</summary>
    public static string AnyJsonObject { get; } = "root ::= object\n" + Primitives;

    /// <summary>The grammar (root rule <c>root</c>) whose sentences are the JSON texts <paramref name="schema"/> accepts.</summary>
    /// <exception cref="UnsupportedJsonSchemaException">The schema uses a keyword outside the subset.</exception>
    public static string FromSchema(JsonElement schema)
    {
        var converter = new JsonSchemaGrammar(schema);
        var root = converter.Visit(schema, "#");
        return "root ::= " + root + "\n" + converter._rules + Primitives;
    }

    private string Visit(JsonElement schema, string at)
    {
        if (schema.ValueKind == JsonValueKind.True)
        {
            return "value";
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw new UnsupportedJsonSchemaException("schema", at, "a schema must be an object (or true).");
        }

        foreach (var property in schema.EnumerateObject())
        {
            if (!Keywords.Contains(property.Name) && !Annotations.Contains(property.Name))
            {
                throw new UnsupportedJsonSchemaException(property.Name, at, "the grammar sampler cannot enforce it.");
            }
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            return Ref(reference, at);
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            return Literal(constant);
        }

        if (schema.TryGetProperty("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
            {
                throw new UnsupportedJsonSchemaException("enum", at, "it must be a non-empty array.");
            }

            return Rule("(" + string.Join(" | ", values.EnumerateArray().Select(Literal)) + ")");
        }

        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            if (anyOf.ValueKind != JsonValueKind.Array || anyOf.GetArrayLength() == 0)
            {
                throw new UnsupportedJsonSchemaException("anyOf", at, "it must be a non-empty array.");
            }

            return Rule("(" + string.Join(" | ", anyOf.EnumerateArray().Select((s, i) => Visit(s, $"{at}/anyOf/{i}"))) + ")");
        }

        if (!schema.TryGetProperty("type", out var type))
        {
            if (schema.TryGetProperty("properties", out _) || schema.TryGetProperty("additionalProperties", out _))
            {
                return ObjectRule(schema, at);
            }

            var typed = new[] { "items", "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum" }.FirstOrDefault(k => schema.TryGetProperty(k, out _));
            return typed is null ? "value" : throw new UnsupportedJsonSchemaException(typed, at, "give the schema's type with it.");
        }

        if (type.ValueKind == JsonValueKind.Array)
        {
            return Rule("(" + string.Join(" | ", type.EnumerateArray().Select(t => TypeRule(schema, t.GetString(), at))) + ")");
        }

        return TypeRule(schema, type.GetString(), at);
    }

    private string TypeRule(JsonElement schema, string? type, string at) => type switch
    {
        "object" => ObjectRule(schema, at),
        "array" => ArrayRule(schema, at),
        "string" => StringRule(schema, at),
        "integer" => IntegerRule(schema, at),
        "number" => NoBounds(schema, at, "number"),
        "boolean" => "boolean",
        "null" => "null",
        _ => throw new UnsupportedJsonSchemaException("type", at, $"'{type}' is not a JSON schema type."),
    };

    private static string NoBounds(JsonElement schema, string at, string rule)
    {
        foreach (var keyword in new[] { "minimum", "maximum" })
        {
            if (schema.TryGetProperty(keyword, out _))
            {
                throw new UnsupportedJsonSchemaException(keyword, at, "bounds are supported on integers only.");
            }
        }

        return rule;
    }

    private string ObjectRule(JsonElement schema, string at)
    {
        if (schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind != JsonValueKind.False)
        {
            throw new UnsupportedJsonSchemaException("additionalProperties", at, "only false is supported (the answer has the declared members only).");
        }

        if (!schema.TryGetProperty("properties", out var properties))
        {
            return additional.ValueKind == JsonValueKind.False ? Rule("\"{\" ws \"}\"") : "object";
        }

        var required = schema.TryGetProperty("required", out var r) && r.ValueKind == JsonValueKind.Array
            ? r.EnumerateArray().Select(e => e.GetString() ?? "").ToHashSet(StringComparer.Ordinal)
            : [];
        var members = properties.EnumerateObject()
            .Select(p => (p.Name, Required: required.Contains(p.Name), Rule: NameLiteral(p.Name) + " ws \":\" ws " + Visit(p.Value, $"{at}/properties/{p.Name}")))
            .ToArray();
        var missing = required.FirstOrDefault(n => members.All(m => m.Name != n));
        if (missing is not null)
        {
            throw new UnsupportedJsonSchemaException("required", at, $"'{missing}' is required but has no schema in properties.");
        }

        var mandatory = members.Where(m => m.Required).Select(m => m.Rule).ToArray();
        var optional = members.Where(m => !m.Required).Select(m => m.Rule).ToArray();
        string body;
        if (mandatory.Length > 0)
        {
            body = string.Join(" \",\" ws ", mandatory) + string.Concat(optional.Select(o => " (\",\" ws " + o + ")?"));
        }
        else if (optional.Length > 0)
        {
            // any subset in declared order: the first member present, then each later one optionally
            body = "(" + string.Join(" | ", optional.Select((o, i) => o + string.Concat(optional.Skip(i + 1).Select(l => " (\",\" ws " + l + ")?")))) + ")?";
        }
        else
        {
            body = "";
        }

        return Rule("\"{\" ws " + body + " ws \"}\"");
    }

    private string ArrayRule(JsonElement schema, string at)
    {
        var item = schema.TryGetProperty("items", out var items) ? Visit(items, at + "/items") : "value";
        var min = Count(schema, "minItems", at) ?? 0;
        var max = Count(schema, "maxItems", at);
        if (max < min)
        {
            throw new UnsupportedJsonSchemaException("maxItems", at, "it is below minItems.");
        }

        var element = Rule(item);
        string body;
        if (max == 0)
        {
            body = "";
        }
        else if (min == 0)
        {
            body = "(" + element + " (\",\" ws " + element + ")" + Repeat(0, max - 1) + ")?";
        }
        else
        {
            body = element + " (\",\" ws " + element + ")" + Repeat(min - 1, max - 1);
        }

        return Rule("\"[\" ws " + body + " ws \"]\"");
    }

    private string StringRule(JsonElement schema, string at)
    {
        var min = Count(schema, "minLength", at) ?? 0;
        var max = Count(schema, "maxLength", at);
        if (max < min)
        {
            throw new UnsupportedJsonSchemaException("maxLength", at, "it is below minLength.");
        }

        return min == 0 && max is null ? "string" : Rule("\"\\\"\" char" + Repeat(min, max) + " \"\\\"\"");
    }

    private string IntegerRule(JsonElement schema, string at)
    {
        var min = Bound(schema, "minimum", at);
        var max = Bound(schema, "maximum", at);
        if (min is null && max is null)
        {
            return "integer";
        }

        if (min is { } low && max is { } high)
        {
            if (high < low || high - low >= MaxEnumeratedRange)
            {
                throw new UnsupportedJsonSchemaException("maximum", at, $"a range of 1 to {MaxEnumeratedRange} integers is supported.");
            }

            var values = new List<string>();
            for (var v = low; v <= high; v++)
            {
                values.Add("\"" + v.ToString(CultureInfo.InvariantCulture) + "\"");
            }

            return Rule("(" + string.Join(" | ", values) + ")");
        }

        return min switch
        {
            0 => Rule("([0-9] | [1-9] [0-9]{1,15})"),
            1 => Rule("([1-9] [0-9]{0,15})"),
            _ => throw new UnsupportedJsonSchemaException(min is null ? "maximum" : "minimum", at, "alone, only minimum 0 or 1 is supported; give both bounds."),
        };
    }

    private string Ref(JsonElement reference, string at)
    {
        var text = reference.GetString() ?? "";
        if (_refRules.TryGetValue(text, out var existing))
        {
            return existing;
        }

        var parts = text.Split('/');
        if (parts.Length != 3 || parts[0] != "#" || parts[1] is not ("$defs" or "definitions")
            || !_root.TryGetProperty(parts[1], out var definitions) || !definitions.TryGetProperty(parts[2], out var target))
        {
            throw new UnsupportedJsonSchemaException("$ref", at, "only references to #/$defs/NAME or #/definitions/NAME of this schema are supported.");
        }

        // named before it is visited, so a recursive reference points at the rule being built
        var name = "ref" + (++_next).ToString(CultureInfo.InvariantCulture);
        _refRules[text] = name;
        var body = Visit(target, text);
        _rules.Append(name).Append(" ::= ").Append(body).Append('\n');
        return name;
    }

    private string Rule(string body)
    {
        var name = "r" + (++_next).ToString(CultureInfo.InvariantCulture);
        _rules.Append(name).Append(" ::= ").Append(body).Append('\n');
        return name;
    }

    private static string Repeat(int min, int? max) =>
        max is { } m ? $"{{{min.ToString(CultureInfo.InvariantCulture)},{m.ToString(CultureInfo.InvariantCulture)}}}"
        : min == 0 ? "*" : $"{{{min.ToString(CultureInfo.InvariantCulture)},}}";

    private static int? Count(JsonElement schema, string keyword, string at)
    {
        if (!schema.TryGetProperty(keyword, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var count) || count < 0 || count > 100_000)
        {
            throw new UnsupportedJsonSchemaException(keyword, at, "it must be an integer from 0 to 100000.");
        }

        return count;
    }

    private static long? Bound(JsonElement schema, string keyword, string at)
    {
        if (!schema.TryGetProperty(keyword, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var bound))
        {
            throw new UnsupportedJsonSchemaException(keyword, at, "an integer bound must be an integer.");
        }

        return bound;
    }

    /// <summary>A GBNF string literal matching exactly the compact JSON text of <paramref name="value"/>.</summary>
    private static string Literal(JsonElement value) => Escape(JsonSerializer.Serialize(value, Compact));

    /// <summary>A GBNF string literal matching exactly the JSON string of the member name <paramref name="name"/>.</summary>
    private static string NameLiteral(string name) => Escape(JsonSerializer.Serialize(name, Compact));

    private static string Escape(string text)
    {
        var b = new StringBuilder("\"");
        foreach (var c in text)
        {
            b.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => c.ToString(),
            });
        }

        return b.Append('"').ToString();
    }
}
