namespace MedHelm.Inference.Llama.Generation;

/// <summary>
/// How far greedy outputs of a local model are guaranteed to repeat. Each mode fixes the llama.cpp settings that decide
/// it; <see cref="DeterminismProfile"/> says which.
/// </summary>
public enum DeterminismMode
{
    /// <summary>
    /// Greedy outputs that do not depend on what else shares the batch: no weight repacking, and on the CPU the
    /// batch-invariant CPU backend (runtimes/llama/cpu-invariant, from scripts/install-runtime.sh --invariant), which
    /// the engine loads by itself: the prebuilt one switches between tinyBLAS and ggml's dot product by the number of
    /// tokens in a product (docs/engine.md). Flash attention is off, except on that backend, whose flash attention is
    /// one kernel for every batch (<see cref="DeterminismProfile.OnKernels"/>).
    /// </summary>
    BatchInvariant,

    /// <summary>
    /// Identical across repeated runs with the same settings. Which requests share a decoding step depends on when
    /// they arrive, so under continuous batching only kernels that do not depend on the batch give that: measured on
    /// llama.cpp's standard CPU kernels (flash attention off, repacked weights), 4 of 64 greedy outputs differed between
    /// two identical runs (docs/engine.md). It therefore takes the same settings and CPU kernels as
    /// <see cref="BatchInvariant"/>, and promises less: a configuration may say Repeatable where only that is required.
    /// </summary>
    Repeatable,

    /// <summary>llama.cpp's fastest choices (flash attention automatic, repacked weights): outputs may change with the batch.</summary>
    Fastest,
}

/// <summary>The llama.cpp settings a <see cref="DeterminismMode"/> stands for.</summary>
/// <param name="Mode">The mode.</param>
/// <param name="FlashAttention">Flash attention: false, or null for llama.cpp's automatic choice.</param>
/// <param name="RepackWeights">Whether the CPU backend may repack weights into its extra buffer types (llama_model_params.use_extra_bufts).</param>
public sealed record DeterminismProfile(DeterminismMode Mode, bool? FlashAttention, bool RepackWeights)
{
    /// <summary>Flash attention is on because the CPU backend computes it batch-invariantly (<see cref="OnKernels"/>).</summary>
    public bool InvariantFlashAttention { get; init; }

    /// <summary>
    /// The settings on a backend whose flash attention is batch-invariant or not: there a mode that promises repeatable
    /// outputs turns flash attention on (the batch-invariant CPU backend's tiled kernel, faster than attention without
    /// it); elsewhere, and in Fastest, nothing changes.
    /// </summary>
    public DeterminismProfile OnKernels(bool invariantFlashAttention) =>
        TakesInvariantFlashAttention(Mode, FlashAttention, invariantFlashAttention)
            ? this with { FlashAttention = true, InvariantFlashAttention = true }
            : this;

    /// <summary>
    /// Whether a context of <paramref name="mode"/> whose settings say <paramref name="flashAttention"/> runs flash
    /// attention on a backend whose kernel is (<paramref name="invariantKernel"/>) batch-invariant: the rule of <see cref="OnKernels"/>.
    /// </summary>
    public static bool TakesInvariantFlashAttention(DeterminismMode mode, bool? flashAttention, bool invariantKernel) =>
        invariantKernel && NeedsInvariantKernels(mode) && flashAttention == false;

    /// <summary>
    /// The settings of <paramref name="mode"/>. An explicit <paramref name="flashAttention"/> wins where the mode allows
    /// it; flash attention on is refused outside <see cref="DeterminismMode.Fastest"/>, because llama.cpp's CPU and CUDA
    /// flash-attention kernels change the result with the batch.
    /// </summary>
    /// <exception cref="ArgumentException">Flash attention forced on in a mode that promises repeatable outputs.</exception>
    public static DeterminismProfile For(DeterminismMode mode, bool? flashAttention = null)
    {
        if (flashAttention == true && mode != DeterminismMode.Fastest)
        {
            throw new ArgumentException(
                $"FlashAttention true contradicts Determinism {Name(mode)}: llama.cpp's flash-attention kernels make outputs depend on the batch. Use Determinism Fastest, or leave FlashAttention unset.",
                nameof(flashAttention));
        }

        return mode switch
        {
            DeterminismMode.BatchInvariant => new DeterminismProfile(mode, false, RepackWeights: false),
            DeterminismMode.Repeatable => new DeterminismProfile(mode, false, RepackWeights: false),
            DeterminismMode.Fastest => new DeterminismProfile(mode, flashAttention, RepackWeights: true),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown determinism mode."),
        };
    }

    /// <summary>
    /// Whether <paramref name="mode"/> needs the batch-invariant CPU kernels: every mode that promises repeatable outputs
    /// (BatchInvariant and Repeatable; see <see cref="DeterminismMode.Repeatable"/> for why).
    /// </summary>
    public static bool NeedsInvariantKernels(DeterminismMode mode) => mode != DeterminismMode.Fastest;

    /// <summary>The configuration spelling: BatchInvariant, Repeatable, Fastest.</summary>
    public static string Name(DeterminismMode mode) => mode.ToString();

    /// <summary>One line for logs, reports and the manifest, e.g. "BatchInvariant (flash attention off, no weight repacking)".</summary>
    public string Describe() =>
        $"{Name(Mode)} (flash attention {FlashAttention switch { true when InvariantFlashAttention => "on, batch-invariant kernel", true => "on", false => "off", null => "auto" }}, {(RepackWeights ? "weight repacking" : "no weight repacking")})";
}
