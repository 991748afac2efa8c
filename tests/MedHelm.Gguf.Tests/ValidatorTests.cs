using MedHelm.Gguf.Tests.Support;

namespace MedHelm.Gguf.Tests;

public sealed class ValidatorTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private GgufFile Write(string fileName, GgufWriter w)
    {
        var path = _temp.File(fileName);
        w.WriteTo(path);
        return GgufReader.Read(path);
    }

    private static GgufFormatException Rejects(GgufFile f, string fragment)
    {
        var e = Assert.Throws<GgufFormatException>(() => GgufModelValidator.Validate(f));
        Assert.Contains(f.FileName, e.Message);
        Assert.Contains(fragment, e.Message);
        return e;
    }

    [Fact]
    public void The_supported_architectures_include_the_documented_families()
    {
        foreach (var arch in new[] { "llama", "qwen2", "qwen3", "mistral3", "gemma", "gemma2", "gemma3", "phi3", "bert", "nomic-bert" })
        {
            Assert.Contains(arch, GgufModelValidator.SupportedArchitectures);
        }
    }

    [Fact]
    public void Missing_chat_template_is_a_warning()
    {
        var w = ModelBases.Llama();
        w.Remove("tokenizer.chat_template");
        var warnings = GgufModelValidator.Validate(Write("tmpl.gguf", w));
        Assert.Contains(warnings, m => m.Contains("chat_template", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unused_special_token_out_of_range_is_a_warning_as_llama_cpp_ignores_it()
    {
        var w = ModelBases.Llama();
        w.Add("tokenizer.ggml.padding_token_id", 1_000_000u);
        var warnings = GgufModelValidator.Validate(Write("pad.gguf", w));
        Assert.Contains(warnings, m => m.Contains("tokenizer.ggml.padding_token_id", StringComparison.Ordinal));
    }

    [Fact]
    public void Merges_naming_unknown_pieces_are_a_warning()
    {
        var w = ModelBases.Bpe();
        w.Set("tokenizer.ggml.merges", GgufValue.FromArray(new[] { "zzz qqq" }));
        var warnings = GgufModelValidator.Validate(Write("merges.gguf", w));
        Assert.Contains(warnings, m => m.Contains("tokenizer.ggml.merges", StringComparison.Ordinal));
    }

    [Fact]
    public void Per_layer_head_counts_are_accepted_and_checked_per_block()
    {
        var w = ModelBases.Llama();
        w.Set("llama.attention.head_count", GgufValue.FromArray(new uint[] { 4, 4 }));
        w.Set("llama.attention.head_count_kv", GgufValue.FromArray(new uint[] { 4, 4 }));
        Assert.Empty(GgufModelValidator.Validate(Write("arr.gguf", w)));

        w.Set("llama.attention.head_count_kv", GgufValue.FromArray(new uint[] { 4, 3 }));
        Rejects(Write("arr-bad.gguf", w), "block 1");
    }

    [Fact]
    public void A_mixture_of_experts_with_matching_tensors_passes()
    {
        var w = ModelBases.Llama();
        w.Add("llama.expert_count", 4u);
        w.Add("llama.expert_used_count", 2u);
        foreach (var b in new[] { 0, 1 })
        {
            w.RemoveTensor($"blk.{b}.ffn_down.weight");
            w.RemoveTensor($"blk.{b}.ffn_up.weight");
            w.RemoveTensor($"blk.{b}.ffn_gate.weight");
            ModelBases.AddZeros(w, $"blk.{b}.ffn_gate_inp.weight", ModelBases.Embd, 4);
            ModelBases.AddZeros(w, $"blk.{b}.ffn_down_exps.weight", 64, ModelBases.Embd, 4);
            ModelBases.AddZeros(w, $"blk.{b}.ffn_up_exps.weight", ModelBases.Embd, 64, 4);
        }
        Assert.Empty(GgufModelValidator.Validate(Write("moe.gguf", w)));
    }

    [Fact]
    public void The_exception_carries_the_path()
    {
        var w = ModelBases.Llama();
        w.Remove("llama.block_count");
        var f = Write("path.gguf", w);
        Assert.Equal(f.Path, Rejects(f, "llama.block_count").Path);
    }

    [Theory]
    [InlineData("ggml-vocab-llama-spm.gguf")]
    [InlineData("ggml-vocab-llama-bpe.gguf")]
    [InlineData("ggml-vocab-bert-bge.gguf")]
    public void Real_llama_cpp_tokenizers_pass_on_a_base_model(string fileName)
    {
        var vocabPath = RepositoryPaths.ExistingFile("runtimes", "llama", "src", "models", fileName);
        Assert.True(vocabPath is not null, $"{fileName} is missing: scripts/test.sh unpacks the pinned llama.cpp source with scripts/install-runtime.sh --source");
        var vocab = GgufReader.Read(vocabPath);
        var w = vocab.GetString("tokenizer.ggml.model") == "bert" ? ModelBases.Bert() : ModelBases.Llama();
        foreach (var key in w.Keys.Where(k => k.StartsWith("tokenizer.", StringComparison.Ordinal) || k.EndsWith(".vocab_size", StringComparison.Ordinal)).ToList())
        {
            w.Remove(key);
        }
        foreach (var (key, value) in vocab.MetadataEntries.Where(kv => kv.Key.StartsWith("tokenizer.", StringComparison.Ordinal)))
        {
            w.Add(key, value);
        }
        var n = vocab.GetStringArray("tokenizer.ggml.tokens").Length;
        w.RemoveTensor("token_embd.weight");
        w.AddTensor("token_embd.weight", [ModelBases.Embd, n], GgmlType.F16, new float[ModelBases.Embd * n]);
        if (w.TryGet("tokenizer.ggml.token_type_count", out var ttc) is false && vocab.GetString("tokenizer.ggml.model") == "bert")
        {
            w.Add("tokenizer.ggml.token_type_count", 2u);
        }

        var warnings = GgufModelValidator.Validate(Write(fileName, w));
        Assert.DoesNotContain(warnings, m => m.Contains("merges", StringComparison.Ordinal));
    }
}
