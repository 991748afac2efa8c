using System.Runtime.InteropServices;

namespace MedHelm.Inference.Llama.Native;

internal static unsafe partial class LlamaNative
{
    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial LlamaContextParams llama_context_default_params();

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial SafeLlamaContextHandle llama_init_from_model(SafeLlamaModelHandle model, LlamaContextParams parameters);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_free(nint context);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial uint llama_n_ctx(SafeLlamaContextHandle context);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial uint llama_n_ctx_seq(SafeLlamaContextHandle context);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial uint llama_n_batch(SafeLlamaContextHandle context);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial uint llama_n_seq_max(SafeLlamaContextHandle context);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial LlamaPoolingType llama_pooling_type(SafeLlamaContextHandle context);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_set_n_threads(SafeLlamaContextHandle context, int threads, int batchThreads);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial LlamaBatch llama_batch_init(int tokenCapacity, int embd, int maxSequencesPerToken);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_batch_free(LlamaBatch batch);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_decode(SafeLlamaContextHandle context, LlamaBatch batch);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_encode(SafeLlamaContextHandle context, LlamaBatch batch);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial float* llama_get_logits_ith(SafeLlamaContextHandle context, int index);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial float* llama_get_embeddings_ith(SafeLlamaContextHandle context, int index);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial float* llama_get_embeddings_seq(SafeLlamaContextHandle context, int sequence);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial nint llama_get_memory(SafeLlamaContextHandle context);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_memory_clear(nint memory, [MarshalAs(UnmanagedType.U1)] bool data);

    [LibraryImport(LlamaLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_memory_seq_rm(nint memory, int sequence, int p0, int p1);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_memory_seq_cp(nint memory, int source, int destination, int p0, int p1);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_memory_seq_pos_max(nint memory, int sequence);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial LlamaPerfContextData llama_perf_context(SafeLlamaContextHandle context);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_perf_context_reset(SafeLlamaContextHandle context);
}
