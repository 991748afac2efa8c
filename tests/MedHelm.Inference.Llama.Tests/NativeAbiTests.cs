using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MedHelm.Inference.Llama.Native;

namespace MedHelm.Inference.Llama.Tests;

/// <summary>The blittable structs must match llama.h of the pinned llama.cpp version byte for byte.</summary>
public sealed class NativeAbiTests
{
    [Fact]
    public void Struct_sizes_match_the_pinned_llama_h()
    {
        Assert.Equal(80, Unsafe.SizeOf<LlamaModelParams>());
        Assert.Equal(160, Unsafe.SizeOf<LlamaContextParams>());
        Assert.Equal(56, Unsafe.SizeOf<LlamaBatch>());
        Assert.Equal(1, Unsafe.SizeOf<LlamaSamplerChainParams>());
    }

    [Fact]
    public void Model_params_field_offsets()
    {
        var p = default(LlamaModelParams);
        Assert.Equal(16, Offset(ref p, ref p.GpuLayers));
        Assert.Equal(20, Offset(ref p, ref Unsafe.As<LlamaSplitMode, int>(ref p.SplitMode)));
        Assert.Equal(32, Offset(ref p, ref p.MainGpu));
        Assert.Equal(40, Offset(ref p, ref p.TensorSplit));
        Assert.Equal(48, Offset(ref p, ref p.ProgressCallback));
        Assert.Equal(56, Offset(ref p, ref p.ProgressCallbackUserData));
        Assert.Equal(64, Offset(ref p, ref p.KvOverrides));
        Assert.Equal(72, Offset(ref p, ref p.VocabOnly));
        Assert.Equal(77, Offset(ref p, ref p.LoadMtp));
    }

    [Fact]
    public void Context_params_field_offsets()
    {
        var p = default(LlamaContextParams);
        Assert.Equal(12, Offset(ref p, ref p.MaxSequences));
        Assert.Equal(28, Offset(ref p, ref p.Threads));
        Assert.Equal(44, Offset(ref p, ref Unsafe.As<LlamaPoolingType, int>(ref p.PoolingType)));
        Assert.Equal(52, Offset(ref p, ref Unsafe.As<LlamaFlashAttentionType, int>(ref p.FlashAttention)));
        Assert.Equal(88, Offset(ref p, ref p.EvalCallback));
        Assert.Equal(104, Offset(ref p, ref p.TypeK));
        Assert.Equal(112, Offset(ref p, ref p.AbortCallback));
        Assert.Equal(128, Offset(ref p, ref p.Embeddings));
        Assert.Equal(133, Offset(ref p, ref p.KvUnified));
        Assert.Equal(136, Offset(ref p, ref p.Samplers));
        Assert.Equal(144, Offset(ref p, ref p.SamplerCount));
        Assert.Equal(152, Offset(ref p, ref p.OtherContext));
    }

    [Fact]
    public void Batch_field_offsets()
    {
        Assert.Equal(0, (int)Marshal.OffsetOf<LlamaBatch>(nameof(LlamaBatch.TokenCount)));
        Assert.Equal(8, (int)Marshal.OffsetOf<LlamaBatch>(nameof(LlamaBatch.Token)));
        Assert.Equal(24, (int)Marshal.OffsetOf<LlamaBatch>(nameof(LlamaBatch.Pos)));
        Assert.Equal(40, (int)Marshal.OffsetOf<LlamaBatch>(nameof(LlamaBatch.SeqId)));
        Assert.Equal(48, (int)Marshal.OffsetOf<LlamaBatch>(nameof(LlamaBatch.Logits)));
    }

    private static int Offset<TStruct, TField>(ref TStruct s, ref TField field) =>
        (int)Unsafe.ByteOffset(ref Unsafe.As<TStruct, byte>(ref s), ref Unsafe.As<TField, byte>(ref field));
}
