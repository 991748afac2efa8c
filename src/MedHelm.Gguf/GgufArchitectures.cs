namespace MedHelm.Gguf;

/// <summary>How an architecture's layers are normalised, which decides the epsilon key llama.cpp requires.</summary>
public enum GgufNormKind
{
    /// <summary>RMS norm: {arch}.attention.layer_norm_rms_epsilon.</summary>
    Rms,

    /// <summary>Layer norm: {arch}.attention.layer_norm_epsilon.</summary>
    Layer,
}

/// <summary>
/// What the appliance checks for one llama.cpp architecture before native code sees the file: the epsilon key,
/// whether llama.cpp's graph asserts that the rope dimension equals the head size, the tensors every block needs
/// (alternatives separated by '|', each alternative a '+'-joined set), and the global tensors.
/// </summary>
/// <param name="Name">general.architecture as llama.cpp spells it (src/llama-arch.cpp).</param>
/// <param name="Norm">The normalisation, hence the required epsilon key.</param>
/// <param name="RopeEqualsHeadSize">llama.cpp's graph asserts n_rot == n_embd_head (llama, qwen2, qwen3, mistral3).</param>
/// <param name="Encoder">A BERT-family encoder: needs tokenizer.ggml.token_type_count and a position embedding.</param>
/// <param name="BlockTensors">Per-block requirements, e.g. "attn_q.weight+attn_k.weight+attn_v.weight|attn_qkv.weight".</param>
/// <param name="GlobalTensors">Tensors required outside the blocks besides token_embd.weight.</param>
/// <param name="CheckAttentionShapes">Whether q/k/v/qkv shapes follow the standard multi-head layout (not MLA).</param>
/// <param name="FusedUpGate">ffn_up holds gate and up stacked (phi3): [n_embd, 2·n_ff].</param>
public sealed record GgufArchitecture(
    string Name,
    GgufNormKind Norm,
    bool RopeEqualsHeadSize,
    bool Encoder,
    IReadOnlyList<string> BlockTensors,
    IReadOnlyList<string> GlobalTensors,
    bool CheckAttentionShapes = true,
    bool FusedUpGate = false)
{
    /// <summary>The epsilon key llama.cpp reads with get_key(..., required).</summary>
    public string EpsilonKey => Norm == GgufNormKind.Rms
        ? $"{Name}.attention.layer_norm_rms_epsilon"
        : $"{Name}.attention.layer_norm_epsilon";
}

/// <summary>The architectures the appliance accepts, with what llama.cpp's loaders for them require.</summary>
public static class GgufArchitectures
{
    private const string Attention = "attn_q.weight+attn_k.weight+attn_v.weight|attn_qkv.weight";
    private const string FeedForward = "ffn_down.weight|ffn_down_exps.weight";

    private static readonly string[] DecoderBlock = ["attn_norm.weight", Attention, "attn_output.weight", FeedForward];
    private static readonly string[] DecoderGlobals = ["output_norm.weight"];
    private static readonly string[] BertBlock = [Attention, "attn_output.weight", "attn_output_norm.weight", FeedForward, "layer_output_norm.weight"];
    private static readonly string[] BertGlobals = ["token_embd_norm.weight", "position_embd.weight"];

    private static readonly Dictionary<string, GgufArchitecture> ByName = new GgufArchitecture[]
    {
        new("llama", GgufNormKind.Rms, RopeEqualsHeadSize: true, Encoder: false, DecoderBlock, DecoderGlobals),
        new("mistral3", GgufNormKind.Rms, RopeEqualsHeadSize: true, Encoder: false, DecoderBlock, DecoderGlobals),
        new("qwen2", GgufNormKind.Rms, RopeEqualsHeadSize: true, Encoder: false, DecoderBlock, DecoderGlobals),
        new("qwen3", GgufNormKind.Rms, RopeEqualsHeadSize: true, Encoder: false, DecoderBlock, DecoderGlobals),
        new("gemma", GgufNormKind.Rms, RopeEqualsHeadSize: false, Encoder: false, DecoderBlock, DecoderGlobals),
        new("gemma2", GgufNormKind.Rms, RopeEqualsHeadSize: false, Encoder: false, DecoderBlock, DecoderGlobals),
        new("gemma3", GgufNormKind.Rms, RopeEqualsHeadSize: false, Encoder: false, DecoderBlock, DecoderGlobals),
        new("phi3", GgufNormKind.Rms, RopeEqualsHeadSize: false, Encoder: false, DecoderBlock, DecoderGlobals, FusedUpGate: true),
        new("deepseek2", GgufNormKind.Rms, RopeEqualsHeadSize: false, Encoder: false, ["attn_norm.weight", "attn_output.weight", FeedForward], DecoderGlobals, CheckAttentionShapes: false),
        new("bert", GgufNormKind.Layer, RopeEqualsHeadSize: false, Encoder: true, BertBlock, BertGlobals),
        new("nomic-bert", GgufNormKind.Layer, RopeEqualsHeadSize: false, Encoder: true, BertBlock, ["token_embd_norm.weight"]),
    }.ToDictionary(a => a.Name, StringComparer.Ordinal);

    /// <summary>Names of the accepted architectures, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = ByName.Keys.Order(StringComparer.Ordinal).ToList();

    public static bool TryGet(string name, out GgufArchitecture architecture) => ByName.TryGetValue(name, out architecture!);
}
