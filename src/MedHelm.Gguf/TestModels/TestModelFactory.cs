namespace MedHelm.Gguf.TestModels;

/// <summary>
/// Writes tiny, deterministic GGUF models that llama.cpp can load: llama-architecture chat models (Llama 3 or
/// DeepSeek-R1-Distill flavour) and a bert-architecture embedding model. Weights are random (seeded SplitMix64),
/// so the models produce nonsense, but every tensor and hyperparameter llama.cpp requires is present and shaped right.
/// </summary>
public static class TestModelFactory
{
    public const string LlamaModelName = "medhelm-test-llama";
    public const string DeepSeekR1ModelName = "medhelm-test-deepseek-r1";
    public const string BertModelName = "medhelm-test-bert";

    private const float WeightScale = 0.1f;

    /// <summary>Validates <paramref name="spec"/> and writes the model to <paramref name="path"/> (atomically).</summary>
    public static void Write(TestModelSpec spec, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CreateWriter(spec).WriteTo(path);
    }

    /// <summary>The whole model file as bytes.</summary>
    public static byte[] ToBytes(TestModelSpec spec)
    {
        using var ms = new MemoryStream();
        CreateWriter(spec).WriteTo(ms);
        return ms.ToArray();
    }

    /// <summary>A writer holding the model, for callers that want to add more metadata before writing.</summary>
    public static GgufWriter CreateWriter(TestModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        return spec.Kind == TestModelKind.Bert ? BuildBert(spec) : BuildLlama(spec);
    }

    /// <summary>llama.cpp's general.file_type for a quantization choice.</summary>
    public static uint FileTypeOf(TestModelQuant quant) => quant switch
    {
        TestModelQuant.F32 => LlamaFileTypes.AllF32,
        TestModelQuant.F16 => LlamaFileTypes.MostlyF16,
        TestModelQuant.Q8_0 => LlamaFileTypes.MostlyQ8_0,
        _ => throw new ArgumentOutOfRangeException(nameof(quant), quant, null),
    };

    private static GgufWriter BuildLlama(TestModelSpec spec)
    {
        var vocab = SpmVocabulary.Create(spec.Kind);
        var w = new GgufWriter();
        const string a = "llama";
        var embd = spec.Embd;
        var heads = spec.EffectiveHeads;
        var ff = spec.EffectiveFeedForward;

        w.Add("general.architecture", a);
        w.Add("general.name", spec.Kind == TestModelKind.Llama ? LlamaModelName : DeepSeekR1ModelName);
        w.Add("general.file_type", FileTypeOf(spec.Quant));
        w.Add("general.quantization_version", 2u);
        if (spec.License is { } license)
        {
            w.Add("general.license", license);
        }

        w.Add($"{a}.vocab_size", (uint)vocab.Count);
        w.Add($"{a}.context_length", (uint)spec.EffectiveContextLength);
        w.Add($"{a}.embedding_length", (uint)embd);
        w.Add($"{a}.block_count", (uint)spec.Layers);
        w.Add($"{a}.feed_forward_length", (uint)ff);
        w.Add($"{a}.attention.head_count", (uint)heads);
        w.Add($"{a}.attention.head_count_kv", (uint)heads);
        w.Add($"{a}.rope.dimension_count", (uint)(embd / heads));
        w.Add($"{a}.rope.freq_base", 10000.0f);
        w.Add($"{a}.attention.layer_norm_rms_epsilon", 1e-5f);

        w.Add("tokenizer.ggml.model", "llama");
        w.Add("tokenizer.ggml.pre", "default");
        w.Add("tokenizer.ggml.tokens", vocab.Tokens.ToArray());
        w.Add("tokenizer.ggml.scores", vocab.Scores.ToArray());
        w.Add("tokenizer.ggml.token_type", vocab.TokenTypes.ToArray());
        w.Add("tokenizer.ggml.bos_token_id", (uint)vocab.BosId);
        w.Add("tokenizer.ggml.eos_token_id", (uint)vocab.EosId);
        w.Add("tokenizer.ggml.unknown_token_id", (uint)vocab.UnknownId);
        if (vocab.EotId is { } eot)
        {
            w.Add("tokenizer.ggml.eot_token_id", (uint)eot);
        }
        w.Add("tokenizer.ggml.add_bos_token", true);
        w.Add("tokenizer.ggml.add_eos_token", false);
        w.Add("tokenizer.ggml.add_space_prefix", false);
        w.Add("tokenizer.chat_template", spec.ChatTemplate ?? TestModelTemplates.For(spec.Kind)!);

        var rng = new DeterministicRandom(spec.Seed);
        Matrix(w, rng, spec.Quant, "token_embd.weight", embd, vocab.Count);
        Constant(w, "output_norm.weight", embd, 1f);
        for (var i = 0; i < spec.Layers; i++)
        {
            var p = $"blk.{i}.";
            Constant(w, p + "attn_norm.weight", embd, 1f);
            Matrix(w, rng, spec.Quant, p + "attn_q.weight", embd, embd);
            Matrix(w, rng, spec.Quant, p + "attn_k.weight", embd, embd);
            Matrix(w, rng, spec.Quant, p + "attn_v.weight", embd, embd);
            Matrix(w, rng, spec.Quant, p + "attn_output.weight", embd, embd);
            Constant(w, p + "ffn_norm.weight", embd, 1f);
            Matrix(w, rng, spec.Quant, p + "ffn_gate.weight", embd, ff);
            Matrix(w, rng, spec.Quant, p + "ffn_down.weight", ff, embd);
            Matrix(w, rng, spec.Quant, p + "ffn_up.weight", embd, ff);
        }
        return w;
    }

    private static GgufWriter BuildBert(TestModelSpec spec)
    {
        var vocab = BertVocabulary.Create();
        var w = new GgufWriter();
        const string a = "bert";
        const int tokenTypeCount = 2;
        var embd = spec.Embd;
        var heads = spec.EffectiveHeads;
        var ff = spec.EffectiveFeedForward;
        var ctx = spec.EffectiveContextLength;

        w.Add("general.architecture", a);
        w.Add("general.name", BertModelName);
        w.Add("general.file_type", FileTypeOf(spec.Quant));
        w.Add("general.quantization_version", 2u);
        w.Add($"{a}.context_length", (uint)ctx);
        w.Add($"{a}.embedding_length", (uint)embd);
        w.Add($"{a}.block_count", (uint)spec.Layers);
        w.Add($"{a}.feed_forward_length", (uint)ff);
        w.Add($"{a}.attention.head_count", (uint)heads);
        w.Add($"{a}.attention.layer_norm_epsilon", 1e-12f);
        w.Add($"{a}.attention.causal", false);
        w.Add($"{a}.pooling_type", 1u); // LLAMA_POOLING_TYPE_MEAN

        w.Add("tokenizer.ggml.model", "bert");
        w.Add("tokenizer.ggml.pre", "default");
        w.Add("tokenizer.ggml.tokens", vocab.Tokens.ToArray());
        w.Add("tokenizer.ggml.token_type", vocab.TokenTypes.ToArray());
        w.Add("tokenizer.ggml.token_type_count", (uint)tokenTypeCount);
        // llama.cpp's WPM loader uses the BOS id as [CLS]; tokenizer.ggml.cls_token_id is only informative.
        w.Add("tokenizer.ggml.bos_token_id", (uint)BertVocabulary.ClsId);
        w.Add("tokenizer.ggml.cls_token_id", (uint)BertVocabulary.ClsId);
        w.Add("tokenizer.ggml.seperator_token_id", (uint)BertVocabulary.SepId); // sic: llama.cpp's key spelling
        w.Add("tokenizer.ggml.unknown_token_id", (uint)BertVocabulary.UnknownId);
        w.Add("tokenizer.ggml.padding_token_id", (uint)BertVocabulary.PadId);
        w.Add("tokenizer.ggml.mask_token_id", (uint)BertVocabulary.MaskId);
        w.Add("tokenizer.ggml.add_bos_token", true);
        w.Add("tokenizer.ggml.add_sep_token", true);
        w.Add("tokenizer.ggml.add_eos_token", false);

        var rng = new DeterministicRandom(spec.Seed);
        Matrix(w, rng, spec.Quant, "token_embd.weight", embd, vocab.Count);
        // Read through ggml_view_1d / get_rows with positions: always F32.
        Matrix(w, rng, TestModelQuant.F32, "token_types.weight", embd, tokenTypeCount);
        Matrix(w, rng, TestModelQuant.F32, "position_embd.weight", embd, ctx);
        Constant(w, "token_embd_norm.weight", embd, 1f);
        Constant(w, "token_embd_norm.bias", embd, 0f);
        for (var i = 0; i < spec.Layers; i++)
        {
            var p = $"blk.{i}.";
            Matrix(w, rng, spec.Quant, p + "attn_q.weight", embd, embd);
            Bias(w, rng, p + "attn_q.bias", embd);
            Matrix(w, rng, spec.Quant, p + "attn_k.weight", embd, embd);
            Bias(w, rng, p + "attn_k.bias", embd);
            Matrix(w, rng, spec.Quant, p + "attn_v.weight", embd, embd);
            Bias(w, rng, p + "attn_v.bias", embd);
            Matrix(w, rng, spec.Quant, p + "attn_output.weight", embd, embd);
            Bias(w, rng, p + "attn_output.bias", embd);
            Constant(w, p + "attn_output_norm.weight", embd, 1f);
            Constant(w, p + "attn_output_norm.bias", embd, 0f);
            Matrix(w, rng, spec.Quant, p + "ffn_up.weight", embd, ff);
            Bias(w, rng, p + "ffn_up.bias", ff);
            Matrix(w, rng, spec.Quant, p + "ffn_down.weight", ff, embd);
            Bias(w, rng, p + "ffn_down.bias", embd);
            Constant(w, p + "layer_output_norm.weight", embd, 1f);
            Constant(w, p + "layer_output_norm.bias", embd, 0f);
        }
        return w;
    }

    /// <summary>A 2-D weight [ne0, ne1] of uniform noise, stored per the quantization (Q8_0 only when ne0 is a multiple of 32).</summary>
    private static void Matrix(GgufWriter w, DeterministicRandom rng, TestModelQuant quant, string name, int ne0, int ne1)
    {
        var data = new float[checked(ne0 * ne1)];
        rng.Fill(data, WeightScale);
        var type = quant switch
        {
            TestModelQuant.F16 => GgmlType.F16,
            TestModelQuant.Q8_0 when ne0 % 32 == 0 => GgmlType.Q8_0,
            _ => GgmlType.F32,
        };
        w.AddTensor(name, [ne0, ne1], type, data);
    }

    private static void Bias(GgufWriter w, DeterministicRandom rng, string name, int n)
    {
        var data = new float[n];
        rng.Fill(data, WeightScale / 10);
        w.AddTensor(name, [n], GgmlType.F32, data);
    }

    private static void Constant(GgufWriter w, string name, int n, float value)
    {
        var data = new float[n];
        Array.Fill(data, value);
        w.AddTensor(name, [n], GgmlType.F32, data);
    }
}
