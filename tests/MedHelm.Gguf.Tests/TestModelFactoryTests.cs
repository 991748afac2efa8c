using System.Security.Cryptography;
using MedHelm.Gguf.TestModels;

namespace MedHelm.Gguf.Tests;

public sealed class TestModelFactoryTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Sha(TestModelSpec spec, string name)
    {
        var path = _temp.File(name);
        TestModelFactory.Write(spec, path);
        return Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
    }

    [Theory]
    [InlineData(TestModelKind.Llama)]
    [InlineData(TestModelKind.DeepSeekR1)]
    [InlineData(TestModelKind.Bert)]
    public void Same_seed_gives_identical_bytes_and_different_seed_differs(TestModelKind kind)
    {
        var spec = new TestModelSpec(kind) { Quant = TestModelQuant.Q8_0 };
        var a = Sha(spec, "a.gguf");
        var b = Sha(spec with { }, "b.gguf");
        var c = Sha(spec with { Seed = 43 }, "c.gguf");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(TestModelFactory.ToBytes(spec), File.ReadAllBytes(_temp.File("a.gguf")));
    }

    [Theory]
    [InlineData(TestModelKind.Llama, TestModelQuant.F32)]
    [InlineData(TestModelKind.Llama, TestModelQuant.F16)]
    [InlineData(TestModelKind.Llama, TestModelQuant.Q8_0)]
    [InlineData(TestModelKind.DeepSeekR1, TestModelQuant.F32)]
    [InlineData(TestModelKind.DeepSeekR1, TestModelQuant.F16)]
    [InlineData(TestModelKind.DeepSeekR1, TestModelQuant.Q8_0)]
    [InlineData(TestModelKind.Bert, TestModelQuant.F32)]
    [InlineData(TestModelKind.Bert, TestModelQuant.F16)]
    [InlineData(TestModelKind.Bert, TestModelQuant.Q8_0)]
    public void Every_kind_and_quant_writes_reads_back_and_validates(TestModelKind kind, TestModelQuant quant)
    {
        var spec = new TestModelSpec(kind) { Quant = quant, Layers = 3 };
        var path = _temp.File($"{kind}-{quant}.gguf");
        TestModelFactory.Write(spec, path);

        var f = GgufReader.Read(path);
        var warnings = GgufModelValidator.Validate(f);
        Assert.Empty(warnings);

        var arch = kind == TestModelKind.Bert ? "bert" : "llama";
        Assert.Equal(arch, f.Architecture);
        Assert.Equal(3u, f.GetUInt32($"{arch}.block_count"));
        Assert.Equal(64u, f.GetUInt32($"{arch}.embedding_length"));
        Assert.Equal(TestModelFactory.FileTypeOf(quant), f.FileType);
        var tokens = f.GetStringArray("tokenizer.ggml.tokens");
        Assert.Equal(tokens.Length, tokens.Distinct(StringComparer.Ordinal).Count());
        Assert.InRange(tokens.Length, 300, 4095);

        var embd = f.FindTensor("token_embd.weight")!;
        Assert.Equal(new long[] { 64, tokens.Length }, embd.Shape);
        var matrixType = quant switch { TestModelQuant.F16 => GgmlType.F16, TestModelQuant.Q8_0 => GgmlType.Q8_0, _ => GgmlType.F32 };
        Assert.Equal(matrixType, embd.Type);
        Assert.Equal(matrixType, f.FindTensor("blk.2.ffn_down.weight")!.Type);
        Assert.All(f.Tensors.Where(t => t.Shape.Count == 1), t => Assert.Equal(GgmlType.F32, t.Type));
        Assert.Equal(quant.ToString().Replace("F32", "all F32"), f.QuantizationDescription);

        if (kind == TestModelKind.Bert)
        {
            Assert.Null(f.ChatTemplate);
        }
        else
        {
            Assert.NotNull(f.ChatTemplate);
        }
    }

    [Fact]
    public void Llama_model_has_exactly_the_tensors_llama_cpp_loads()
    {
        var f = GgufReader.Read(Write(new TestModelSpec { Layers = 2, Embd = 96, FeedForward = 160 }, "llama.gguf"));
        var expected = new List<(string, long[])> { ("token_embd.weight", [96, f.GetStringArray("tokenizer.ggml.tokens").Length]), ("output_norm.weight", [96]) };
        for (var i = 0; i < 2; i++)
        {
            expected.Add(($"blk.{i}.attn_norm.weight", [96]));
            expected.Add(($"blk.{i}.attn_q.weight", [96, 96]));
            expected.Add(($"blk.{i}.attn_k.weight", [96, 96]));
            expected.Add(($"blk.{i}.attn_v.weight", [96, 96]));
            expected.Add(($"blk.{i}.attn_output.weight", [96, 96]));
            expected.Add(($"blk.{i}.ffn_norm.weight", [96]));
            expected.Add(($"blk.{i}.ffn_gate.weight", [96, 160]));
            expected.Add(($"blk.{i}.ffn_down.weight", [160, 96]));
            expected.Add(($"blk.{i}.ffn_up.weight", [96, 160]));
        }
        AssertTensors(expected, f);

        Assert.Equal(3u, f.GetUInt32("llama.attention.head_count"));
        Assert.Equal(3u, f.GetUInt32("llama.attention.head_count_kv"));
        Assert.Equal(32u, f.GetUInt32("llama.rope.dimension_count"));
        Assert.Equal(160u, f.GetUInt32("llama.feed_forward_length"));
        Assert.Equal(4096u, f.GetUInt32("llama.context_length"));
        Assert.Equal((uint)f.GetStringArray("tokenizer.ggml.tokens").Length, f.GetUInt32("llama.vocab_size"));
        Assert.Equal(1e-5f, f.GetFloat32("llama.attention.layer_norm_rms_epsilon"));
        Assert.Equal("medhelm-test-llama", f.Name);
    }

    [Fact]
    public void Bert_model_has_exactly_the_tensors_llama_cpp_loads()
    {
        var f = GgufReader.Read(Write(new TestModelSpec(TestModelKind.Bert) { Layers = 1 }, "bert.gguf"));
        var n = f.GetStringArray("tokenizer.ggml.tokens").Length;
        var expected = new List<(string, long[])>
        {
            ("token_embd.weight", [64, n]), ("token_types.weight", [64, 2]), ("position_embd.weight", [64, 512]),
            ("token_embd_norm.weight", [64]), ("token_embd_norm.bias", [64]),
            ("blk.0.attn_q.weight", [64, 64]), ("blk.0.attn_q.bias", [64]),
            ("blk.0.attn_k.weight", [64, 64]), ("blk.0.attn_k.bias", [64]),
            ("blk.0.attn_v.weight", [64, 64]), ("blk.0.attn_v.bias", [64]),
            ("blk.0.attn_output.weight", [64, 64]), ("blk.0.attn_output.bias", [64]),
            ("blk.0.attn_output_norm.weight", [64]), ("blk.0.attn_output_norm.bias", [64]),
            ("blk.0.ffn_up.weight", [64, 128]), ("blk.0.ffn_up.bias", [128]),
            ("blk.0.ffn_down.weight", [128, 64]), ("blk.0.ffn_down.bias", [64]),
            ("blk.0.layer_output_norm.weight", [64]), ("blk.0.layer_output_norm.bias", [64]),
        };
        AssertTensors(expected, f);
        Assert.Equal("bert", f.GetString("tokenizer.ggml.model"));
        Assert.False(f.GetBool("bert.attention.causal"));
        Assert.Equal(1u, f.GetUInt32("bert.pooling_type"));
        Assert.Equal(2u, f.GetUInt32("tokenizer.ggml.token_type_count"));
        Assert.Equal(512u, f.GetUInt32("bert.context_length"));
        var tokens = f.GetStringArray("tokenizer.ggml.tokens");
        Assert.Equal(new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }, tokens[..5]);
        Assert.Equal("[CLS]", tokens[f.GetUInt32("tokenizer.ggml.bos_token_id")]);
        Assert.Equal("[SEP]", tokens[f.GetUInt32("tokenizer.ggml.seperator_token_id")]);
        Assert.Equal("[UNK]", tokens[f.GetUInt32("tokenizer.ggml.unknown_token_id")]);
        Assert.Contains("\u2581patient", tokens);
        Assert.Contains("ing", tokens);
        Assert.DoesNotContain(tokens, t => t.StartsWith("##", StringComparison.Ordinal));
    }

    [Fact]
    public void Llama_vocabulary_and_template()
    {
        var f = GgufReader.Read(Write(new TestModelSpec(), "vocab.gguf"));
        var tokens = f.GetStringArray("tokenizer.ggml.tokens");
        var types = f.Metadata["tokenizer.ggml.token_type"].AsArray<int>();
        var scores = f.Metadata["tokenizer.ggml.scores"].AsArray<float>();
        Assert.Equal(tokens.Length, types.Length);
        Assert.Equal(tokens.Length, scores.Length);
        Assert.Equal(("<unk>", 2), (tokens[0], types[0]));
        Assert.Equal(("<s>", 3), (tokens[1], types[1]));
        Assert.Equal(("</s>", 3), (tokens[2], types[2]));
        Assert.Equal(("<0x00>", 6), (tokens[3], types[3]));
        Assert.Equal(("<0x0A>", 6), (tokens[13], types[13]));
        Assert.Equal(("<0xFF>", 6), (tokens[258], types[258]));
        Assert.Equal("llama", f.GetString("tokenizer.ggml.model"));
        Assert.Equal("default", f.GetString("tokenizer.ggml.pre"));
        Assert.True(f.GetBool("tokenizer.ggml.add_bos_token"));
        Assert.False(f.GetBool("tokenizer.ggml.add_space_prefix"));
        Assert.Equal("<|begin_of_text|>", tokens[f.GetUInt32("tokenizer.ggml.bos_token_id")]);
        Assert.Equal("</s>", tokens[f.GetUInt32("tokenizer.ggml.eos_token_id")]);
        Assert.Equal("<|eot_id|>", tokens[f.GetUInt32("tokenizer.ggml.eot_token_id")]);
        Assert.Equal(3, types[Array.IndexOf(tokens, "<|start_header_id|>")]);
        foreach (var piece in new[] { "\u2581", "A", "B", "C", "\u2581the", "\u2581patient", "\u2581yes", "\u2581no", "\u2581maybe", "Yes", "\u2581pa", "\u2581pat" })
        {
            Assert.Contains(piece, tokens);
        }
        Assert.True(scores[Array.IndexOf(tokens, "\u2581patient")] > scores[Array.IndexOf(tokens, "\u2581pat")]);

        // llama.cpp's llm_chat_detect_template: llama3 needs both header tokens and none of the earlier patterns.
        var template = f.ChatTemplate!;
        Assert.Equal(TestModelTemplates.Llama3, template);
        Assert.Contains("<|start_header_id|>", template);
        Assert.Contains("<|end_header_id|>", template);
        Assert.DoesNotContain("<|im_start|>", template);
        Assert.DoesNotContain("[INST]", template);
        Assert.DoesNotContain("<|assistant|>", template);
    }

    [Fact]
    public void DeepSeek_vocabulary_and_template()
    {
        var f = GgufReader.Read(Write(new TestModelSpec(TestModelKind.DeepSeekR1), "ds.gguf"));
        var tokens = f.GetStringArray("tokenizer.ggml.tokens");
        var types = f.Metadata["tokenizer.ggml.token_type"].AsArray<int>();
        Assert.Equal("<｜begin▁of▁sentence｜>", tokens[f.GetUInt32("tokenizer.ggml.bos_token_id")]);
        Assert.Equal("<｜end▁of▁sentence｜>", tokens[f.GetUInt32("tokenizer.ggml.eos_token_id")]);
        Assert.Equal(3, types[Array.IndexOf(tokens, "<｜User｜>")]);
        Assert.Equal(3, types[Array.IndexOf(tokens, "<｜Assistant｜>")]);
        Assert.Equal(4, types[Array.IndexOf(tokens, "<think>")]);
        Assert.Equal(4, types[Array.IndexOf(tokens, "</think>")]);
        Assert.Equal("medhelm-test-deepseek-r1", f.Name);

        var template = f.ChatTemplate!;
        Assert.Equal(TestModelTemplates.DeepSeekR1Distill, template);
        Assert.Contains("<｜Assistant｜>", template);
        Assert.Contains("<｜User｜>", template);
        Assert.Contains("<｜end▁of▁sentence｜>", template);
        Assert.DoesNotContain("<|start_header_id|>", template);
        Assert.DoesNotContain("<|im_start|>", template);
    }

    [Fact]
    public void Default_heads_and_feed_forward()
    {
        Assert.Equal(2, new TestModelSpec().EffectiveHeads);
        Assert.Equal(128, new TestModelSpec().EffectiveFeedForward);
        Assert.Equal(1, new TestModelSpec { Embd = 16 }.EffectiveHeads);
        Assert.Equal(32, new TestModelSpec { Embd = 16 }.EffectiveFeedForward);
        Assert.Equal(2, new TestModelSpec { Embd = 100 }.EffectiveHeads);
        Assert.Equal(512, new TestModelSpec(TestModelKind.Bert).EffectiveContextLength);
        // Small odd shapes still write and validate in F32.
        var f = GgufReader.Read(Write(new TestModelSpec { Embd = 20, Layers = 1 }, "odd.gguf"));
        Assert.Empty(GgufModelValidator.Validate(f));
    }

    [Theory]
    [InlineData(0, 64, TestModelQuant.F32, null, "Layers")]
    [InlineData(2, 1, TestModelQuant.F32, null, "Embd")]
    [InlineData(2, 48, TestModelQuant.Q8_0, null, "Embd")]
    [InlineData(2, 64, TestModelQuant.F32, 3, "Heads")]
    [InlineData(2, 64, TestModelQuant.F32, 64, "Heads")]
    [InlineData(2, 64, TestModelQuant.F32, 0, "Heads")]
    public void Invalid_specs_are_rejected_naming_the_field(int layers, int embd, TestModelQuant quant, int? heads, string field)
    {
        var spec = new TestModelSpec { Layers = layers, Embd = embd, Quant = quant, Heads = heads };
        var e = Assert.Throws<ArgumentException>(() => TestModelFactory.Write(spec, _temp.File("bad.gguf")));
        Assert.Equal(field, e.ParamName);
        Assert.Contains(field, e.Message);
        Assert.False(File.Exists(_temp.File("bad.gguf")));
    }

    [Fact]
    public void Invalid_context_length_and_feed_forward()
    {
        Assert.Equal("ContextLength", Assert.Throws<ArgumentException>(() => new TestModelSpec { ContextLength = 0 }.Validate()).ParamName);
        Assert.Equal("FeedForward", Assert.Throws<ArgumentException>(() => new TestModelSpec { FeedForward = 0 }.Validate()).ParamName);
    }

    private string Write(TestModelSpec spec, string name)
    {
        var path = _temp.File(name);
        TestModelFactory.Write(spec, path);
        return path;
    }

    private static void AssertTensors(List<(string Name, long[] Shape)> expected, GgufFile f)
    {
        Assert.Equal(expected.Select(e => e.Name).Order(StringComparer.Ordinal), f.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var (name, shape) in expected)
        {
            Assert.Equal(shape, f.FindTensor(name)!.Shape);
        }
    }
}
