using System.Text.Json;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Tests.Support;

namespace MedHelm.Inference.Llama.Tests;

[Collection(LlamaCollection.Name)]
public sealed class JsonSchemaGrammarTests(LlamaFixture fixture)
{
    private static JsonElement Schema(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Theory]
    [InlineData("""{"type": "string", "pattern": "^a$"}""", "pattern", "#")]
    [InlineData("""{"type": "string", "format": "date"}""", "format", "#")]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "number", "minimum": 0}}}""", "minimum", "#/properties/a")]
    [InlineData("""{"type": "object", "additionalProperties": true}""", "additionalProperties", "#")]
    [InlineData("""{"oneOf": [{"type": "string"}, {"type": "integer"}]}""", "oneOf", "#")]
    [InlineData("""{"allOf": [{"type": "string"}]}""", "allOf", "#")]
    [InlineData("""{"type": "array", "items": {"type": "integer"}, "uniqueItems": true}""", "uniqueItems", "#")]
    [InlineData("""{"type": "integer", "minimum": 0, "maximum": 100000}""", "maximum", "#")]
    [InlineData("""{"type": "integer", "minimum": 5}""", "minimum", "#")]
    [InlineData("""{"$ref": "https://example.org/schema.json"}""", "$ref", "#")]
    [InlineData("""{"type": "object", "properties": {}, "required": ["a"]}""", "required", "#")]
    [InlineData("""{"minLength": 2}""", "minLength", "#")]
    public void A_keyword_the_grammar_cannot_enforce_is_refused_by_name(string schema, string keyword, string location)
    {
        var refused = Assert.Throws<UnsupportedJsonSchemaException>(() => JsonSchemaGrammar.FromSchema(Schema(schema)));
        Assert.Equal(keyword, refused.Keyword);
        Assert.Equal(location, refused.Location);
        Assert.Contains($"'{keyword}'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Member_names_and_constants_become_exact_literals_and_annotations_are_ignored()
    {
        var grammar = JsonSchemaGrammar.FromSchema(Schema("""
            {"title": "t", "description": "d", "$schema": "https://json-schema.org/draft/2020-12/schema",
             "type": "object", "properties": {"say \"hi\"": {"const": "a\\b"}, "n": {"type": "integer", "minimum": -1, "maximum": 1}},
             "required": ["say \"hi\"", "n"], "additionalProperties": false}
            """));
        Assert.Contains("\"\\\"say \\\\\\\"hi\\\\\\\"\\\"\"", grammar, StringComparison.Ordinal); // "\"say \\\"hi\\\"\""
        Assert.Contains("(\"-1\" | \"0\" | \"1\")", grammar, StringComparison.Ordinal);
        Assert.StartsWith("root ::= ", grammar, StringComparison.Ordinal);
    }

    /// <summary>
    /// Samples under each schema's grammar from a random-weight model (so the grammar alone shapes the answer) with
    /// several seeds, and checks every answer against the schema.
    /// </summary>
    [Theory]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "null"}, "c": {"enum": [1, "x", [true]]}}, "additionalProperties": false}""")]
    [InlineData("""{"type": "object", "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5}, "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}, "maxItems": 3}}, "required": ["score"]}""")]
    [InlineData("""{"$defs": {"leaf": {"type": "string", "maxLength": 5}}, "anyOf": [{"$ref": "#/$defs/leaf"}, {"type": "array", "items": {"$ref": "#/$defs/leaf"}, "minItems": 2, "maxItems": 2}]}""")]
    [InlineData("""{"type": ["integer", "boolean"]}""")]
    public void Every_answer_sampled_under_the_grammar_is_accepted_by_the_schema(string schemaJson)
    {
        var schema = Schema(schemaJson);
        var grammar = JsonSchemaGrammar.FromSchema(schema);
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        using var engine = new LlamaEngine(model, new LlamaEngineOptions { Context = new LlamaContextSettings { Sequences = 4, ContextPerSequence = 512, Threads = 1 } });
        var prompt = model.Vocabulary.Tokenize("Answer in JSON:", addSpecial: true, parseSpecial: false);
        var requests = Enumerable.Range(1, 4)
            .Select(seed => new GenerationRequest(prompt, 200) { Sampling = new SamplingSettings { Temperature = 1.5f, Seed = (uint)seed, Grammar = grammar } })
            .ToArray();
        foreach (var result in engine.Generate(requests))
        {
            Assert.Equal(GenerationFinishReason.EndOfGeneration, result.FinishReason);
            using var answer = JsonDocument.Parse(result.Text);
            Assert.True(SchemaCheck.Accepts(schema, answer.RootElement, schema), $"{result.Text} does not satisfy {schemaJson}");
        }
    }

    /// <summary>A checker for the converter's subset, written independently of it.</summary>
    private static class SchemaCheck
    {
        public static bool Accepts(JsonElement s, JsonElement v, JsonElement root)
        {
            if (s.TryGetProperty("$ref", out var r))
            {
                return Accepts(root.GetProperty("$defs").GetProperty(r.GetString()!.Split('/')[^1]), v, root);
            }

            if (s.TryGetProperty("const", out var c))
            {
                return JsonElement.DeepEquals(c, v);
            }

            if (s.TryGetProperty("enum", out var e))
            {
                return e.EnumerateArray().Any(x => JsonElement.DeepEquals(x, v));
            }

            if (s.TryGetProperty("anyOf", out var any))
            {
                return any.EnumerateArray().Any(x => Accepts(x, v, root));
            }

            if (!s.TryGetProperty("type", out var type))
            {
                return s.TryGetProperty("properties", out _) ? Object(s, v, root) : true;
            }

            return type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Any(t => Typed(t.GetString()!, s, v, root)) : Typed(type.GetString()!, s, v, root);
        }

        private static bool Typed(string type, JsonElement s, JsonElement v, JsonElement root) => type switch
        {
            "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "null" => v.ValueKind == JsonValueKind.Null,
            "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var i) && Bound(s, "minimum", i, (b, x) => x >= b) && Bound(s, "maximum", i, (b, x) => x <= b),
            "number" => v.ValueKind == JsonValueKind.Number,
            "string" => v.ValueKind == JsonValueKind.String && Length(s, v.GetString()!.EnumerateRunes().Count(), "minLength", "maxLength"),
            "array" => v.ValueKind == JsonValueKind.Array && Length(s, v.GetArrayLength(), "minItems", "maxItems")
                && (!s.TryGetProperty("items", out var items) || v.EnumerateArray().All(x => Accepts(items, x, root))),
            "object" => Object(s, v, root),
            _ => false,
        };

        private static bool Object(JsonElement s, JsonElement v, JsonElement root)
        {
            if (v.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var properties = s.TryGetProperty("properties", out var p) ? p : default;
            var required = s.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];
            return required.All(n => v.TryGetProperty(n, out _))
                && v.EnumerateObject().All(m => properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(m.Name, out var ps) && Accepts(ps, m.Value, root));
        }

        private static bool Bound(JsonElement s, string keyword, long value, Func<long, long, bool> ok) =>
            !s.TryGetProperty(keyword, out var b) || ok(b.GetInt64(), value);

        private static bool Length(JsonElement s, int length, string min, string max) =>
            (!s.TryGetProperty(min, out var lo) || length >= lo.GetInt32()) && (!s.TryGetProperty(max, out var hi) || length <= hi.GetInt32());
    }
}
