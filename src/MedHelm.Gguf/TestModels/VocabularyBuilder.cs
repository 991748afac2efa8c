namespace MedHelm.Gguf.TestModels;

/// <summary>Collects unique tokens with scores and types (llama.cpp aborts on duplicate token texts).</summary>
internal sealed class VocabularyBuilder
{
    private readonly List<string> _tokens = new();
    private readonly List<float> _scores = new();
    private readonly List<int> _types = new();
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    public int Count => _tokens.Count;

    /// <summary>Adds a token that must be new; returns its id.</summary>
    public int Add(string text, float score, int type)
    {
        if (!TryAdd(text, score, type, out var id))
        {
            throw new InvalidOperationException($"Token '{text}' is already in the vocabulary.");
        }
        return id;
    }

    /// <summary>Adds a token unless present; returns whether it was added.</summary>
    public bool TryAdd(string text, float score, int type, out int id)
    {
        if (_ids.TryGetValue(text, out id))
        {
            return false;
        }
        id = _tokens.Count;
        _ids.Add(text, id);
        _tokens.Add(text);
        _scores.Add(score);
        _types.Add(type);
        return true;
    }

    public string[] Tokens => _tokens.ToArray();

    public float[] Scores => _scores.ToArray();

    public int[] Types => _types.ToArray();
}
