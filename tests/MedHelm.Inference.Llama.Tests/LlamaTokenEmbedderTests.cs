using MedHelm.Core.Metrics;
using MedHelm.Gguf.TestModels;
using MedHelm.Inference.Llama.Embeddings;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Tests.Support;

namespace MedHelm.Inference.Llama.Tests;

[Collection(LlamaCollection.Name)]
public sealed class LlamaTokenEmbedderTests(LlamaFixture fixture)
{
    [Fact]
    public void Token_embeddings_of_a_bert_model_drive_bertscore()
    {
        var path = fixture.NewFile("bert-tokens.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Bert, Layers = 2, Embd = 64, Seed = 5 }, path);
        using var model = LlamaModel.Load(path);
        using var embedder = new LlamaTokenEmbedder(model, maxTokens: 64, threads: 2);

        const string text = "the patient has a fever and chest pain";
        var vectors = embedder.EmbedTokens(text);
        var tokens = model.Vocabulary.Tokenize(text, addSpecial: true, parseSpecial: false);
        Assert.Equal(tokens.Count(t => !model.Vocabulary.IsControl(t)), vectors.Count);
        Assert.All(vectors, v => Assert.Equal(64, v.Vector.Length));

        var same = BertScore.Compute(vectors, embedder.EmbedTokens(text));
        Assert.Equal(1.0, same.F1, 4);

        var other = BertScore.Compute(vectors, embedder.EmbedTokens("discharge home with aspirin"));
        Assert.True(other.F1 < 0.999, $"different texts should not match perfectly (F1 {other.F1})");

        var metric = new BertScoreMetric(embedder);
        var gold = new GoldRecord(System.Text.Json.JsonDocument.Parse("{\"gold\":\"the patient has a fever and chest pain\"}").RootElement);
        Assert.Equal(1.0, metric.Score(text, gold, ScoringMode.Corrected)[BertScoreMetric.MetricName], 4);
    }

    [Fact]
    public void Texts_longer_than_the_context_are_cut_to_it()
    {
        var path = fixture.NewFile("bert-long.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Bert, Layers = 1, Embd = 32, Seed = 6 }, path);
        using var model = LlamaModel.Load(path);
        using var embedder = new LlamaTokenEmbedder(model, maxTokens: 256, threads: 2);
        var vectors = embedder.EmbedTokens(string.Join(' ', Enumerable.Repeat("hypertension", 600)));
        Assert.InRange(vectors.Count, 200, embedder.MaxTokens);
    }
}
