using MedHelm.Gguf.TestModels;
using MedHelm.Gguf.Tests.Support;

namespace MedHelm.Gguf.Tests;

/// <summary>
/// The malformed-model campaign (issue 16): files the GGUF reader accepts but llama.cpp would refuse or abort on.
/// Each must be refused by the validator with an error naming the file and the key or tensor at fault.
/// </summary>
public sealed class MalformedModelCampaignTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Names => new(MalformedModels.All.Keys);

    public static TheoryData<string> ValidBases => new("llama", "deepseek-r1", "bert", "bpe", "qwen2", "qwen3", "mistral3", "gemma", "gemma2", "gemma3", "nomic-bert");

    [Fact]
    public void The_campaign_holds_at_least_120_files() => Assert.True(MalformedModels.All.Count >= 120, $"{MalformedModels.All.Count} cases");

    [Theory]
    [MemberData(nameof(Names))]
    public void Refused_with_the_file_and_the_field_named(string name)
    {
        var model = MalformedModels.All[name];
        var path = _temp.File(name + ".gguf");
        model.Build().WriteTo(path);

        var file = GgufReader.Read(path);
        var e = Assert.Throws<GgufFormatException>(() => GgufModelValidator.Validate(file));

        Assert.Equal(path, e.Path);
        Assert.StartsWith(name + ".gguf: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(model.Fragment, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ValidBases))]
    public void The_bases_the_campaign_breaks_are_valid(string name)
    {
        var writer = name switch
        {
            "llama" => ModelBases.Llama(),
            "deepseek-r1" => TestModelFactory.CreateWriter(ModelBases.LlamaSpec with { Kind = TestModelKind.DeepSeekR1 }),
            "bert" => ModelBases.Bert(),
            "bpe" => ModelBases.Bpe(),
            "nomic-bert" => ModelBases.Relabel(ModelBases.Bert(), "bert", "nomic-bert"),
            _ => ModelBases.Decoder(name),
        };
        var path = _temp.File(name + ".gguf");
        writer.WriteTo(path);

        Assert.Empty(GgufModelValidator.Validate(GgufReader.Read(path)));
    }
}
