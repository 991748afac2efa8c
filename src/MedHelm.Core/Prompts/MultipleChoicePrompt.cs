using System.Text;
using MedHelm.Core.Catalog;

namespace MedHelm.Core.Prompts;

/// <summary>
/// Renders a multiple-choice instance the way HELM's multiple-choice joint adapter does:
/// the instructions, a blank line, the context fields ("Context: ..."), the question line,
/// one "X. text" line per option and a final "Answer:" line. The whole prompt is one user turn.
/// </summary>
public static class MultipleChoicePrompt
{
    /// <summary>Builds the prompt for <paramref name="instance"/>.</summary>
    /// <exception cref="ArgumentException">The instance has no options or lacks a context field the definition names.</exception>
    public static PromptMessages Build(BenchmarkDefinition definition, BenchmarkInstance instance)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(instance);
        if (instance.Options.Count == 0)
        {
            throw new ArgumentException($"Instance '{instance.Id}' has no answer options.", nameof(instance));
        }

        var fields = new List<string>(definition.InputFields.Count);
        foreach (var field in definition.InputFields)
        {
            if (!instance.Fields.TryGetValue(field.Key, out var value))
            {
                throw new ArgumentException(
                    $"Instance '{instance.Id}' lacks the field '{field.Key}' required by '{definition.Name}'.",
                    nameof(instance));
            }

            fields.Add(value);
        }

        return new PromptMessages(
            null,
            Render(definition, fields, instance.Question, instance.Options.Select(o => (o.Letter, o.Text))));
    }

    /// <summary>
    /// The prompt template of <paramref name="definition"/> with placeholders ({context}, {question},
    /// {option_A}, ...) in place of instance text; <paramref name="letters"/> gives the option letters.
    /// </summary>
    public static string Template(BenchmarkDefinition definition, IReadOnlyList<char> letters)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(letters);
        return Render(
            definition,
            definition.InputFields.Select(f => "{" + f.Key + "}").ToList(),
            "{question}",
            letters.Select(l => (l, "{option_" + l + "}")));
    }

    private static string Render(
        BenchmarkDefinition definition,
        IReadOnlyList<string> fieldValues,
        string question,
        IEnumerable<(char Letter, string Text)> options)
    {
        var sb = new StringBuilder();
        if (!string.IsNullOrWhiteSpace(definition.Instructions))
        {
            sb.Append(definition.Instructions.Trim()).Append("\n\n");
        }

        for (var i = 0; i < fieldValues.Count; i++)
        {
            sb.Append(definition.InputFields[i].Label).Append(": ").Append(fieldValues[i].Trim()).Append("\n\n");
        }

        sb.Append(definition.QuestionLabel).Append(": ").Append(question.Trim()).Append('\n');
        foreach (var (letter, text) in options)
        {
            sb.Append(letter).Append(". ").Append(text).Append('\n');
        }

        sb.Append(definition.AnswerLabel).Append(':');
        return sb.ToString();
    }
}
