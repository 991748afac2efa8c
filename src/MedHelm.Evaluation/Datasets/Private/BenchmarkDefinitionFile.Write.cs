using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedHelm.Core.Catalog;

namespace MedHelm.Evaluation.Datasets.Private;

public static partial class BenchmarkDefinitionFile
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// The definition as a definition file, with the keys <see cref="Parse"/> reads: parsing it gives back the same
    /// definition. One built-in cannot be read back: Medec's answer is a label without a fixed set of labels
    /// (CORRECT, or a sentence id with the corrected sentence), which the file format does not express
    /// (docs/private-benchmarks.md).
    /// </summary>
    public static JsonObject ToJson(BenchmarkDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var json = new JsonObject
        {
            ["name"] = definition.Name,
            ["display_name"] = definition.DisplayName,
            ["category"] = definition.Category.Abbreviation,
            ["subcategory"] = definition.Subcategory,
            ["access"] = definition.Access.ToString().ToLowerInvariant(),
        };
        if (definition.Task.Length > 0)
        {
            json["task"] = definition.Task;
        }

        json["instructions"] = definition.Instructions;
        if (definition.PromptTemplate is { } template)
        {
            json["prompt_template"] = template;
        }

        if (definition.QuestionLabel != "Question")
        {
            json["question_label"] = definition.QuestionLabel;
        }

        if (definition.AnswerLabel != "Answer")
        {
            json["answer_label"] = definition.AnswerLabel;
        }

        json["fields"] = new JsonArray(definition.InputFields.Select(f => (JsonNode)new JsonObject { ["key"] = f.Key, ["label"] = f.Label }).ToArray());
        json["answer"] = Answer(definition);
        json["metric"] = definition.MainMetric;
        json["max_tokens"] = definition.MaxTokens;
        json["stop_sequences"] = Strings(definition.StopSequences);
        if (definition.SubRuns.Count > 0)
        {
            json["runs"] = new JsonArray(definition.SubRuns.Select(r => (JsonNode)new JsonObject { ["name"] = r.Name, ["description"] = r.Description }).ToArray());
        }

        if (definition.ReferenceInstanceCount is { } count)
        {
            json["reference_instance_count"] = count;
        }

        return json;
    }

    /// <summary>The definition file of <paramref name="definition"/> (<see cref="ToJson"/>), indented, as text.</summary>
    public static string Write(BenchmarkDefinition definition) => ToJson(definition).ToJsonString(Indented);

    /// <summary>JSON nodes (e.g. a list of <see cref="ToJson"/> objects) as indented text, written as the definition files are.</summary>
    public static string Write(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.ToJsonString(Indented);
    }

    private static JsonObject Answer(BenchmarkDefinition definition)
    {
        var answer = new JsonObject
        {
            ["type"] = definition.AnswerKind switch
            {
                AnswerKind.Letter => "letter",
                AnswerKind.YesNo => "yes_no",
                AnswerKind.Label => "label",
                AnswerKind.Number => "number",
                AnswerKind.CodeList => "code_list",
                _ => "free_text",
            },
        };
        if (definition.Labels.Count > 0 && definition.AnswerKind is AnswerKind.Letter or AnswerKind.YesNo or AnswerKind.Label)
        {
            answer["labels"] = Strings(definition.Labels);
        }

        if (definition.AnswerKind == AnswerKind.Number && definition.Tolerance is { } tolerance)
        {
            answer["tolerance"] = tolerance.Value;
            answer["relative"] = tolerance.Relative;
        }

        if (definition.AnswerKind == AnswerKind.FreeText && definition.JuryCriteria.Count > 0)
        {
            answer["jury_criteria"] = new JsonArray(
                definition.JuryCriteria.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["question"] = c.Question }).ToArray());
        }

        answer["format"] = definition.AnswerFormat;
        return answer;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
}
