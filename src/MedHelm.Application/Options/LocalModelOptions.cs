using System.ComponentModel.DataAnnotations;
using MedHelm.Inference.Llama.Generation;
using Generation = MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;

namespace MedHelm.Application.Options;

/// <summary>One entry of the <c>Models</c> section: a local GGUF model and how it is placed and served.</summary>
public sealed class LocalModelOptions
{
    /// <summary>The GGUF file (relative paths are relative to the MedHelm home).</summary>
    [Required]
    public string File { get; set; } = "";

    /// <summary>Layers on the GPU: -1 = all, 0 = CPU only.</summary>
    [Range(-1, 10000)]
    public int GpuLayers { get; set; } = -1;

    [Range(0, 64)]
    public int MainGpu { get; set; }

    /// <summary>Share of the model per GPU, e.g. [0.5, 0.5]; empty = llama.cpp decides.</summary>
    public float[] TensorSplit { get; set; } = [];

    /// <summary>true / false, or null for the choice of <see cref="Determinism"/> (off, or automatic in Fastest).</summary>
    public bool? FlashAttention { get; set; }

    /// <summary>How far greedy outputs must repeat: BatchInvariant (default), Repeatable or Fastest; see docs/engine.md.</summary>
    public DeterminismMode Determinism { get; set; } = DeterminismMode.BatchInvariant;

    /// <summary>The llama.cpp settings <see cref="Determinism"/> and <see cref="FlashAttention"/> resolve to.</summary>
    /// <exception cref="ArgumentException">FlashAttention true outside Fastest.</exception>
    public DeterminismProfile DeterminismProfile() => Generation.DeterminismProfile.For(Determinism, FlashAttention);

    /// <summary>Sequences decoded together (slots).</summary>
    [Range(1, 256)]
    public int Sequences { get; set; } = 8;

    /// <summary>Context tokens per sequence: prompt + output (+ thinking budget).</summary>
    [Range(256, 1048576)]
    public int ContextPerSequence { get; set; } = 8192;

    [Range(1, 65536)]
    public int BatchSize { get; set; } = 2048;

    [Range(0, 65536)]
    public int MicroBatchSize { get; set; } = 512;

    public bool PrefixReuse { get; set; } = true;

    /// <summary>Reasoning models (DeepSeek-R1 distills).</summary>
    public ReasoningOptions Reasoning { get; set; } = new();

    public LlamaModelSettings ToModelSettings() => new()
    {
        GpuLayers = GpuLayers, MainGpu = MainGpu, TensorSplit = TensorSplit, RepackWeights = DeterminismProfile().RepackWeights,
    };

    public LlamaEngineOptions ToEngineOptions(int threads) => new()
    {
        Context = new LlamaContextSettings
        {
            Sequences = Sequences,
            ContextPerSequence = ContextPerSequence,
            BatchSize = BatchSize,
            MicroBatchSize = MicroBatchSize,
            Threads = threads,
            FlashAttention = DeterminismProfile().FlashAttention,
        },
        Determinism = Determinism,
        PrefixReuse = PrefixReuse,
        Reasoning = Reasoning.Enabled
            ? new ReasoningSettings { Enabled = true, ThinkingBudget = Reasoning.ThinkingBudget, StartsInReasoning = Reasoning.StartsInReasoning }
            : ReasoningSettings.Disabled,
    };
}

public sealed class ReasoningOptions
{
    public bool Enabled { get; set; }

    [Range(1, 1048576)]
    public int ThinkingBudget { get; set; } = 2048;

    public bool StartsInReasoning { get; set; }
}
