using MedHelm.Gguf.TestModels;

namespace MedHelm.Gguf.Tests.Support;

/// <summary>
/// Small valid models of several architectures and tokenizers, as writers a test can break one thing in. The llama
/// base is TestModelFactory's (SPM tokenizer, 2 blocks, n_embd 32); the others are it or the bert model re-labelled,
/// which is enough for llama.cpp's loaders of those architectures to accept them.
/// </summary>
public static class ModelBases
{
    public const int Embd = 32;
    public const int Layers = 2;

    public static TestModelSpec LlamaSpec { get; } = new() { Embd = Embd, Layers = Layers, Heads = 4, FeedForward = 64, ContextLength = 256 };

    public static TestModelSpec BertSpec { get; } = new(TestModelKind.Bert) { Embd = Embd, Layers = Layers, Heads = 4, FeedForward = 64, ContextLength = 64 };

    /// <summary>The head size of the bases (n_embd / heads).</summary>
    public static int HeadSize => Embd / 4;

    public static GgufWriter Llama() => TestModelFactory.CreateWriter(LlamaSpec);

    public static GgufWriter Bert() => TestModelFactory.CreateWriter(BertSpec);

    /// <summary>The llama base under another decoder architecture name (qwen2, qwen3, mistral3, gemma, gemma2, gemma3, phi3).</summary>
    public static GgufWriter Decoder(string arch) => Relabel(Llama(), "llama", arch);

    /// <summary>The llama base with a BPE (gpt2) tokenizer and a few merges of its own pieces.</summary>
    public static GgufWriter Bpe()
    {
        var w = Llama();
        w.Set("tokenizer.ggml.model", GgufValue.FromString("gpt2"));
        w.TryGet("tokenizer.ggml.tokens", out var tokens);
        var pieces = tokens.AsStringArray().Where(t => t.Length > 0 && !t.Contains(' ', StringComparison.Ordinal) && !t.StartsWith('<')).Take(6).ToArray();
        w.Add("tokenizer.ggml.merges", new[] { $"{pieces[0]} {pieces[1]}", $"{pieces[2]} {pieces[3]}", $"{pieces[4]} {pieces[5]}" });
        return w;
    }

    /// <summary>Renames general.architecture and every "{from}." key to <paramref name="to"/>.</summary>
    public static GgufWriter Relabel(GgufWriter w, string from, string to)
    {
        w.Set("general.architecture", GgufValue.FromString(to));
        foreach (var key in w.Keys.Where(k => k.StartsWith(from + ".", StringComparison.Ordinal)).ToList())
        {
            w.TryGet(key, out var value);
            w.Remove(key);
            w.Add(to + key[from.Length..], value);
        }
        return w;
    }

    /// <summary>Replaces a tensor by zeros of another shape (F32).</summary>
    public static void Reshape(GgufWriter w, string name, params int[] shape)
    {
        w.RemoveTensor(name);
        w.AddTensor(name, shape, GgmlType.F32, new float[shape.Aggregate(1, (a, d) => a * d)]);
    }

    public static void AddZeros(GgufWriter w, string name, params int[] shape) =>
        w.AddTensor(name, shape, GgmlType.F32, new float[shape.Aggregate(1, (a, d) => a * d)]);

    /// <summary>The token list of a writer.</summary>
    public static string[] Tokens(GgufWriter w) => w.TryGet("tokenizer.ggml.tokens", out var v) ? v.AsStringArray() : [];

    /// <summary>Replaces one token's text.</summary>
    public static void SetToken(GgufWriter w, int index, string text)
    {
        var tokens = Tokens(w).ToArray();
        tokens[index] = text;
        w.Set("tokenizer.ggml.tokens", GgufValue.FromArray(tokens));
    }
}
