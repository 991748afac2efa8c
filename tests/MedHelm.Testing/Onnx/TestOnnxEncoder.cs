namespace MedHelm.Testing.Onnx;

/// <summary>
/// A generated random-weight ONNX encoder (<see cref="TinyEncoder"/>: hidden_states.0 … N) and its WordPiece vocab.txt
/// in a temporary folder, deleted on dispose.
/// </summary>
public sealed class TestOnnxEncoder : IDisposable
{
    /// <summary>The WordPiece vocabulary: special tokens first, as BERT's; the line number is the id.</summary>
    public static readonly IReadOnlyList<string> Vocabulary =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
        "the", "cat", "dog", "is", "play", "##ing", "sat", "on", "mat", "a", "patient", "has", "fever", "no", ".", ",", "cafe", "pain", "chest",
    ];

    private readonly TempFolder _folder = new();

    public TestOnnxEncoder(TinyEncoderGraph.Shape? shape = null, int layers = 2, int seed = 17)
    {
        Model = new TinyEncoder(Vocabulary.Count, layers: layers, seed: seed);
        ModelPath = _folder.File("encoder.onnx");
        VocabularyPath = _folder.File("vocab.txt");
        TinyEncoderGraph.Write(Model, ModelPath, shape);
        File.WriteAllLines(VocabularyPath, Vocabulary);
    }

    public TinyEncoder Model { get; }

    public string ModelPath { get; }

    public string VocabularyPath { get; }

    public string Folder => _folder.Path;

    /// <summary>The id of <paramref name="token"/> in <see cref="Vocabulary"/>.</summary>
    public static int Id(string token) =>
        Vocabulary.ToList().IndexOf(token) is >= 0 and var id ? id : throw new ArgumentException($"'{token}' is not in the test vocabulary.");

    public void Dispose() => _folder.Dispose();
}
