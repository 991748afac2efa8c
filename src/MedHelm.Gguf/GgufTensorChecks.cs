using System.Globalization;

namespace MedHelm.Gguf;

/// <summary>
/// Tensor checks from llama.cpp's load_arch_tensors: the tensors an architecture needs are present, every block
/// 0..block_count-1 has them and no block lies beyond, and the shapes agree with the hyperparameters (embedding
/// length, vocabulary size, head sizes, feed-forward length, expert count). llama.cpp compares shapes with trailing
/// dimensions of 1 ignored; so does this.
/// </summary>
internal static class GgufTensorChecks
{
    private const string BlockPrefix = "blk.";

    /// <summary>Norm weights that are one value per embedding channel.</summary>
    private static readonly string[] EmbdNorms =
    [
        "attn_norm.weight", "ffn_norm.weight", "attn_output_norm.weight", "layer_output_norm.weight",
        "post_attention_norm.weight", "post_ffw_norm.weight",
    ];

    public static void Check(GgufFile file, GgufArchitecture arch, GgufHyperparameters hp, uint vocab)
    {
        var embd = (long)hp.Embd;
        ExpectShape(file, "token_embd.weight", required: true, embd, vocab);
        ExpectShape(file, "output.weight", required: false, embd, vocab);
        foreach (var name in arch.GlobalTensors)
        {
            if (file.FindTensor(name) is null)
            {
                throw GgufModelValidator.Fail(file, $"no {name} tensor, which llama.cpp requires for {arch.Name}.");
            }
        }
        ExpectShape(file, "output_norm.weight", required: false, embd);
        ExpectShape(file, "token_embd_norm.weight", required: false, embd);
        if (arch.Encoder && file.FindTensor("position_embd.weight") is { } pos)
        {
            ExpectShape(file, pos.Name, required: true, embd, file.TryGetUInt32($"{arch.Name}.context_length", out var ctx) ? ctx : pos.Shape[^1]);
        }
        if (arch.Encoder && file.FindTensor("token_types.weight") is not null && file.TryGetInteger("tokenizer.ggml.token_type_count", out var ttc))
        {
            ExpectShape(file, "token_types.weight", required: true, embd, ttc);
        }

        var blocks = BlockTensors(file, hp.Blocks);
        var anyExperts = false;
        for (var i = 0; i < hp.Blocks; i++)
        {
            var present = blocks[i];
            foreach (var requirement in arch.BlockTensors)
            {
                var alternatives = requirement.Split('|');
                if (!alternatives.Any(alt => alt.Split('+').All(present.Contains)))
                {
                    var wanted = string.Join(" or ", alternatives.Select(alt => string.Join(" + ", alt.Split('+').Select(t => $"blk.{i}.{t}"))));
                    throw GgufModelValidator.Fail(file, $"block {i} of {hp.Blocks} lacks {wanted}.");
                }
            }
            anyExperts |= CheckBlock(file, arch, hp, i, present);
        }
        if (anyExperts && hp.Experts == 0)
        {
            throw GgufModelValidator.Fail(file, $"the blocks hold expert tensors (ffn_*_exps) but {arch.Name}.expert_count is missing or 0.");
        }
    }

    /// <summary>Suffixes per block; fails on a block index at or beyond block_count.</summary>
    private static HashSet<string>[] BlockTensors(GgufFile file, uint blockCount)
    {
        var blocks = Enumerable.Range(0, (int)blockCount).Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToArray();
        foreach (var t in file.Tensors)
        {
            if (!t.Name.StartsWith(BlockPrefix, StringComparison.Ordinal))
            {
                continue;
            }
            var dot = t.Name.IndexOf('.', BlockPrefix.Length);
            if (dot < 0 || !int.TryParse(t.Name.AsSpan(BlockPrefix.Length, dot - BlockPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                throw GgufModelValidator.Fail(file, $"tensor '{t.Name}' has no block number after '{BlockPrefix}'.");
            }
            if (index >= blockCount)
            {
                throw GgufModelValidator.Fail(file, $"tensor '{t.Name}' belongs to block {index}, but block_count is {blockCount} (an extra block).");
            }
            blocks[index].Add(t.Name[(dot + 1)..]);
        }
        return blocks;
    }

    /// <summary>Shape checks for one block; returns whether it has expert tensors.</summary>
    private static bool CheckBlock(GgufFile file, GgufArchitecture arch, GgufHyperparameters hp, int i, HashSet<string> present)
    {
        var p = $"blk.{i}.";
        var embd = (long)hp.Embd;
        foreach (var norm in EmbdNorms.Where(present.Contains))
        {
            ExpectShape(file, p + norm, required: true, embd);
        }
        if (arch.CheckAttentionShapes && hp.Heads[i] > 0)
        {
            long q = hp.HeadK * hp.Heads[i], k = hp.HeadK * hp.KvHeads[i], v = hp.HeadV * hp.KvHeads[i];
            ExpectShape(file, p + "attn_q.weight", required: false, embd, q);
            ExpectShape(file, p + "attn_k.weight", required: false, embd, k);
            ExpectShape(file, p + "attn_v.weight", required: false, embd, v);
            ExpectShape(file, p + "attn_qkv.weight", required: false, embd, q + k + v);
        }
        ExpectDimension(file, p + "attn_output.weight", 1, embd);

        var ff = hp.FeedForward[i];
        ExpectDimension(file, p + "ffn_down.weight", 1, embd);
        ExpectDimension(file, p + "ffn_up.weight", 0, embd);
        ExpectDimension(file, p + "ffn_gate.weight", 0, embd);
        if (ff > 0)
        {
            ExpectDimension(file, p + "ffn_down.weight", 0, ff);
            ExpectDimension(file, p + "ffn_up.weight", 1, arch.FusedUpGate ? 2L * ff : ff);
            ExpectDimension(file, p + "ffn_gate.weight", 1, ff);
        }

        var experts = present.Where(s => s.StartsWith("ffn_", StringComparison.Ordinal) && s.Contains("_exps.", StringComparison.Ordinal)).ToList();
        foreach (var name in experts.Where(_ => hp.Experts > 0))
        {
            ExpectDimension(file, p + name, 2, hp.Experts);
        }
        if (hp.Experts > 0)
        {
            if (experts.Count == 0)
            {
                throw GgufModelValidator.Fail(file, $"{arch.Name}.expert_count = {hp.Experts} but block {i} has no expert tensors (blk.{i}.ffn_*_exps.weight).");
            }
            ExpectShape(file, p + "ffn_gate_inp.weight", required: true, embd, hp.Experts);
        }
        return experts.Count > 0;
    }

    private static void ExpectShape(GgufFile file, string name, bool required, params long[] expected)
    {
        var t = file.FindTensor(name);
        if (t is null)
        {
            if (required)
            {
                throw GgufModelValidator.Fail(file, $"no {name} tensor.");
            }
            return;
        }
        var actual = t.Shape.ToList();
        while (actual.Count > expected.Length && actual[^1] == 1)
        {
            actual.RemoveAt(actual.Count - 1);
        }
        if (!actual.SequenceEqual(expected))
        {
            throw GgufModelValidator.Fail(file, $"tensor {name} has shape {t.ShapeText}, expected [{string.Join(", ", expected)}].");
        }
    }

    private static void ExpectDimension(GgufFile file, string name, int axis, long expected)
    {
        if (file.FindTensor(name) is not { } t)
        {
            return;
        }
        var actual = axis < t.Shape.Count ? t.Shape[axis] : 1;
        if (actual != expected)
        {
            throw GgufModelValidator.Fail(file, $"tensor {name} has shape {t.ShapeText}; dimension {axis} should be {expected}.");
        }
    }
}
