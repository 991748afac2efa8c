using System.Globalization;

namespace MedHelm.Gguf;

/// <summary>
/// Tokenizer checks from llama.cpp's llama_vocab::load: the tokenizer model is one it implements, the token list is
/// complete and unique, scores and token types match it, SPM vocabularies hold the 256 byte tokens its byte fallback
/// looks up, BPE merges are present and well-formed, and the BOS/EOS/SEP tokens the tokenizer adds are in range
/// (an added special token that is missing is a GGML_ASSERT the first time text is tokenized).
/// </summary>
internal static class GgufVocabularyChecks
{
    /// <summary>Tokenizer models the appliance accepts, with the defaults llama.cpp applies: (add_bos, bos id, add_eos, eos id, add_sep, sep id).</summary>
    private static readonly Dictionary<string, Defaults> Models = new(StringComparer.Ordinal)
    {
        ["llama"] = new(AddBos: true, Bos: 1, AddEos: false, Eos: 2, AddSep: false, Sep: null),
        ["gpt2"] = new(AddBos: false, Bos: 11, AddEos: false, Eos: 11, AddSep: false, Sep: null),
        ["bert"] = new(AddBos: true, Bos: 101, AddEos: false, Eos: null, AddSep: true, Sep: 102),
        ["t5"] = new(AddBos: false, Bos: null, AddEos: true, Eos: 1, AddSep: false, Sep: null),
    };

    /// <summary>Special-token ids llama.cpp reads but never adds on its own: out of range, it ignores them.</summary>
    private static readonly string[] OtherSpecialTokens = ["eot", "eom", "unknown", "padding", "mask", "fim_pre", "fim_suf", "fim_mid", "fim_pad", "fim_rep", "fim_sep"];

    private const int TokenTypeMax = 6; // LLAMA_TOKEN_TYPE_BYTE

    private sealed record Defaults(bool AddBos, long? Bos, bool AddEos, long? Eos, bool AddSep, long? Sep);

    /// <summary>Runs the checks; returns the vocabulary size the embedding and output tensors must have.</summary>
    public static uint Check(GgufFile file, GgufArchitecture arch, List<string> warnings)
    {
        if (!file.Metadata.TryGetValue("tokenizer.ggml.model", out var modelValue))
        {
            throw GgufModelValidator.Fail(file, "no tokenizer.ggml.model key (llama.cpp requires it).");
        }
        if (modelValue.Value is not string model || !Models.TryGetValue(model, out var defaults))
        {
            throw GgufModelValidator.Fail(file, $"tokenizer.ggml.model '{modelValue}' is not a tokenizer the appliance accepts ({string.Join(", ", Models.Keys.Order(StringComparer.Ordinal))}).");
        }

        var tokens = Tokens(file);
        CheckParallelArray(file, "tokenizer.ggml.scores", GgufValueType.Float32, tokens.Length);
        CheckParallelArray(file, "tokenizer.ggml.token_type", GgufValueType.Int32, tokens.Length);
        if (file.Metadata.TryGetValue("tokenizer.ggml.token_type", out var types))
        {
            var bad = Array.FindIndex(types.AsArray<int>(), t => t < 0 || t > TokenTypeMax);
            if (bad >= 0)
            {
                throw GgufModelValidator.Fail(file, $"tokenizer.ggml.token_type[{bad}] = {types.AsArray<int>()[bad]} is not a llama.cpp token type (0-{TokenTypeMax}).");
            }
        }

        switch (model)
        {
            case "llama":
                CheckByteTokens(file, tokens);
                break;
            case "gpt2":
                CheckMerges(file, tokens, warnings);
                break;
        }
        if (arch.Encoder && (!file.TryGetInteger("tokenizer.ggml.token_type_count", out var ttc) || ttc <= 0))
        {
            throw GgufModelValidator.Fail(file, $"no positive tokenizer.ggml.token_type_count, which llama.cpp requires for {arch.Name} models.");
        }

        CheckSpecial(file, tokens.Length, "bos", "tokenizer.ggml.add_bos_token", defaults.AddBos, defaults.Bos, warnings);
        CheckSpecial(file, tokens.Length, "eos", "tokenizer.ggml.add_eos_token", defaults.AddEos, defaults.Eos, warnings);
        CheckSpecial(file, tokens.Length, "seperator", "tokenizer.ggml.add_sep_token", defaults.AddSep, defaults.Sep, warnings);

        foreach (var other in OtherSpecialTokens)
        {
            CheckSpecial(file, tokens.Length, other, addKey: null, addDefault: false, idDefault: null, warnings);
        }
        return VocabSize(file, arch, tokens.Length);
    }

    private static string[] Tokens(GgufFile file)
    {
        if (!file.Metadata.TryGetValue("tokenizer.ggml.tokens", out var tokensValue))
        {
            throw GgufModelValidator.Fail(file, "no tokenizer.ggml.tokens key.");
        }
        if (!tokensValue.IsArray || tokensValue.ElementType != GgufValueType.String)
        {
            throw GgufModelValidator.Fail(file, $"tokenizer.ggml.tokens is of type {tokensValue.TypeDescription}, expected arr[str].");
        }
        var tokens = tokensValue.AsStringArray();
        if (tokens.Length == 0)
        {
            throw GgufModelValidator.Fail(file, "empty tokenizer.ggml.tokens list.");
        }

        // llama.cpp asserts id_to_token.size() == token_to_id.size(), so duplicate token texts abort the process
        // (empty tokens are renamed "[EMPTY_i]" first).
        var seen = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < tokens.Length; i++)
        {
            var text = tokens[i].Length == 0 ? $"[EMPTY_{i}]" : tokens[i];
            if (!seen.TryAdd(text, i))
            {
                throw GgufModelValidator.Fail(file, $"duplicate token '{text}' in tokenizer.ggml.tokens (ids {seen[text]} and {i}).");
            }
        }
        return tokens;
    }

    private static void CheckParallelArray(GgufFile file, string key, GgufValueType elementType, int tokens)
    {
        if (!file.Metadata.TryGetValue(key, out var v))
        {
            return;
        }
        if (!v.IsArray || v.ElementType != elementType)
        {
            throw GgufModelValidator.Fail(file, $"{key} is of type {v.TypeDescription}, expected arr[{GgufValue.TypeName(elementType)}].");
        }
        if (v.Count != tokens)
        {
            throw GgufModelValidator.Fail(file, $"{key} has {v.Count} entries for {tokens} tokens in tokenizer.ggml.tokens.");
        }
        if (v.Value is float[] scores && Array.FindIndex(scores, s => !float.IsFinite(s)) is var bad and >= 0)
        {
            throw GgufModelValidator.Fail(file, $"{key}[{bad}] is not a finite number.");
        }
    }

    /// <summary>SPM byte fallback looks up "&lt;0xXX&gt;" for every byte and throws through the C API when one is missing.</summary>
    private static void CheckByteTokens(GgufFile file, string[] tokens)
    {
        var set = new HashSet<string>(tokens, StringComparer.Ordinal);
        for (var b = 0; b < 256; b++)
        {
            var piece = string.Create(CultureInfo.InvariantCulture, $"<0x{b:X2}>");
            if (!set.Contains(piece))
            {
                throw GgufModelValidator.Fail(file, $"tokenizer.ggml.tokens lacks the byte token {piece}, which llama.cpp's SPM tokenizer (tokenizer.ggml.model 'llama') needs for every byte 0x00-0xFF.");
            }
        }
    }

    private static void CheckMerges(GgufFile file, string[] tokens, List<string> warnings)
    {
        if (!file.Metadata.TryGetValue("tokenizer.ggml.merges", out var merges))
        {
            throw GgufModelValidator.Fail(file, "no tokenizer.ggml.merges key, which a BPE tokenizer (tokenizer.ggml.model 'gpt2') requires.");
        }
        if (!merges.IsArray || merges.ElementType != GgufValueType.String)
        {
            throw GgufModelValidator.Fail(file, $"tokenizer.ggml.merges is of type {merges.TypeDescription}, expected arr[str].");
        }
        var set = new HashSet<string>(tokens, StringComparer.Ordinal);
        var unknown = 0;
        var list = merges.AsStringArray();
        for (var i = 0; i < list.Length; i++)
        {
            var pos = list[i].Length > 1 ? list[i].IndexOf(' ', 1) : -1;
            if (pos < 0 || pos == list[i].Length - 1 || list[i].IndexOf(' ', pos + 1) >= 0)
            {
                throw GgufModelValidator.Fail(file, $"tokenizer.ggml.merges[{i}] '{list[i]}' is not two pieces separated by one space.");
            }
            if (!set.Contains(list[i][..pos]) || !set.Contains(list[i][(pos + 1)..]))
            {
                unknown++;
            }
        }
        if (unknown > 0)
        {
            warnings.Add($"{file.FileName}: {unknown} of {list.Length} tokenizer.ggml.merges name pieces that are not in tokenizer.ggml.tokens.");
        }
    }

    private static void CheckSpecial(GgufFile file, int tokens, string name, string? addKey, bool addDefault, long? idDefault, List<string> warnings)
    {
        var idKey = $"tokenizer.ggml.{name}_token_id";
        var add = addDefault;
        if (addKey is not null && file.Metadata.TryGetValue(addKey, out var addValue))
        {
            add = addValue.Type == GgufValueType.Bool
                ? addValue.AsBool()
                : throw GgufModelValidator.Fail(file, $"{addKey} is of type {addValue.TypeDescription}, expected bool.");
        }
        long? id = idDefault is { } d && d < tokens ? d : null;
        if (file.Metadata.TryGetValue(idKey, out var idValue))
        {
            if (idValue.Type != GgufValueType.UInt32)
            {
                throw GgufModelValidator.Fail(file, $"{idKey} is of type {idValue.TypeDescription}, but llama.cpp requires u32.");
            }
            if (idValue.AsUInt32() < tokens)
            {
                id = idValue.AsUInt32();
            }
            else if (add)
            {
                // llama.cpp would fall back to a default id silently: the file contradicts itself about the token it adds.
                throw GgufModelValidator.Fail(file, $"{idKey} = {idValue.AsUInt32()} is not below the {tokens} tokens, and the tokenizer adds that token ({addKey}).");
            }
            else
            {
                warnings.Add($"{file.FileName}: {idKey} = {idValue.AsUInt32()} is outside the {tokens} tokens; llama.cpp ignores it.");
            }
        }
        if (add && id is null)
        {
            throw GgufModelValidator.Fail(file, $"the tokenizer adds a {name} token ({addKey}) but {idKey} is missing or not below the {tokens} tokens; llama.cpp would abort on the first prompt.");
        }
    }

    private static uint VocabSize(GgufFile file, GgufArchitecture arch, int tokens)
    {
        var key = $"{arch.Name}.vocab_size";
        if (!file.Metadata.TryGetValue(key, out var v))
        {
            return (uint)tokens;
        }
        if (v.Type != GgufValueType.UInt32)
        {
            throw GgufModelValidator.Fail(file, $"{key} is of type {v.TypeDescription}, but llama.cpp requires u32.");
        }
        return v.AsUInt32() >= tokens
            ? v.AsUInt32()
            : throw GgufModelValidator.Fail(file, $"{key} = {v.AsUInt32()} is below the {tokens} tokens in tokenizer.ggml.tokens.");
    }
}
