using System.Text;
using MedHelm.Inference.Llama.Native;

namespace MedHelm.Inference.Llama.Models;

/// <summary>The tokenizer of a loaded model (owned by the model; valid while it lives).</summary>
public sealed unsafe class LlamaVocabulary
{
    private readonly nint _vocab;
    private readonly SafeLlamaModelHandle _owner;

    internal LlamaVocabulary(nint vocab, SafeLlamaModelHandle owner)
    {
        _vocab = vocab;
        _owner = owner;
    }

    public int Count => LlamaNative.llama_vocab_n_tokens(_vocab);

    public int Bos => LlamaNative.llama_vocab_bos(_vocab);

    public int Eos => LlamaNative.llama_vocab_eos(_vocab);

    /// <summary>Whether tokenizing with addSpecial puts BOS in front (tokenizer.ggml.add_bos_token or the tokenizer's default).</summary>
    public bool AddsBos => LlamaNative.llama_vocab_get_add_bos(_vocab);

    /// <summary>Whether tokenizing with addSpecial appends EOS.</summary>
    public bool AddsEos => LlamaNative.llama_vocab_get_add_eos(_vocab);

    public bool IsEndOfGeneration(int token) => LlamaNative.llama_vocab_is_eog(_vocab, token);

    public bool IsControl(int token) => LlamaNative.llama_vocab_is_control(_vocab, token);

    internal nint Pointer => _vocab;

    /// <summary>Tokenizes UTF-8 text. <paramref name="addSpecial"/> adds BOS when the model wants it;
    /// <paramref name="parseSpecial"/> turns control-token text (e.g. &lt;|eot_id|&gt;) into those tokens.</summary>
    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var tokens = new int[bytes.Length + 8];
        fixed (byte* t = bytes)
        {
            while (true)
            {
                int n;
                fixed (int* o = tokens)
                {
                    n = LlamaNative.llama_tokenize(_vocab, t, bytes.Length, o, tokens.Length, addSpecial, parseSpecial);
                }

                if (n == int.MinValue)
                {
                    throw new InvalidOperationException("The text is too long to tokenize (more than 2^31 tokens).");
                }

                if (n >= 0)
                {
                    return tokens[..n];
                }

                tokens = new int[-n];
            }
        }
    }

    /// <summary>The raw bytes of one token (may be part of a UTF-8 character for byte tokens).</summary>
    public byte[] TokenBytes(int token, bool renderSpecial = false)
    {
        Span<byte> buffer = stackalloc byte[128];
        fixed (byte* b = buffer)
        {
            var n = LlamaNative.llama_token_to_piece(_vocab, token, b, buffer.Length, 0, renderSpecial);
            if (n >= 0)
            {
                return buffer[..n].ToArray();
            }

            var large = new byte[-n];
            fixed (byte* l = large)
            {
                n = LlamaNative.llama_token_to_piece(_vocab, token, l, large.Length, 0, renderSpecial);
            }

            return large[..Math.Max(n, 0)];
        }
    }

    /// <summary>Detokenizes a whole token list to text.</summary>
    public string Detokenize(ReadOnlySpan<int> tokens, bool removeSpecial = false, bool renderSpecial = false)
    {
        if (tokens.IsEmpty)
        {
            return "";
        }

        var capacity = tokens.Length * 8 + 16;
        while (true)
        {
            var buffer = new byte[capacity];
            int n;
            fixed (int* t = tokens)
            fixed (byte* b = buffer)
            {
                n = LlamaNative.llama_detokenize(_vocab, t, tokens.Length, b, capacity, removeSpecial, renderSpecial);
            }

            if (n >= 0)
            {
                return Encoding.UTF8.GetString(buffer, 0, n);
            }

            capacity = -n;
        }
    }

    /// <summary>Keeps the owning model alive while a vocabulary is in use.</summary>
    internal SafeLlamaModelHandle Owner => _owner;
}
