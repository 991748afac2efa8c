namespace MedHelm.Inference.Llama.Models;

/// <summary>How a model file is placed on devices.</summary>
public sealed record LlamaModelSettings
{
    /// <summary>Layers to offload to a GPU when one is present; -1 = all (llama.cpp default), 0 = CPU only.</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>GPU used for the whole model when <see cref="TensorSplit"/> is empty.</summary>
    public int MainGpu { get; init; }

    /// <summary>Share of the model per GPU (for example 0.5, 0.5); empty = llama.cpp decides.</summary>
    public IReadOnlyList<float> TensorSplit { get; init; } = [];

    /// <summary>
    /// Let the CPU backend repack weights into its extra buffer types (llama_model_params.use_extra_bufts, llama.cpp's
    /// default). Its kernels handle rows in groups whose split depends on the batch, so batch-invariant outputs need false.
    /// </summary>
    public bool RepackWeights { get; init; } = true;
}
