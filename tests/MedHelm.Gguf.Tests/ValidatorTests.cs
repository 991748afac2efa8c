using MedHelm.Gguf.TestModels;
using MedHelm.Gguf.Tests.Support;

namespace MedHelm.Gguf.Tests;

public sealed class ValidatorTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A minimal llama-like model with one key replaced (or removed when value is null).</summary>
    private GgufFile Model(string fileName, string? overrideKey = null, GgufValue? overrideValue = null, bool withEmbedding = true, string[]? tokens = null)
    {
        var values = new List<KeyValuePair<string, GgufValue>>
        {
            new("general.architecture", GgufValue.FromString("llama")),
            new("llama.block_count", GgufValue.FromUInt32(2)),
            new("llama.embedding_length", GgufValue.FromUInt32(32)),
            new("llama.attention.head_count", GgufValue.FromUInt32(1)),
            new("llama.context_length", GgufValue.FromUInt32(128)),
            new("llama.attention.layer_norm_rms_epsilon", GgufValue.FromFloat32(1e-5f)),
            new("tokenizer.ggml.model", GgufValue.FromString("llama")),
            new("tokenizer.ggml.tokens", GgufValue.FromArray(tokens ?? ["<unk>", "<s>", "</s>", "a"])),
            new("tokenizer.chat_template", GgufValue.FromString("{{ messages }}")),
        };
        var w = new GgufWriter();
        foreach (var (k, v) in values)
        {
            if (k == overrideKey)
            {
                if (overrideValue is not null)
                {
                    w.Add(k, overrideValue);
                }
                continue;
            }
            w.Add(k, v);
        }
        if (withEmbedding)
        {
            w.AddTensor("token_embd.weight", [32, (tokens ?? ["", "", "", ""]).Length], GgmlType.F32, new float[32 * (tokens?.Length ?? 4)]);
        }
        var path = _temp.File(fileName);
        w.WriteTo(path);
        return GgufReader.Read(path);
    }

    private void Rejects(GgufFile f, string fragment)
    {
        var e = Assert.Throws<GgufFormatException>(() => GgufModelValidator.Validate(f));
        Assert.Contains(f.FileName, e.Message);
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void Minimal_model_passes() => Assert.Empty(GgufModelValidator.Validate(Model("ok.gguf")));

    [Fact]
    public void Block_count_zero() => Rejects(Model("blocks.gguf", "llama.block_count", GgufValue.FromUInt32(0)), "llama.block_count");

    [Fact]
    public void Block_count_above_llama_cpp_limit() => Rejects(Model("blocks2.gguf", "llama.block_count", GgufValue.FromUInt32(513)), "llama.block_count");

    [Fact]
    public void Block_count_of_the_wrong_type() => Rejects(Model("blocks3.gguf", "llama.block_count", GgufValue.FromInt32(2)), "requires u32");

    [Fact]
    public void Missing_architecture() => Rejects(Model("arch.gguf", "general.architecture"), "general.architecture");

    [Fact]
    public void Unsupported_architecture() => Rejects(Model("arch2.gguf", "general.architecture", GgufValue.FromString("rwkv6")), "'rwkv6'");

    [Theory]
    [InlineData("llama.embedding_length")]
    [InlineData("llama.attention.head_count")]
    [InlineData("llama.context_length")]
    public void Missing_or_zero_hyperparameters(string key)
    {
        Rejects(Model("missing-" + key + ".gguf", key), key);
        Rejects(Model("zero-" + key + ".gguf", key, GgufValue.FromUInt32(0)), key);
    }

    [Fact]
    public void Missing_tokens() => Rejects(Model("tokens.gguf", "tokenizer.ggml.tokens"), "tokenizer.ggml.tokens");

    [Fact]
    public void Empty_tokens() => Rejects(Model("tokens2.gguf", "tokenizer.ggml.tokens", GgufValue.FromArray(Array.Empty<string>())), "empty tokenizer.ggml.tokens");

    [Fact]
    public void Duplicate_tokens_would_abort_llama_cpp() =>
        Rejects(Model("dup.gguf", tokens: ["<unk>", "a", "b", "a"]), "duplicate token 'a'");

    [Fact]
    public void Missing_token_embedding() => Rejects(Model("embd.gguf", withEmbedding: false), "token_embd.weight");

    [Fact]
    public void Unknown_rope_scaling_type()
    {
        var path = _temp.File("rope.gguf");
        var w = TestModelFactory.CreateWriter(new TestModelSpec());
        w.Add("llama.rope.scaling.type", "wild");
        w.WriteTo(path);
        Rejects(GgufReader.Read(path), "llama.rope.scaling.type");
    }

    [Fact]
    public void Missing_chat_template_is_a_warning()
    {
        var warnings = GgufModelValidator.Validate(Model("tmpl.gguf", "tokenizer.chat_template"));
        Assert.Contains(warnings, w => w.Contains("chat_template", StringComparison.Ordinal));
    }
}
