namespace MedHelm.Gguf;

/// <summary>
/// Semantic checks for what llama.cpp would otherwise hit with a GGML_ASSERT (which aborts the whole process) or a
/// load failure that is better reported, naming the file and the key or tensor, before the model reaches native code.
/// Covers the architecture, its hyperparameters (presence, type, range), the tensors the architecture needs and their
/// shapes (<see cref="GgufTensorChecks"/>), and the tokenizer (<see cref="GgufVocabularyChecks"/>).
/// </summary>
public static class GgufModelValidator
{
    /// <summary>Architectures the appliance accepts (names as in llama.cpp's src/llama-arch.cpp).</summary>
    public static IReadOnlySet<string> SupportedArchitectures { get; } = new HashSet<string>(GgufArchitectures.Names, StringComparer.Ordinal);

    /// <summary>llama.cpp's LLAMA_MAX_LAYERS.</summary>
    public const uint MaxLayers = 512;

    /// <summary>llama.cpp's LLAMA_MAX_EXPERTS.</summary>
    public const uint MaxExperts = 1024;

    private static readonly HashSet<string> RopeScalingTypes = new(StringComparer.Ordinal) { "none", "linear", "yarn", "longrope" };

    /// <summary>
    /// Throws <see cref="GgufFormatException"/> naming the file and the offending key or tensor when llama.cpp would
    /// refuse or abort on the model; returns non-fatal warnings otherwise.
    /// </summary>
    public static IReadOnlyList<string> Validate(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var warnings = new List<string>();
        var arch = Architecture(file);
        var hp = Hyperparameters(file, arch, warnings);
        var vocab = GgufVocabularyChecks.Check(file, arch, warnings);
        GgufTensorChecks.Check(file, arch, hp, vocab);

        if (file.ChatTemplate is null && !arch.Encoder)
        {
            warnings.Add($"{file.FileName} has no tokenizer.chat_template.");
        }
        return warnings;
    }

    internal static GgufFormatException Fail(GgufFile file, string message) => new(file.Path, null, $"{file.FileName}: {message}");

    private static GgufArchitecture Architecture(GgufFile file)
    {
        if (!file.Metadata.TryGetValue("general.architecture", out var archValue))
        {
            throw Fail(file, "no general.architecture key.");
        }
        if (archValue.Type != GgufValueType.String)
        {
            throw Fail(file, $"general.architecture is of type {archValue.TypeDescription}, expected str.");
        }
        var name = archValue.AsString();
        return GgufArchitectures.TryGet(name, out var arch)
            ? arch
            : throw Fail(file, $"general.architecture '{name}' is not one of the supported architectures ({string.Join(", ", GgufArchitectures.Names)}).");
    }

    private static GgufHyperparameters Hyperparameters(GgufFile file, GgufArchitecture arch, List<string> warnings)
    {
        var a = arch.Name;
        var blocks = RequireUInt32(file, $"{a}.block_count", 1);
        if (blocks > MaxLayers)
        {
            throw Fail(file, $"{a}.block_count = {blocks} is above llama.cpp's limit of {MaxLayers}.");
        }
        var embd = RequireUInt32(file, $"{a}.embedding_length", 1);
        RequireUInt32(file, $"{a}.context_length", 1);
        var heads = PerLayer(file, $"{a}.attention.head_count", blocks, required: true, defaults: null);
        if (heads.All(h => h == 0))
        {
            throw Fail(file, $"{a}.attention.head_count has no positive entry.");
        }
        var kvHeads = PerLayer(file, $"{a}.attention.head_count_kv", blocks, required: false, defaults: heads);
        for (var i = 0; i < blocks; i++)
        {
            if (heads[i] > 0 && (kvHeads[i] == 0 || heads[i] % kvHeads[i] != 0))
            {
                throw Fail(file, $"{a}.attention.head_count_kv = {kvHeads[i]} does not divide {a}.attention.head_count = {heads[i]} (block {i}).");
            }
        }

        var firstHeads = heads.First(h => h > 0);
        var keyLength = OptionalUInt32(file, $"{a}.attention.key_length", 1);
        var valueLength = OptionalUInt32(file, $"{a}.attention.value_length", 1);
        if (keyLength is null && embd % firstHeads != 0)
        {
            throw Fail(file, $"{a}.embedding_length = {embd} is not a multiple of {a}.attention.head_count = {firstHeads}, and there is no {a}.attention.key_length.");
        }
        var headK = keyLength ?? embd / firstHeads;
        var headV = valueLength ?? embd / firstHeads;

        if (OptionalUInt32(file, $"{a}.rope.dimension_count", 1) is { } rot)
        {
            if (arch.RopeEqualsHeadSize && arch.CheckAttentionShapes && rot != headK)
            {
                throw Fail(file, $"{a}.rope.dimension_count = {rot} differs from the head size {headK}, which llama.cpp asserts on for {a}.");
            }
            if (arch.CheckAttentionShapes && rot > headK)
            {
                throw Fail(file, $"{a}.rope.dimension_count = {rot} is above the head size {headK}.");
            }
        }

        RequireFloat(file, arch.EpsilonKey, required: true);
        RequireFloat(file, $"{a}.rope.freq_base", required: false);
        if (file.Metadata.TryGetValue($"{a}.rope.scaling.factor", out var factor) && (!factor.TryGetFloat(out var f) || !double.IsFinite(f) || f < 0))
        {
            throw Fail(file, $"{a}.rope.scaling.factor = {factor} is not a finite number of at least 0.");
        }
        if (file.Metadata.TryGetValue($"{a}.rope.scaling.type", out var scaling) && (scaling.Value is not string s || !RopeScalingTypes.Contains(s)))
        {
            // An unknown rope scaling type is a GGML_ASSERT in llama_model_base::load_hparams.
            throw Fail(file, $"{a}.rope.scaling.type '{scaling}' is not one of none, linear, yarn, longrope.");
        }

        var ff = PerLayer(file, $"{a}.feed_forward_length", blocks, required: false, defaults: new uint[blocks]);
        var experts = OptionalUInt32(file, $"{a}.expert_count", 0) ?? 0;
        var used = PerLayer(file, $"{a}.expert_used_count", blocks, required: false, defaults: new uint[blocks]).Max();
        if (experts > MaxExperts)
        {
            throw Fail(file, $"{a}.expert_count = {experts} is above llama.cpp's limit of {MaxExperts}.");
        }
        if (used > experts)
        {
            throw Fail(file, $"{a}.expert_used_count = {used} is more than {a}.expert_count = {experts}.");
        }
        if (experts > 0 && used == 0)
        {
            throw Fail(file, $"{a}.expert_count = {experts} but {a}.expert_used_count is missing or 0.");
        }
        if (arch.Encoder && embd % firstHeads != 0)
        {
            warnings.Add($"{file.FileName}: {a}.embedding_length {embd} is not a multiple of {a}.attention.head_count {firstHeads}.");
        }
        return new GgufHyperparameters(blocks, embd, heads, kvHeads, headK, headV, ff, experts);
    }

    private static uint RequireUInt32(GgufFile file, string key, uint min) =>
        OptionalUInt32(file, key, min) ?? throw Fail(file, $"no {key} key.");

    private static uint? OptionalUInt32(GgufFile file, string key, uint min)
    {
        if (!file.Metadata.TryGetValue(key, out var v))
        {
            return null;
        }
        if (v.Type != GgufValueType.UInt32)
        {
            throw Fail(file, $"{key} is of type {v.TypeDescription}, but llama.cpp requires u32.");
        }
        var value = v.AsUInt32();
        return value >= min ? value : throw Fail(file, $"{key} = {value}, but it must be at least {min}.");
    }

    /// <summary>A u32 or a per-layer array of u32/i32 (llama.cpp's get_key_or_arr), expanded to one entry per block.</summary>
    private static uint[] PerLayer(GgufFile file, string key, uint layers, bool required, uint[]? defaults)
    {
        if (!file.Metadata.TryGetValue(key, out var v))
        {
            return required || defaults is null ? throw Fail(file, $"no {key} key.") : defaults;
        }
        if (!v.IsArray)
        {
            var scalar = OptionalUInt32(file, key, 0)!.Value;
            return Enumerable.Repeat(scalar, (int)layers).ToArray();
        }
        if (v.ElementType is not (GgufValueType.UInt32 or GgufValueType.Int32) || v.Count != layers)
        {
            throw Fail(file, $"{key} is {v.TypeDescription} with {v.Count} entries; expected {layers} integers, one per block.");
        }
        var values = v.ElementType == GgufValueType.UInt32 ? v.AsArray<uint>().Select(x => (long)x).ToArray() : v.AsArray<int>().Select(x => (long)x).ToArray();
        var negative = Array.FindIndex(values, x => x < 0);
        return negative < 0 ? values.Select(x => (uint)x).ToArray() : throw Fail(file, $"{key} has the negative entry {values[negative]} (block {negative}).");
    }

    private static void RequireFloat(GgufFile file, string key, bool required)
    {
        if (!file.Metadata.TryGetValue(key, out var v))
        {
            if (required)
            {
                throw Fail(file, $"no {key} key.");
            }
            return;
        }
        if (v.Type != GgufValueType.Float32)
        {
            throw Fail(file, $"{key} is of type {v.TypeDescription}, but llama.cpp requires f32.");
        }
        var value = v.AsFloat32();
        if (!float.IsFinite(value) || value <= 0)
        {
            throw Fail(file, $"{key} = {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not a finite positive number.");
        }
    }
}

/// <summary>The hyperparameters the tensor and vocabulary checks need, per block where llama.cpp allows arrays.</summary>
internal sealed record GgufHyperparameters(
    uint Blocks,
    uint Embd,
    uint[] Heads,
    uint[] KvHeads,
    uint HeadK,
    uint HeadV,
    uint[] FeedForward,
    uint Experts);
