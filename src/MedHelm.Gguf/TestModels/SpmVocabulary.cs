using System.Globalization;

namespace MedHelm.Gguf.TestModels;

/// <summary>
/// A small SentencePiece (tokenizer.ggml.model = "llama") vocabulary: &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, the 256 byte tokens,
/// the chat-template special tokens of the model kind, single printable ASCII characters, the space marker "▁",
/// and common English and medical words with every prefix, so SPM's bigram merges reach whole words.
/// </summary>
public sealed class SpmVocabulary
{
    /// <summary>SPM's space marker (U+2581).</summary>
    public const string SpaceMarker = "\u2581";

    public const string LlamaBeginOfText = "<|begin_of_text|>";
    public const string LlamaStartHeader = "<|start_header_id|>";
    public const string LlamaEndHeader = "<|end_header_id|>";
    public const string LlamaEndOfTurn = "<|eot_id|>";

    public const string DeepSeekBeginOfSentence = "<｜begin▁of▁sentence｜>";
    public const string DeepSeekEndOfSentence = "<｜end▁of▁sentence｜>";
    public const string DeepSeekUser = "<｜User｜>";
    public const string DeepSeekAssistant = "<｜Assistant｜>";
    public const string ThinkOpen = "<think>";
    public const string ThinkClose = "</think>";

    private readonly Dictionary<string, int> _ids;

    private SpmVocabulary(string[] tokens, float[] scores, int[] types, int bos, int eos, int unk, int? eot)
    {
        Tokens = tokens;
        Scores = scores;
        TokenTypes = types;
        BosId = bos;
        EosId = eos;
        UnknownId = unk;
        EotId = eot;
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < tokens.Length; i++)
        {
            _ids.Add(tokens[i], i);
        }
    }

    public IReadOnlyList<string> Tokens { get; }

    public IReadOnlyList<float> Scores { get; }

    public IReadOnlyList<int> TokenTypes { get; }

    public int BosId { get; }

    public int EosId { get; }

    public int UnknownId { get; }

    /// <summary>End-of-turn token (&lt;|eot_id|&gt; for Llama), or null.</summary>
    public int? EotId { get; }

    public int Count => Tokens.Count;

    public int IdOf(string token) => _ids.TryGetValue(token, out var id) ? id : throw new KeyNotFoundException($"Token '{token}' is not in the vocabulary.");

    public bool Contains(string token) => _ids.ContainsKey(token);

    public static SpmVocabulary Create(TestModelKind kind)
    {
        if (kind == TestModelKind.Bert)
        {
            throw new ArgumentException("Bert models use a WordPiece vocabulary (BertVocabulary), not SPM.", nameof(kind));
        }

        var b = new VocabularyBuilder();
        var unk = b.Add("<unk>", 0f, GgufTokenType.Unknown);
        var s = b.Add("<s>", 0f, GgufTokenType.Control);
        var eosS = b.Add("</s>", 0f, GgufTokenType.Control);
        for (var i = 0; i < 256; i++)
        {
            b.Add("<0x" + i.ToString("X2", CultureInfo.InvariantCulture) + ">", 0f, GgufTokenType.Byte);
        }

        int bos, eos;
        int? eot = null;
        if (kind == TestModelKind.Llama)
        {
            bos = b.Add(LlamaBeginOfText, 0f, GgufTokenType.Control);
            b.Add(LlamaStartHeader, 0f, GgufTokenType.Control);
            b.Add(LlamaEndHeader, 0f, GgufTokenType.Control);
            eot = b.Add(LlamaEndOfTurn, 0f, GgufTokenType.Control);
            eos = eosS;
        }
        else
        {
            bos = b.Add(DeepSeekBeginOfSentence, 0f, GgufTokenType.Control);
            eos = b.Add(DeepSeekEndOfSentence, 0f, GgufTokenType.Control);
            b.Add(DeepSeekUser, 0f, GgufTokenType.Control);
            b.Add(DeepSeekAssistant, 0f, GgufTokenType.Control);
            b.Add(ThinkOpen, 0f, GgufTokenType.UserDefined);
            b.Add(ThinkClose, 0f, GgufTokenType.UserDefined);
        }
        _ = s;

        var order = 0;
        float Score(string piece) => -1000f + 10f * piece.Length - 0.001f * order++;

        AddPiece(b, SpaceMarker, Score(SpaceMarker));
        for (var c = '!'; c <= '~'; c++)
        {
            var piece = c.ToString();
            AddPiece(b, piece, Score(piece));
        }

        foreach (var word in WordLists.Common.Concat(WordLists.Medical).Concat(WordLists.Capitalized))
        {
            AddWithPrefixes(b, SpaceMarker + word, Score);
        }
        foreach (var word in WordLists.SentenceStarts)
        {
            AddWithPrefixes(b, word, Score);
        }

        return new SpmVocabulary(b.Tokens, b.Scores, b.Types, bos, eos, unk, eot);
    }

    private static void AddPiece(VocabularyBuilder b, string piece, float score) => b.TryAdd(piece, score, GgufTokenType.Normal, out _);

    /// <summary>Adds every prefix of length >= 2, so any left-to-right sequence of bigram merges inside the word stays in the vocabulary.</summary>
    private static void AddWithPrefixes(VocabularyBuilder b, string piece, Func<string, float> score)
    {
        for (var len = 2; len <= piece.Length; len++)
        {
            var prefix = piece[..len];
            AddPiece(b, prefix, score(prefix));
        }
    }
}
