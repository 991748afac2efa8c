using System.Text;
using MedHelm.Inference.Llama.Native;

namespace MedHelm.Inference.Llama.Models;

public sealed unsafe partial class LlamaModel
{
    /// <summary>
    /// Renders a conversation with the model's own chat template through llama.cpp's built-in template
    /// formats (llama.cpp recognises the template; it is not a Jinja engine). The result has no BOS:
    /// tokenize it with addSpecial and parseSpecial.
    /// </summary>
    /// <exception cref="NotSupportedException">The file has no template or llama.cpp does not recognise it.</exception>
    public string ApplyChatTemplate(IReadOnlyList<(string Role, string Content)> messages, bool addAssistantPrefix = true)
    {
        var name = System.IO.Path.GetFileName(Path);
        if (ChatTemplate is null)
        {
            throw new NotSupportedException($"{name} has no chat template (tokenizer.chat_template); it cannot be used as a chat model.");
        }

        var strings = new List<nint>();
        try
        {
            var template = Utf8Alloc(ChatTemplate, strings);
            var native = new LlamaChatMessage[messages.Count];
            var totalChars = 0;
            for (var i = 0; i < messages.Count; i++)
            {
                native[i].Role = Utf8Alloc(messages[i].Role, strings);
                native[i].Content = Utf8Alloc(messages[i].Content, strings);
                totalChars += Encoding.UTF8.GetByteCount(messages[i].Content) + Encoding.UTF8.GetByteCount(messages[i].Role);
            }

            var capacity = Math.Max(1024, totalChars * 2 + 512);
            while (true)
            {
                var buffer = new byte[capacity];
                int length;
                fixed (LlamaChatMessage* m = native)
                fixed (byte* b = buffer)
                {
                    length = LlamaNative.llama_chat_apply_template(template, m, (nuint)native.Length, addAssistantPrefix, b, capacity);
                }

                if (length < 0)
                {
                    throw new NotSupportedException(
                        $"The chat template of {name} is not one of the formats llama.cpp {Runtime.LlamaCppVersion.Value} recognises; " +
                        "use a model with a Llama 3, DeepSeek-R1, ChatML or another built-in template.");
                }

                if (length <= capacity)
                {
                    return Encoding.UTF8.GetString(buffer, 0, length);
                }

                capacity = length;
            }
        }
        finally
        {
            foreach (var p in strings)
            {
                System.Runtime.InteropServices.NativeMemory.Free((void*)p);
            }
        }
    }

    private static byte* Utf8Alloc(string text, List<nint> owned)
    {
        var count = Encoding.UTF8.GetByteCount(text);
        var p = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)count + 1);
        owned.Add((nint)p);
        Encoding.UTF8.GetBytes(text, new Span<byte>(p, count));
        p[count] = 0;
        return p;
    }
}
