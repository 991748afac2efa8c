using static MedHelm.Gguf.Tests.Support.ModelBases;

namespace MedHelm.Gguf.Tests.Support;

/// <summary>One malformed model: how to build it and a fragment (key or tensor) its error must name.</summary>
public sealed record MalformedModel(string Name, Func<GgufWriter> Build, string Fragment);

/// <summary>
/// The malformed-model campaign: every file here passes the GGUF reader (its structure is sound) but would make
/// llama.cpp refuse or abort the load, or abort on the first prompt. Each names the key or tensor at fault.
/// </summary>
public static class MalformedModels
{
    private static readonly List<MalformedModel> Cases = [];

    public static IReadOnlyDictionary<string, MalformedModel> All { get; } = Build();

    private static void Case(string name, Func<GgufWriter> baseModel, Action<GgufWriter> mutate, string fragment) =>
        Cases.Add(new MalformedModel(name, () =>
        {
            var w = baseModel();
            mutate(w);
            return w;
        }, fragment));

    private static void Set(string name, string key, GgufValue value, string? fragment = null, Func<GgufWriter>? baseModel = null) =>
        Case(name, baseModel ?? Llama, w => w.Set(key, value), fragment ?? key);

    private static void Drop(string name, string key, Func<GgufWriter>? baseModel = null) =>
        Case(name, baseModel ?? Llama, w => w.Remove(key), key);

    private static Dictionary<string, MalformedModel> Build()
    {
        Architecture();
        Hyperparameters();
        Attention();
        Floats();
        Experts();
        Tokenizer();
        SpecialTokens();
        Tensors();
        OtherArchitectures();
        return Cases.ToDictionary(c => c.Name, StringComparer.Ordinal);
    }

    private static void Architecture()
    {
        Drop("arch-missing", "general.architecture");
        Set("arch-u32", "general.architecture", GgufValue.FromUInt32(1));
        Set("arch-unknown", "general.architecture", GgufValue.FromString("rwkv6"), "'rwkv6'");
        Set("arch-empty", "general.architecture", GgufValue.FromString(""), "general.architecture");
        Set("arch-upper", "general.architecture", GgufValue.FromString("LLAMA"), "'LLAMA'");
        Set("arch-gptoss", "general.architecture", GgufValue.FromString("gpt-oss"), "'gpt-oss'");
    }

    private static void Hyperparameters()
    {
        foreach (var key in new[] { "llama.block_count", "llama.embedding_length", "llama.context_length" })
        {
            var shortName = key["llama.".Length..];
            Drop($"{shortName}-missing", key);
            Set($"{shortName}-zero", key, GgufValue.FromUInt32(0));
            Set($"{shortName}-i32", key, GgufValue.FromInt32(2), "requires u32");
            Set($"{shortName}-f32", key, GgufValue.FromFloat32(2f), key);
            Set($"{shortName}-str", key, GgufValue.FromString("2"), key);
            Set($"{shortName}-u64", key, GgufValue.FromUInt64(2), key);
        }
        Set("block_count-513", "llama.block_count", GgufValue.FromUInt32(513));
        Set("block_count-max", "llama.block_count", GgufValue.FromUInt32(uint.MaxValue));
        Set("block_count-3-of-2", "llama.block_count", GgufValue.FromUInt32(3), "block 2");
        Set("block_count-1-of-2", "llama.block_count", GgufValue.FromUInt32(1), "blk.1.");
        Set("embedding_length-64", "llama.embedding_length", GgufValue.FromUInt32(64), "llama.rope.dimension_count");
        Set("embedding_length-odd", "llama.embedding_length", GgufValue.FromUInt32(33), "llama.embedding_length");
        Set("feed_forward-wrong", "llama.feed_forward_length", GgufValue.FromUInt32(96), "ffn_down.weight");
        Set("feed_forward-i64", "llama.feed_forward_length", GgufValue.FromInt64(64), "llama.feed_forward_length");
        Set("feed_forward-array-short", "llama.feed_forward_length", GgufValue.FromArray(new uint[] { 64 }), "llama.feed_forward_length");
        Set("feed_forward-array-negative", "llama.feed_forward_length", GgufValue.FromArray(new[] { 64, -1 }), "llama.feed_forward_length");
        Set("vocab_size-small", "llama.vocab_size", GgufValue.FromUInt32(10));
        Set("vocab_size-i32", "llama.vocab_size", GgufValue.FromInt32(300));
        Case("vocab_size-large", Llama, w => w.Set("llama.vocab_size", GgufValue.FromUInt32((uint)Tokens(w).Length + 5)), "token_embd.weight");
    }

    private static void Attention()
    {
        const string heads = "llama.attention.head_count", kv = "llama.attention.head_count_kv", rot = "llama.rope.dimension_count";
        Drop("heads-missing", heads);
        Set("heads-zero", heads, GgufValue.FromUInt32(0));
        Set("heads-i32", heads, GgufValue.FromInt32(4));
        Set("heads-f32", heads, GgufValue.FromFloat32(4f));
        Set("heads-3", heads, GgufValue.FromUInt32(3));
        Set("heads-8", heads, GgufValue.FromUInt32(8), rot);
        Set("heads-array-short", heads, GgufValue.FromArray(new uint[] { 4 }));
        Set("heads-array-f32", heads, GgufValue.FromArray(new[] { 4f, 4f }));
        Set("heads-array-zero", heads, GgufValue.FromArray(new uint[] { 0, 0 }));
        Set("heads-array-negative", heads, GgufValue.FromArray(new[] { 4, -4 }));
        Set("kv-zero", kv, GgufValue.FromUInt32(0));
        Set("kv-3", kv, GgufValue.FromUInt32(3));
        Set("kv-8", kv, GgufValue.FromUInt32(8));
        Set("kv-i32", kv, GgufValue.FromInt32(4));
        Set("kv-array-long", kv, GgufValue.FromArray(new uint[] { 4, 4, 4 }));
        Set("kv-array-zero-entry", kv, GgufValue.FromArray(new uint[] { 4, 0 }));
        Set("kv-2-shapes", kv, GgufValue.FromUInt32(2), "attn_k.weight");
        Set("key_length-zero", "llama.attention.key_length", GgufValue.FromUInt32(0));
        Set("key_length-wrong", "llama.attention.key_length", GgufValue.FromUInt32(16), rot);
        Set("value_length-wrong", "llama.attention.value_length", GgufValue.FromUInt32(16), "attn_v.weight");
        Set("rope-dim-half", rot, GgufValue.FromUInt32((uint)HeadSize / 2));
        Set("rope-dim-double", rot, GgufValue.FromUInt32((uint)HeadSize * 2));
        Set("rope-dim-zero", rot, GgufValue.FromUInt32(0));
        Set("rope-dim-f32", rot, GgufValue.FromFloat32(8f));
        Set("rope-dim-above-head-gemma", "gemma.rope.dimension_count", GgufValue.FromUInt32((uint)HeadSize * 2), "gemma.rope.dimension_count", () => Decoder("gemma"));
        Set("rope-scaling-wild", "llama.rope.scaling.type", GgufValue.FromString("wild"));
        Set("rope-scaling-empty", "llama.rope.scaling.type", GgufValue.FromString(""));
        Set("rope-scaling-u32", "llama.rope.scaling.type", GgufValue.FromUInt32(1));
        Set("rope-factor-nan", "llama.rope.scaling.factor", GgufValue.FromFloat32(float.NaN));
        Set("rope-factor-negative", "llama.rope.scaling.factor", GgufValue.FromFloat32(-2f));
        Set("rope-factor-str", "llama.rope.scaling.factor", GgufValue.FromString("2"));
    }

    private static void Floats()
    {
        const string eps = "llama.attention.layer_norm_rms_epsilon", freq = "llama.rope.freq_base";
        Drop("eps-missing", eps);
        Set("eps-zero", eps, GgufValue.FromFloat32(0f));
        Set("eps-negative", eps, GgufValue.FromFloat32(-1e-5f));
        Set("eps-nan", eps, GgufValue.FromFloat32(float.NaN));
        Set("eps-inf", eps, GgufValue.FromFloat32(float.PositiveInfinity));
        Set("eps-f64", eps, GgufValue.FromFloat64(1e-5));
        Set("eps-u32", eps, GgufValue.FromUInt32(1));
        Set("eps-str", eps, GgufValue.FromString("1e-5"));
        Set("freq-zero", freq, GgufValue.FromFloat32(0f));
        Set("freq-nan", freq, GgufValue.FromFloat32(float.NaN));
        Set("freq-negative", freq, GgufValue.FromFloat32(-10000f));
        Set("freq-inf", freq, GgufValue.FromFloat32(float.NegativeInfinity));
        Set("freq-str", freq, GgufValue.FromString("10000"));
        Drop("bert-eps-missing", "bert.attention.layer_norm_epsilon", Bert);
        Set("bert-eps-zero", "bert.attention.layer_norm_epsilon", GgufValue.FromFloat32(0f), null, Bert);
        Case("bert-eps-rms-instead", Bert, w =>
        {
            w.Remove("bert.attention.layer_norm_epsilon");
            w.Add("bert.attention.layer_norm_rms_epsilon", 1e-12f);
        }, "bert.attention.layer_norm_epsilon");
    }

    private static void Experts()
    {
        Set("experts-2000", "llama.expert_count", GgufValue.FromUInt32(2000), "llama.expert_count");
        Case("experts-used-above", Llama, w =>
        {
            w.Add("llama.expert_count", 2u);
            w.Add("llama.expert_used_count", 3u);
        }, "llama.expert_used_count");
        Set("experts-no-used", "llama.expert_count", GgufValue.FromUInt32(4), "llama.expert_used_count");
        Set("experts-used-without-count", "llama.expert_used_count", GgufValue.FromUInt32(2), "llama.expert_used_count");
        Case("experts-no-tensors", Llama, w =>
        {
            w.Add("llama.expert_count", 4u);
            w.Add("llama.expert_used_count", 2u);
        }, "ffn_*_exps");
        Case("experts-tensors-without-count", Llama, w => AddZeros(w, "blk.0.ffn_down_exps.weight", 64, Embd, 4), "llama.expert_count");
        Case("experts-wrong-count", Llama, w =>
        {
            w.Add("llama.expert_count", 4u);
            w.Add("llama.expert_used_count", 2u);
            foreach (var b in new[] { 0, 1 })
            {
                AddZeros(w, $"blk.{b}.ffn_down_exps.weight", 64, Embd, b == 0 ? 4 : 3);
                AddZeros(w, $"blk.{b}.ffn_gate_inp.weight", Embd, 4);
            }
        }, "blk.1.ffn_down_exps.weight");
        Case("experts-no-router", Llama, w =>
        {
            w.Add("llama.expert_count", 4u);
            w.Add("llama.expert_used_count", 2u);
            AddZeros(w, "blk.0.ffn_down_exps.weight", 64, Embd, 4);
        }, "blk.0.ffn_gate_inp.weight");
    }

    private static void Tokenizer()
    {
        const string model = "tokenizer.ggml.model", tokens = "tokenizer.ggml.tokens";
        Drop("tok-model-missing", model);
        Set("tok-model-unknown", model, GgufValue.FromString("sentencepiece"), "'sentencepiece'");
        Set("tok-model-u32", model, GgufValue.FromUInt32(1), model);
        Set("tok-model-rwkv", model, GgufValue.FromString("rwkv"), "'rwkv'");
        Drop("tokens-missing", tokens);
        Set("tokens-empty", tokens, GgufValue.FromArray(Array.Empty<string>()), "empty tokenizer.ggml.tokens");
        Set("tokens-i32", tokens, GgufValue.FromArray(new[] { 1, 2, 3 }), tokens);
        Set("tokens-str", tokens, GgufValue.FromString("a b c"), tokens);
        Case("tokens-duplicate", Llama, w => SetToken(w, 300, Tokens(w)[301]), "duplicate token");
        Case("tokens-duplicate-empty-name", Llama, w =>
        {
            SetToken(w, 300, "");
            SetToken(w, 301, "[EMPTY_300]");
        }, "duplicate token '[EMPTY_300]'");
        foreach (var b in new[] { 0x00, 0x0A, 0x7F, 0xFF })
        {
            var piece = $"<0x{b:X2}>";
            Case($"byte-token-{b:X2}-missing", Llama, w => SetToken(w, Array.IndexOf(Tokens(w), piece), $"<byte {b}>"), piece);
        }
        foreach (var (name, key) in new[] { ("scores", "tokenizer.ggml.scores"), ("types", "tokenizer.ggml.token_type") })
        {
            Case($"{name}-short", Llama, w => Truncate(w, key, 1), key);
            Case($"{name}-long", Llama, w => Truncate(w, key, -1), key);
        }
        Set("scores-f64", "tokenizer.ggml.scores", GgufValue.FromArray(new[] { 0.0 }), "tokenizer.ggml.scores");
        Case("scores-nan", Llama, w => SetFloat(w, "tokenizer.ggml.scores", 5, float.NaN), "tokenizer.ggml.scores[5]");
        Set("types-u32", "tokenizer.ggml.token_type", GgufValue.FromArray(new uint[] { 1 }), "tokenizer.ggml.token_type");
        Case("types-99", Llama, w => SetInt(w, "tokenizer.ggml.token_type", 7, 99), "tokenizer.ggml.token_type[7]");
        Case("types-negative", Llama, w => SetInt(w, "tokenizer.ggml.token_type", 3, -1), "tokenizer.ggml.token_type[3]");
        Drop("merges-missing", "tokenizer.ggml.merges", Bpe);
        Set("merges-u32", "tokenizer.ggml.merges", GgufValue.FromArray(new uint[] { 1 }), "tokenizer.ggml.merges", Bpe);
        foreach (var (name, merge) in new[] { ("nospace", "ab"), ("twospace", "a b c"), ("trailing", "a "), ("leading", " ab"), ("empty", "") })
        {
            Set($"merges-{name}", "tokenizer.ggml.merges", GgufValue.FromArray(new[] { "a b", merge }), "tokenizer.ggml.merges[1]", Bpe);
        }
        Drop("bert-token-type-count-missing", "tokenizer.ggml.token_type_count", Bert);
        Set("bert-token-type-count-zero", "tokenizer.ggml.token_type_count", GgufValue.FromUInt32(0), "tokenizer.ggml.token_type_count", Bert);
    }

    private static void SpecialTokens()
    {
        Set("bos-out-of-range", "tokenizer.ggml.bos_token_id", GgufValue.FromUInt32(1_000_000), "tokenizer.ggml.bos_token_id");
        Set("bos-i32", "tokenizer.ggml.bos_token_id", GgufValue.FromInt32(1), "tokenizer.ggml.bos_token_id");
        Set("add-bos-u8", "tokenizer.ggml.add_bos_token", GgufValue.FromUInt8(1), "tokenizer.ggml.add_bos_token");
        Set("bos-at-vocab-size", "tokenizer.ggml.bos_token_id", GgufValue.FromUInt32((uint)Tokens(Llama()).Length), "tokenizer.ggml.bos_token_id");
        Case("eos-added-out-of-range", Llama, w =>
        {
            w.Set("tokenizer.ggml.add_eos_token", GgufValue.FromBool(true));
            w.Set("tokenizer.ggml.eos_token_id", GgufValue.FromUInt32(70_000));
        }, "tokenizer.ggml.eos_token_id");
        Set("bert-add-eos-without-id", "tokenizer.ggml.add_eos_token", GgufValue.FromBool(true), "tokenizer.ggml.eos_token_id", Bert);
        Set("bpe-bos-out-of-range", "tokenizer.ggml.bos_token_id", GgufValue.FromUInt32(1_000_000), "tokenizer.ggml.bos_token_id", Bpe);
        Set("bert-bos-out-of-range", "tokenizer.ggml.bos_token_id", GgufValue.FromUInt32(1_000_000), "tokenizer.ggml.bos_token_id", Bert);
        Set("bert-sep-i32", "tokenizer.ggml.seperator_token_id", GgufValue.FromInt32(3), "tokenizer.ggml.seperator_token_id", Bert);
        Set("bert-add-sep-str", "tokenizer.ggml.add_sep_token", GgufValue.FromString("yes"), "tokenizer.ggml.add_sep_token", Bert);
    }

    private static void Tensors()
    {
        Case("token_embd-missing", Llama, w => w.RemoveTensor("token_embd.weight"), "token_embd.weight");
        Case("token_embd-vocab", Llama, w => Reshape(w, "token_embd.weight", Embd, 10), "token_embd.weight");
        Case("token_embd-embd", Llama, w => Reshape(w, "token_embd.weight", 16, Tokens(w).Length), "token_embd.weight");
        Case("token_embd-3d", Llama, w => Reshape(w, "token_embd.weight", Embd, Tokens(w).Length, 2), "token_embd.weight");
        Case("output-vocab", Llama, w => AddZeros(w, "output.weight", Embd, 10), "output.weight");
        Case("output-transposed", Llama, w => AddZeros(w, "output.weight", Tokens(w).Length, Embd), "output.weight");
        Case("output_norm-missing", Llama, w => w.RemoveTensor("output_norm.weight"), "output_norm.weight");
        Case("output_norm-size", Llama, w => Reshape(w, "output_norm.weight", Embd * 2), "output_norm.weight");
        foreach (var block in new[] { 0, 1 })
        {
            foreach (var t in new[] { "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_down" })
            {
                Case($"blk{block}-{t}-missing", Llama, w => w.RemoveTensor($"blk.{block}.{t}.weight"), $"blk.{block}.{t}.weight");
            }
        }
        Case("extra-block", Llama, w => AddZeros(w, "blk.2.attn_norm.weight", Embd), "blk.2.attn_norm.weight");
        Case("far-block", Llama, w => AddZeros(w, "blk.511.attn_norm.weight", Embd), "blk.511.attn_norm.weight");
        Case("block-not-a-number", Llama, w => AddZeros(w, "blk.x.attn_norm.weight", Embd), "blk.x.attn_norm.weight");
        Case("block-no-dot", Llama, w => AddZeros(w, "blk.7", Embd), "blk.7");
        Case("attn_q-shape", Llama, w => Reshape(w, "blk.0.attn_q.weight", Embd, 16), "blk.0.attn_q.weight");
        Case("attn_k-shape", Llama, w => Reshape(w, "blk.1.attn_k.weight", 16, Embd), "blk.1.attn_k.weight");
        Case("attn_v-shape", Llama, w => Reshape(w, "blk.0.attn_v.weight", Embd, Embd, 2), "blk.0.attn_v.weight");
        Case("attn_output-shape", Llama, w => Reshape(w, "blk.1.attn_output.weight", Embd, 16), "blk.1.attn_output.weight");
        Case("attn_norm-shape", Llama, w => Reshape(w, "blk.0.attn_norm.weight", 16), "blk.0.attn_norm.weight");
        Case("ffn_norm-shape", Llama, w => Reshape(w, "blk.1.ffn_norm.weight", Embd, 2), "blk.1.ffn_norm.weight");
        Case("ffn_up-shape", Llama, w => Reshape(w, "blk.0.ffn_up.weight", Embd, 32), "blk.0.ffn_up.weight");
        Case("ffn_gate-shape", Llama, w => Reshape(w, "blk.1.ffn_gate.weight", 16, 64), "blk.1.ffn_gate.weight");
        Case("ffn_down-shape", Llama, w => Reshape(w, "blk.0.ffn_down.weight", 64, 16), "blk.0.ffn_down.weight");
        Case("qkv-fused-shape", Llama, w =>
        {
            foreach (var t in new[] { "attn_q", "attn_k", "attn_v" })
            {
                w.RemoveTensor($"blk.0.{t}.weight");
            }
            AddZeros(w, "blk.0.attn_qkv.weight", Embd, Embd * 2);
        }, "blk.0.attn_qkv.weight");
        Case("bert-position-missing", Bert, w => w.RemoveTensor("position_embd.weight"), "position_embd.weight");
        Case("bert-position-ctx", Bert, w => Reshape(w, "position_embd.weight", Embd, 32), "position_embd.weight");
        Case("bert-embd-norm-missing", Bert, w => w.RemoveTensor("token_embd_norm.weight"), "token_embd_norm.weight");
        Case("bert-layer-norm-missing", Bert, w => w.RemoveTensor("blk.1.layer_output_norm.weight"), "blk.1.layer_output_norm.weight");
        Case("bert-token-types-shape", Bert, w => Reshape(w, "token_types.weight", Embd, 3), "token_types.weight");
        Case("bert-extra-block", Bert, w => AddZeros(w, "blk.2.attn_q.weight", Embd, Embd), "blk.2.attn_q.weight");
    }

    private static void OtherArchitectures()
    {
        Set("qwen2-rope-dim", "qwen2.rope.dimension_count", GgufValue.FromUInt32(4), "qwen2.rope.dimension_count", () => Decoder("qwen2"));
        Drop("qwen3-eps-missing", "qwen3.attention.layer_norm_rms_epsilon", () => Decoder("qwen3"));
        Set("mistral3-blocks-zero", "mistral3.block_count", GgufValue.FromUInt32(0), "mistral3.block_count", () => Decoder("mistral3"));
        Case("gemma2-attn-missing", () => Decoder("gemma2"), w => w.RemoveTensor("blk.1.attn_v.weight"), "blk.1.attn_v.weight");
        Case("gemma3-extra-block", () => Decoder("gemma3"), w => AddZeros(w, "blk.5.ffn_norm.weight", Embd), "blk.5.ffn_norm.weight");
        Case("phi3-ffn-up-not-fused", () => Decoder("phi3"), w => { }, "blk.0.ffn_up.weight");
        Case("llama-keys-under-qwen2", Llama, w => w.Set("general.architecture", GgufValue.FromString("qwen2")), "qwen2.block_count");
        Case("nomic-bert-token-type-count", () => Relabel(Bert(), "bert", "nomic-bert"), w => w.Remove("tokenizer.ggml.token_type_count"), "tokenizer.ggml.token_type_count");
    }

    private static void Truncate(GgufWriter w, string key, int drop)
    {
        w.TryGet(key, out var v);
        var n = v.Count - drop;
        w.Set(key, v.Value is float[] f
            ? GgufValue.FromArray(drop > 0 ? f[..n] : f.Append(0f).ToArray())
            : GgufValue.FromArray(drop > 0 ? ((int[])v.Value)[..n] : ((int[])v.Value).Append(1).ToArray()));
    }

    private static void SetFloat(GgufWriter w, string key, int index, float value)
    {
        w.TryGet(key, out var v);
        var copy = v.AsArray<float>().ToArray();
        copy[index] = value;
        w.Set(key, GgufValue.FromArray(copy));
    }

    private static void SetInt(GgufWriter w, string key, int index, int value)
    {
        w.TryGet(key, out var v);
        var copy = v.AsArray<int>().ToArray();
        copy[index] = value;
        w.Set(key, GgufValue.FromArray(copy));
    }
}
