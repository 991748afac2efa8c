namespace MedHelm.Inference.Onnx.Tests.Support;

/// <summary>A generated encoder and its vocab.txt in a temporary folder.</summary>
internal sealed class TestEncoderFiles : IDisposable
{
    /// <summary>The WordPiece vocabulary: special tokens first, as BERT's; the line number is the id.</summary>
    public static readonly string[] Vocabulary =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
        "the", "cat", "dog", "is", "play", "##ing", "sat", "on", "mat", "a", "patient", "has", "fever", "no", ".", ",", "cafe", "pain", "chest",
    ];

    private readonly TempFolder _folder = new();

    public TestEncoderFiles(TinyEncoderGraph.Shape? shape = null, int layers = 2, int seed = 17)
    {
        Model = new TinyEncoder(Vocabulary.Length, layers: layers, seed: seed);
        ModelPath = Path.Combine(_folder.Path, "encoder.onnx");
        VocabularyPath = Path.Combine(_folder.Path, "vocab.txt");
        TinyEncoderGraph.Write(Model, ModelPath, shape);
        File.WriteAllLines(VocabularyPath, Vocabulary);
    }

    public TinyEncoder Model { get; }

    public string ModelPath { get; }

    public string VocabularyPath { get; }

    public string Folder => _folder.Path;

    /// <summary>The id of <paramref name="token"/> in <see cref="Vocabulary"/>.</summary>
    public static int Id(string token) => Array.IndexOf(Vocabulary, token) is >= 0 and var id ? id : throw new ArgumentException($"'{token}' is not in the test vocabulary.");

    public OnnxEncoderSettings Settings(int layer, int maxTokens = 512) =>
        new(ModelPath, VocabularyPath, layer, LowerCase: true, maxTokens, OnnxExecutionProvider.Auto, "tiny-test-encoder");

    public void Dispose() => _folder.Dispose();
}
