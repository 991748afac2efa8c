using System.Globalization;

namespace MedHelm.Gguf.TestModels;

/// <summary>
/// A small WordPiece vocabulary (tokenizer.ggml.model = "bert") in llama.cpp's "phantom space" form: word-initial
/// pieces carry the U+2581 prefix and "##" continuation pieces are stored without it, as conversion/bert.py writes them.
/// [PAD] [UNK] [CLS] [SEP] [MASK] are ids 0..4 (control tokens, stored verbatim).
/// </summary>
public sealed class BertVocabulary
{
    private readonly Dictionary<string, int> _ids;

    private BertVocabulary(string[] tokens, int[] types)
    {
        Tokens = tokens;
        TokenTypes = types;
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < tokens.Length; i++)
        {
            _ids.Add(tokens[i], i);
        }
    }

    public const int PadId = 0;
    public const int UnknownId = 1;
    public const int ClsId = 2;
    public const int SepId = 3;
    public const int MaskId = 4;

    public IReadOnlyList<string> Tokens { get; }

    public IReadOnlyList<int> TokenTypes { get; }

    public int Count => Tokens.Count;

    public int IdOf(string token) => _ids.TryGetValue(token, out var id) ? id : throw new KeyNotFoundException($"Token '{token}' is not in the vocabulary.");

    public bool Contains(string token) => _ids.ContainsKey(token);

    public static BertVocabulary Create()
    {
        var b = new VocabularyBuilder();
        b.Add("[PAD]", 0f, GgufTokenType.Control);
        b.Add("[UNK]", 0f, GgufTokenType.Control);
        b.Add("[CLS]", 0f, GgufTokenType.Control);
        b.Add("[SEP]", 0f, GgufTokenType.Control);
        b.Add("[MASK]", 0f, GgufTokenType.Control);

        // Single characters, word-initial ("a" -> "▁a") and continuation ("##a" -> "a"); the lower-casing normalizer
        // means upper-case letters are not needed.
        for (var c = '!'; c <= '~'; c++)
        {
            if (char.IsUpper(c))
            {
                continue;
            }
            var ch = c.ToString(CultureInfo.InvariantCulture);
            b.TryAdd(SpmVocabulary.SpaceMarker + ch, 0f, GgufTokenType.Normal, out _);
            b.TryAdd(ch, 0f, GgufTokenType.Normal, out _);
        }
        foreach (var word in WordLists.Common.Concat(WordLists.Medical))
        {
            b.TryAdd(SpmVocabulary.SpaceMarker + word.ToLowerInvariant(), 0f, GgufTokenType.Normal, out _);
        }
        foreach (var suffix in WordLists.Suffixes)
        {
            b.TryAdd(suffix, 0f, GgufTokenType.Normal, out _);
        }
        return new BertVocabulary(b.Tokens, b.Types);
    }
}
