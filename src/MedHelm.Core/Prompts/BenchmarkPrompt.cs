using System.Text;
using MedHelm.Core.Catalog;

namespace MedHelm.Core.Prompts;

/// <summary>
/// Builds the prompt of any benchmark. A definition with a <see cref="BenchmarkDefinition.PromptTemplate"/> fills
/// its named slots; otherwise instances with options go through <see cref="MultipleChoicePrompt"/> (unchanged HELM
/// layout) and the others are laid out as instructions, "Label: value" fields, the question and the answer line.
/// </summary>
public static class BenchmarkPrompt
{
    /// <summary>Builds the prompt for <paramref name="instance"/>.</summary>
    /// <exception cref="ArgumentException">The instance lacks a field the definition or its template names.</exception>
    public static PromptMessages Build(BenchmarkDefinition definition, BenchmarkInstance instance)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(instance);
        if (definition.PromptTemplate is { } template)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["question"] = instance.Question.Trim(),
                ["options"] = string.Join("\n", instance.Options.Select(o => $"{o.Letter}. {o.Text}")),
            };
            foreach (var field in definition.InputFields)
            {
                values[field.Key] = RequireField(definition, instance, field.Key).Trim();
            }

            var filled = PromptTemplateSlots.Fill(template, values);
            return new PromptMessages(
                null,
                string.IsNullOrWhiteSpace(definition.Instructions) ? filled : definition.Instructions.Trim() + "\n\n" + filled);
        }

        if (instance.Options.Count > 0)
        {
            return MultipleChoicePrompt.Build(definition, instance);
        }

        var sb = new StringBuilder();
        if (!string.IsNullOrWhiteSpace(definition.Instructions))
        {
            sb.Append(definition.Instructions.Trim()).Append("\n\n");
        }

        foreach (var field in definition.InputFields)
        {
            sb.Append(field.Label).Append(": ").Append(RequireField(definition, instance, field.Key).Trim()).Append("\n\n");
        }

        if (!string.IsNullOrWhiteSpace(instance.Question))
        {
            sb.Append(definition.QuestionLabel).Append(": ").Append(instance.Question.Trim()).Append('\n');
        }

        sb.Append(definition.AnswerLabel).Append(':');
        return new PromptMessages(null, sb.ToString());
    }

    private static string RequireField(BenchmarkDefinition definition, BenchmarkInstance instance, string key) =>
        instance.Fields.TryGetValue(key, out var value)
            ? value
            : throw new ArgumentException(
                $"Instance '{instance.Id}' lacks the field '{key}' required by '{definition.Name}'.", nameof(instance));
}
