namespace MedHelm.Gguf;

/// <summary>
/// Semantic checks for things llama.cpp would otherwise hit with a GGML_ASSERT (which aborts the whole process)
/// or a load failure that is better reported before the model reaches native code.
/// </summary>
public static class GgufModelValidator
{
    /// <summary>Architectures the appliance accepts (names as in llama.cpp's src/llama-arch.cpp).</summary>
    public static IReadOnlySet<string> SupportedArchitectures { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "llama", "bert", "nomic-bert", "qwen2", "qwen3", "mistral3", "gemma", "gemma2", "gemma3", "phi3", "deepseek2",
    };

    /// <summary>llama.cpp's LLAMA_MAX_LAYERS.</summary>
    public const uint MaxLayers = 512;

    private static readonly HashSet<string> RopeScalingTypes = new(StringComparer.Ordinal) { "none", "linear", "yarn", "longrope" };

    /// <summary>
    /// Throws <see cref="GgufFormatException"/> naming the offending key or tensor when the model cannot be loaded safely;
    /// returns non-fatal warnings otherwise.
    /// </summary>
    public static IReadOnlyList<string> Validate(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var warnings = new List<string>();
        var name = file.FileName;

        if (!file.Metadata.TryGetValue("general.architecture", out var archValue))
        {
            throw Fail(file, $"{name} has no general.architecture key.");
        }
        if (archValue.Type != GgufValueType.String)
        {
            throw Fail(file, $"{name} has general.architecture of type {archValue.TypeDescription}, expected str.");
        }
        var arch = archValue.AsString();
        if (!SupportedArchitectures.Contains(arch))
        {
            throw Fail(file, $"{name} has general.architecture '{arch}', which is not one of the supported architectures ({string.Join(", ", SupportedArchitectures.Order(StringComparer.Ordinal))}).");
        }

        var blocks = RequirePositiveUInt32(file, $"{arch}.block_count");
        if (blocks > MaxLayers)
        {
            throw Fail(file, $"{name} has {arch}.block_count = {blocks}, above llama.cpp's limit of {MaxLayers}.");
        }
        var embd = RequirePositiveUInt32(file, $"{arch}.embedding_length");
        var heads = RequirePositiveUInt32OrArray(file, $"{arch}.attention.head_count", blocks);
        RequirePositiveUInt32(file, $"{arch}.context_length");

        if (heads is { } h && embd % h != 0 && !file.ContainsKey($"{arch}.attention.key_length"))
        {
            warnings.Add($"{arch}.embedding_length {embd} is not a multiple of {arch}.attention.head_count {h}.");
        }
        if (file.Metadata.TryGetValue($"{arch}.attention.head_count_kv", out var kvHeads) && kvHeads.TryGetInteger(out var kvh) && heads is { } h2)
        {
            if (kvh <= 0 || h2 % kvh != 0)
            {
                throw Fail(file, $"{name} has {arch}.attention.head_count_kv = {kvh}, which does not divide {arch}.attention.head_count = {h2}.");
            }
        }

        // Expert counts: llama.cpp asserts n_expert_used <= n_expert and n_expert <= LLAMA_MAX_EXPERTS.
        file.TryGetInteger($"{arch}.expert_count", out var experts);
        if (experts > 1024)
        {
            throw Fail(file, $"{name} has {arch}.expert_count = {experts}, above llama.cpp's limit of 1024.");
        }
        if (file.TryGetInteger($"{arch}.expert_used_count", out var used) && used > experts)
        {
            throw Fail(file, $"{name} has {arch}.expert_used_count = {used}, more than {arch}.expert_count = {experts}.");
        }

        // An unknown rope scaling type is a GGML_ASSERT in llama_model_base::load_hparams.
        if (file.Metadata.TryGetValue($"{arch}.rope.scaling.type", out var scaling))
        {
            if (scaling.Value is not string s || !RopeScalingTypes.Contains(s))
            {
                throw Fail(file, $"{name} has {arch}.rope.scaling.type '{scaling}', which is not one of none, linear, yarn, longrope.");
            }
        }

        CheckVocabulary(file, warnings);

        if (file.FindTensor("token_embd.weight") is null)
        {
            throw Fail(file, $"{name} has no token_embd.weight tensor.");
        }

        if (arch == "llama" && !file.ContainsKey("llama.attention.layer_norm_rms_epsilon"))
        {
            throw Fail(file, $"{name} has no llama.attention.layer_norm_rms_epsilon key.");
        }
        if (arch == "bert")
        {
            if (!file.ContainsKey("bert.attention.layer_norm_epsilon"))
            {
                throw Fail(file, $"{name} has no bert.attention.layer_norm_epsilon key.");
            }
            if (!file.TryGetInteger("tokenizer.ggml.token_type_count", out var ttc) || ttc <= 0)
            {
                throw Fail(file, $"{name} has no positive tokenizer.ggml.token_type_count, which llama.cpp requires for bert models.");
            }
        }

        if (file.ChatTemplate is null && arch is not ("bert" or "nomic-bert"))
        {
            warnings.Add($"{name} has no tokenizer.chat_template.");
        }
        return warnings;
    }

    private static void CheckVocabulary(GgufFile file, List<string> warnings)
    {
        var name = file.FileName;
        if (!file.Metadata.TryGetValue("tokenizer.ggml.tokens", out var tokensValue))
        {
            throw Fail(file, $"{name} has no tokenizer.ggml.tokens key.");
        }
        if (!tokensValue.IsArray || tokensValue.ElementType != GgufValueType.String)
        {
            throw Fail(file, $"{name} has tokenizer.ggml.tokens of type {tokensValue.TypeDescription}, expected arr[str].");
        }
        var tokens = tokensValue.AsStringArray();
        if (tokens.Length == 0)
        {
            throw Fail(file, $"{name} has an empty tokenizer.ggml.tokens list.");
        }

        // llama.cpp asserts id_to_token.size() == token_to_id.size(), so duplicate token texts abort the process
        // (empty tokens are renamed "[EMPTY_i]" first).
        var seen = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < tokens.Length; i++)
        {
            var text = tokens[i].Length == 0 ? $"[EMPTY_{i}]" : tokens[i];
            if (!seen.TryAdd(text, i))
            {
                throw Fail(file, $"{name} has duplicate token '{text}' in tokenizer.ggml.tokens (ids {seen[text]} and {i}).");
            }
        }

        foreach (var key in new[] { "tokenizer.ggml.scores", "tokenizer.ggml.token_type" })
        {
            if (file.Metadata.TryGetValue(key, out var v) && (!v.IsArray || v.Count < tokens.Length))
            {
                throw Fail(file, $"{name} has {key} with {(v.IsArray ? v.Count : 0)} entries for {tokens.Length} tokens.");
            }
        }

        if (!file.ContainsKey("tokenizer.ggml.model"))
        {
            warnings.Add($"{name} has no tokenizer.ggml.model key.");
        }

        var embd = file.FindTensor("token_embd.weight");
        if (embd is not null && embd.Shape.Count >= 2 && embd.Shape[1] != tokens.Length)
        {
            throw Fail(file, $"{name} has token_embd.weight with {embd.Shape[1]} rows but {tokens.Length} tokens in tokenizer.ggml.tokens.");
        }
    }

    private static uint RequirePositiveUInt32(GgufFile file, string key)
    {
        if (!file.Metadata.TryGetValue(key, out var v))
        {
            throw Fail(file, $"{file.FileName} has no {key} key.");
        }
        if (v.Type != GgufValueType.UInt32)
        {
            throw Fail(file, $"{file.FileName} has {key} of type {v.TypeDescription}, but llama.cpp requires u32.");
        }
        var value = v.AsUInt32();
        if (value < 1)
        {
            throw Fail(file, $"{file.FileName} has {key} = {value}, but it must be at least 1.");
        }
        return value;
    }

    /// <summary>A u32 or a per-layer array of u32/i32 (llama.cpp's get_key_or_arr); returns the scalar or the first entry.</summary>
    private static uint? RequirePositiveUInt32OrArray(GgufFile file, string key, uint layers)
    {
        if (file.Metadata.TryGetValue(key, out var v) && v.IsArray)
        {
            if (v.ElementType is not (GgufValueType.UInt32 or GgufValueType.Int32) || v.Count != layers)
            {
                throw Fail(file, $"{file.FileName} has {key} of type {v.TypeDescription} with {v.Count} entries; expected {layers} integers.");
            }
            var values = v.ElementType == GgufValueType.UInt32 ? v.AsArray<uint>().Select(x => (long)x) : v.AsArray<int>().Select(x => (long)x);
            if (values.All(x => x <= 0))
            {
                throw Fail(file, $"{file.FileName} has {key} with no positive entry.");
            }
            return null;
        }
        return RequirePositiveUInt32(file, key);
    }

    private static GgufFormatException Fail(GgufFile file, string message) => new(file.Path, null, message);
}
