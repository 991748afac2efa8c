using System.Numerics.Tensors;
using MedHelm.Gguf.TestModels;
using MedHelm.Inference.Llama.Embeddings;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Tests.Support;

namespace MedHelm.Inference.Llama.Tests;

[Collection(LlamaCollection.Name)]
public sealed class LlamaEmbeddingGeneratorTests(LlamaFixture fixture)
{
    [Fact]
    public async Task A_generated_bert_model_gives_one_vector_per_text_independent_of_batch_company()
    {
        var path = fixture.NewFile("bert-embed.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Bert, Layers = 2, Embd = 64, Seed = 3 }, path);
        using var generator = new LlamaEmbeddingGenerator(LlamaModel.Load(path), sequences: 4, contextPerSequence: 128, threads: 2, ownsModel: true);

        string[] texts = ["the patient has a fever", "no", "chest pain radiating to the left arm after exercise", "the patient has a fever"];
        var together = await generator.GenerateAsync(texts);
        Assert.Equal(4, together.Count);
        Assert.All(together, e => Assert.Equal(64, e.Vector.Length));
        Assert.Equal(64, generator.Metadata.DefaultModelDimensions);

        // same text, same vector (to float rounding); different texts, different vectors
        AssertClose(together[0].Vector.Span, together[3].Vector.Span);
        Assert.True(TensorPrimitives.CosineSimilarity(together[0].Vector.Span, together[2].Vector.Span) < 0.9999f);

        // a text embedded alone gets the vector it got in a mixed-length batch
        var alone = await generator.GenerateAsync([texts[2]]);
        AssertClose(together[2].Vector.Span, alone[0].Vector.Span);

        Assert.True(together.Usage!.InputTokenCount > 4);
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-4f);
        }
    }
}
