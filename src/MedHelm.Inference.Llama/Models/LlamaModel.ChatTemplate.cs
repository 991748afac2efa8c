using System.Text;
using MedHelm.Inference.Llama.ChatTemplates;

namespace MedHelm.Inference.Llama.Models;

public sealed partial class LlamaModel
{
    /// <summary>
    /// The file's chat template, parsed and checked at load by the Jinja interpreter (null when the file has none).
    /// </summary>
    public ChatTemplates.ChatTemplate? Template { get; }

    /// <summary>
    /// Renders a conversation with the model's own Jinja chat template, as llama-server's /apply-template does
    /// (see <see cref="ChatTemplates.ChatTemplate"/>). The leading BOS is left out when the tokenizer adds it: tokenize the result
    /// with addSpecial and parseSpecial.
    /// </summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="addAssistantPrefix">Append the assistant turn's opening (add_generation_prompt).</param>
    /// <param name="now">The time the template sees (strftime_now, date_string); fixed per run by the caller.</param>
    /// <exception cref="NotSupportedException">The file has no chat template.</exception>
    /// <exception cref="ChatTemplateException">The template refused the conversation (raise_exception) or failed on it.</exception>
    public string ApplyChatTemplate(IReadOnlyList<(string Role, string Content)> messages, bool addAssistantPrefix, DateTime now)
    {
        if (Template is null)
        {
            throw new NotSupportedException($"{System.IO.Path.GetFileName(Path)} has no chat template (tokenizer.chat_template); it cannot be used as a chat model.");
        }

        return Template.Render(messages.Select(m => new ChatTemplateMessage(m.Role, m.Content)).ToList(), now, addAssistantPrefix);
    }

    /// <summary>Parses the template with the vocabulary's BOS/EOS text, or explains in a load error why it cannot run.</summary>
    private static ChatTemplates.ChatTemplate? LoadTemplate(string? source, LlamaVocabulary vocabulary, string fileName)
    {
        if (source is null)
        {
            return null;
        }

        var tokens = new ChatTemplateTokens(Piece(vocabulary, vocabulary.Bos), Piece(vocabulary, vocabulary.Eos), vocabulary.AddsBos, vocabulary.AddsEos);
        try
        {
            return ChatTemplates.ChatTemplate.Load(source, tokens);
        }
        catch (ChatTemplateException e)
        {
            throw new LlamaModelLoadException($"The chat template (tokenizer.chat_template) of {fileName} cannot be executed: {e.Message}", e);
        }
    }

    private static string Piece(LlamaVocabulary vocabulary, int token) =>
        token < 0 ? "" : Encoding.UTF8.GetString(vocabulary.TokenBytes(token, renderSpecial: true));
}
