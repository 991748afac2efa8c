using MedHelm.Core.Metrics;
using MedHelm.Inference.Onnx.Tests.Support;
using MedHelm.Testing.Onnx;
using Xunit.Abstractions;

namespace MedHelm.Inference.Onnx.Tests;

public sealed class OnnxTokenEmbedderTests(ITestOutputHelper output)
{
    private static readonly string[] Texts =
    [
        "The cat is playing.", "A dog sat on the mat", "the patient has a fever", "No fever, no chest pain.", "the cat sat on the mat",
        "Chest pain", "the dog is playing on the mat.",
    ];

    private static readonly int Cls = TestOnnxEncoder.Id("[CLS]");
    private static readonly int Sep = TestOnnxEncoder.Id("[SEP]");

    [Fact]
    public void Tokenizes_as_bert_uncased_with_cls_and_sep()
    {
        using var files = new TestOnnxEncoder();
        using var embedder = new OnnxTokenEmbedder(files.Settings(layer: 1));
        int[] expected = [.. new[] { "[CLS]", "the", "cat", "is", "play", "##ing", ".", "[SEP]" }.Select(TestOnnxEncoder.Id)];
        Assert.Equal(expected, embedder.Encode("  The CAT is Playing. "));
        Assert.Equal(expected[1..^1], embedder.TokenIds("The cat is playing."));
        Assert.Equal([Cls, TestOnnxEncoder.Id("cafe"), Sep], embedder.Encode("Café"));
        Assert.Equal([Cls, TestOnnxEncoder.Id("cafe"), Sep], embedder.Encode("CAFE\u0301")); // a combining acute accent
        Assert.Equal([Cls, TestOnnxEncoder.Id("[UNK]"), Sep], embedder.Encode("zebra"));
        Assert.Equal([Cls, Sep], embedder.Encode(""));
    }

    [Fact]
    public void Long_texts_are_cut_keeping_cls_and_sep()
    {
        using var files = new TestOnnxEncoder();
        using var embedder = new OnnxTokenEmbedder(files.Settings(layer: 2, maxTokens: 5));
        Assert.Equal([Cls, TestOnnxEncoder.Id("the"), TestOnnxEncoder.Id("dog"), TestOnnxEncoder.Id("is"), Sep], embedder.Encode("the dog is playing on the mat"));
        Assert.Equal(5, embedder.EmbedTokens("the dog is playing on the mat").Count);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    public void Hidden_states_equal_the_reference_forward_pass(int layer, bool tokenTypes)
    {
        using var files = new TestOnnxEncoder(new TinyEncoderGraph.Shape(TokenTypes: tokenTypes));
        using var embedder = new OnnxTokenEmbedder(files.Settings(layer));
        Assert.Equal(2, embedder.Layers);
        Assert.Equal(layer, embedder.Layer);
        var deviation = 0.0;
        foreach (var text in Texts)
        {
            var vectors = embedder.EmbedTokens(text);
            var reference = files.Model.Forward(embedder.Encode(text), tokenTypes)[layer];
            Assert.Equal(reference.Length, vectors.Count);
            for (var i = 0; i < vectors.Count; i++)
            {
                Assert.Equal(i == 0 || i == vectors.Count - 1, vectors[i].Special);
                deviation = Math.Max(deviation, vectors[i].Vector.Select((v, d) => Math.Abs(v - reference[i][d])).Max());
            }
        }

        output.WriteLine($"layer {layer}: max |ONNX Runtime - reference| over hidden-state values {deviation:E2}");
        Assert.True(deviation < 1e-4, $"hidden states differ by {deviation}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BertScore_equals_the_independent_computation(bool idf)
    {
        using var files = new TestOnnxEncoder(layers: 3);
        var layer = 2;
        using var embedder = new OnnxTokenEmbedder(files.Settings(layer));
        var references = Texts[3..];
        var candidates = Texts[..4].Reverse().ToArray();
        var weights = idf ? BertScore.InverseDocumentFrequency(references.Select(embedder.TokenIds)) : null;
        var referenceWeight = idf
            ? ReferenceBertScore.Idf(references.Select(embedder.Encode).ToArray(), Cls, Sep)
            : ReferenceBertScore.Uniform(Cls, Sep);
        var metric = new BertScoreMetric(embedder, weights);
        var deviation = 0.0;
        foreach (var (candidate, reference) in candidates.SelectMany(c => references.Select(r => (c, r))))
        {
            var actual = BertScore.Compute(embedder.EmbedTokens(candidate), embedder.EmbedTokens(reference), weights);
            var (cIds, rIds) = (embedder.Encode(candidate), embedder.Encode(reference));
            var expected = ReferenceBertScore.Score(files.Model.Forward(cIds, false)[layer], cIds, files.Model.Forward(rIds, false)[layer], rIds, referenceWeight);
            deviation = new[] { deviation, Math.Abs(actual.Precision - expected.P), Math.Abs(actual.Recall - expected.R), Math.Abs(actual.F1 - expected.F) }.Max();
            var scored = metric.Score(candidate, GoldRecord.From(("gold", reference)), ScoringMode.Helm);
            Assert.Equal(actual.F1, scored[BertScoreMetric.MetricName]);
        }

        output.WriteLine($"idf {idf}: max |BERTScore (ONNX Runtime, Core) - independent reference| over P, R, F1 of {candidates.Length * references.Length} pairs {deviation:E2}");
        Assert.True(deviation <= 1e-6, $"BERTScore differs by {deviation}");
    }

    [Fact]
    public void Identical_texts_score_one_and_an_empty_candidate_zero()
    {
        using var files = new TestOnnxEncoder();
        using var embedder = new OnnxTokenEmbedder(files.Settings(layer: 2));
        var same = BertScore.Compute(embedder.EmbedTokens("the cat sat on the mat"), embedder.EmbedTokens("the cat sat on the mat"));
        Assert.Equal(1.0, same.F1, 6);
        Assert.Equal(new BertScoreResult(0, 0, 0), BertScore.Compute(embedder.EmbedTokens("  "), embedder.EmbedTokens("the cat")));
    }

    [Fact]
    public void Runs_on_the_cpu_here_or_says_why_not_cuda()
    {
        using var files = new TestOnnxEncoder();
        using var embedder = new OnnxTokenEmbedder(files.Settings(layer: 1));
        Assert.True(embedder.ExecutionProvider == "CUDA" || embedder.ExecutionProvider.StartsWith("CPU (CUDA not available: ", StringComparison.Ordinal), embedder.ExecutionProvider);
        using var cpu = new OnnxTokenEmbedder(files.Settings(layer: 1) with { Provider = OnnxExecutionProvider.Cpu });
        Assert.Equal("CPU", cpu.ExecutionProvider);
        Assert.Equal(embedder.EmbedTokens("the cat")[1].Vector, cpu.EmbedTokens("the cat")[1].Vector, (a, b) => Math.Abs(a - b) < 1e-4);
    }
}
