using System.Runtime.InteropServices;

namespace MedHelm.Inference.Llama.Native;

/// <summary>Owns a <c>llama_model *</c>; freed with <c>llama_model_free</c>.</summary>
internal sealed class SafeLlamaModelHandle : SafeHandle
{
    public SafeLlamaModelHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_model_free(handle);
        return true;
    }
}

/// <summary>Owns a <c>llama_context *</c>; freed with <c>llama_free</c>. Not thread-safe: one decode loop at a time.</summary>
internal sealed class SafeLlamaContextHandle : SafeHandle
{
    public SafeLlamaContextHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_free(handle);
        return true;
    }
}

/// <summary>Owns a <c>llama_sampler *</c> chain; freed with <c>llama_sampler_free</c> (which frees its members).</summary>
internal sealed class SafeLlamaSamplerHandle : SafeHandle
{
    public SafeLlamaSamplerHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_sampler_free(handle);
        return true;
    }
}

/// <summary>Owns the arrays of a <c>llama_batch</c> made by <c>llama_batch_init</c>; freed with <c>llama_batch_free</c>.</summary>
internal sealed unsafe class SafeLlamaBatchHandle : SafeHandle
{
    private LlamaBatch _batch;

    private SafeLlamaBatchHandle(LlamaBatch batch) : base(IntPtr.Zero, ownsHandle: true)
    {
        _batch = batch;
        SetHandle((nint)batch.Token);
    }

    public static SafeLlamaBatchHandle Create(int tokenCapacity, int maxSequencesPerToken)
    {
        var batch = LlamaNative.llama_batch_init(tokenCapacity, 0, maxSequencesPerToken);
        if (batch.Token == null)
        {
            throw new OutOfMemoryException($"llama_batch_init could not allocate a batch of {tokenCapacity} tokens.");
        }

        return new SafeLlamaBatchHandle(batch);
    }

    public ref LlamaBatch Batch => ref _batch;

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_batch_free(_batch);
        _batch = default;
        return true;
    }
}
