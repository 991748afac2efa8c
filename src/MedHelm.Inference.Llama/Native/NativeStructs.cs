using System.Runtime.InteropServices;

namespace MedHelm.Inference.Llama.Native;

// Blittable mirrors of the llama.h structs of the pinned llama.cpp version (gpu-kernels/LLAMA_CPP_VERSION).
// C bool is one byte: with [assembly: DisableRuntimeMarshalling] a C# bool field is one byte as well.
// Sizes and offsets are pinned by NativeAbiTests; change them only together with the pinned version.

/// <summary><c>struct llama_model_params</c> (80 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaModelParams
{
    public nint Devices;                 // ggml_backend_dev_t *
    public nint TensorBufferOverrides;   // const llama_model_tensor_buft_override *
    public int GpuLayers;                // n_gpu_layers; negative = all
    public LlamaSplitMode SplitMode;
    public int LoadMode;                 // enum llama_load_mode
    public int LazyMode;                 // enum llama_lazy_mode
    public int MainGpu;
    public nint TensorSplit;             // const float *
    public nint ProgressCallback;        // bool (*)(float, void *)
    public nint ProgressCallbackUserData;
    public nint KvOverrides;
    public bool VocabOnly;
    public bool CheckTensors;
    public bool UseExtraBufferTypes;
    public bool NoHost;
    public bool NoAlloc;
    public bool LoadMtp;
}

/// <summary><c>struct llama_context_params</c> (160 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaContextParams
{
    public uint ContextSize;             // n_ctx
    public uint BatchSize;               // n_batch
    public uint MicroBatchSize;          // n_ubatch
    public uint MaxSequences;            // n_seq_max
    public uint RecurrentSnapshots;      // n_rs_seq
    public uint MaxOutputs;              // n_outputs_max
    public uint MaxOutputsPerSequence;   // n_outputs_max_per_seq
    public int Threads;
    public int BatchThreads;
    public int ContextType;
    public int RopeScalingType;
    public LlamaPoolingType PoolingType;
    public int AttentionType;
    public LlamaFlashAttentionType FlashAttention;
    public float RopeFrequencyBase;
    public float RopeFrequencyScale;
    public float YarnExtFactor;
    public float YarnAttnFactor;
    public float YarnBetaFast;
    public float YarnBetaSlow;
    public uint YarnOriginalContext;
    public float DefragThreshold;
    public nint EvalCallback;
    public nint EvalCallbackUserData;
    public int TypeK;                    // enum ggml_type
    public int TypeV;
    public nint AbortCallback;
    public nint AbortCallbackData;
    public bool Embeddings;
    public bool OffloadKqv;
    public bool NoPerf;
    public bool OpOffload;
    public bool SwaFull;
    public bool KvUnified;
    public nint Samplers;                // llama_sampler_seq_config *
    public nuint SamplerCount;
    public nint OtherContext;
}

/// <summary><c>struct llama_batch</c> (56 bytes): token/embd/pos/n_seq_id/seq_id/logits arrays.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaBatch
{
    public int TokenCount;
    public int* Token;
    public float* Embd;
    public int* Pos;
    public int* SeqIdCount;
    public int** SeqId;
    public sbyte* Logits;
}

/// <summary><c>struct llama_sampler_chain_params</c> (1 byte).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaSamplerChainParams
{
    public bool NoPerf;
}

/// <summary><c>struct llama_perf_context_data</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaPerfContextData
{
    public double StartMs;
    public double LoadMs;
    public double PromptEvalMs;
    public double EvalMs;
    public int PromptEvalCount;
    public int EvalCount;
    public int GraphReuseCount;
}

internal enum LlamaSplitMode
{
    None = 0,
    Layer = 1,
    Row = 2,
    Tensor = 3,
}

internal enum LlamaPoolingType
{
    Unspecified = -1,
    None = 0,
    Mean = 1,
    Cls = 2,
    Last = 3,
    Rank = 4,
}

internal enum LlamaFlashAttentionType
{
    Auto = -1,
    Disabled = 0,
    Enabled = 1,
}

internal enum GgmlLogLevel
{
    None = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
    Continue = 5,
}

internal enum GgmlBackendDeviceType
{
    Cpu = 0,
    Gpu = 1,
    IntegratedGpu = 2,
    Accelerator = 3,
}
