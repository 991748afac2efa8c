using MedHelm.Application.Options;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Runtime;

namespace MedHelm.Application.Models;

/// <summary>
/// Which llama.cpp runtime folder serves which local model. One process loads one folder: in process (Placement
/// Process) every model shares it, and it is the batch-invariant CPU backend when any configured local model (or, with
/// none configured, the default) is Determinism BatchInvariant or Repeatable; with Placement Worker each model's worker loads the
/// folder of its own Determinism (<see cref="LlamaRuntimeOptions.FolderFor"/>).
/// </summary>
internal sealed class RuntimeSelection(LlamaRuntimeOptions runtime, string home, ModelPlacement placement, IEnumerable<LocalModelOptions> configured)
{
    private readonly DeterminismMode _processMode = ProcessMode(configured);

    /// <summary>Whether a configured local model (or, with none configured, the default) needs the batch-invariant kernels.</summary>
    public bool InvariantKernelsWanted => _processMode == DeterminismMode.BatchInvariant;

    /// <summary>The folder this process loads; <paramref name="mode"/> overrides the configured models' choice (bench measures llama.cpp's defaults).</summary>
    public RuntimeFolder ForProcess(DeterminismMode? mode = null) => runtime.FolderFor(home, mode ?? _processMode);

    /// <summary>The folder that serves a model of <paramref name="mode"/>: its own worker's, or this process's.</summary>
    public RuntimeFolder ForModel(DeterminismMode mode) => placement == ModelPlacement.Worker ? runtime.FolderFor(home, mode) : ForProcess();

    /// <summary>What a run records per Determinism mode about the CPU kernels its models run on (null off the CPU backends).</summary>
    public IReadOnlyDictionary<DeterminismMode, string>? Describe(LlamaRuntimeInfo loaded)
    {
        if (runtime.Backend is not ("cpu" or "native"))
        {
            return null;
        }

        return Enum.GetValues<DeterminismMode>().ToDictionary(
            mode => mode,
            mode =>
            {
                var folder = ForModel(mode);
                var library = string.Equals(folder.Path, loaded.Folder, StringComparison.Ordinal) ? loaded.CpuLibrary : null;
                return folder.Describe(DeterminismProfile.NeedsInvariantKernels(mode), library, loaded.CpuAmx);
            });
    }

    /// <summary>The modes whose runtime folder computes flash attention batch-invariantly (empty off the CPU backends).</summary>
    public IReadOnlySet<DeterminismMode> InvariantFlashAttention() =>
        runtime.Backend is "cpu" or "native"
            ? Enum.GetValues<DeterminismMode>().Where(mode => RuntimeFolder.HasInvariantFlashAttention(ForModel(mode).Path)).ToHashSet()
            : new HashSet<DeterminismMode>();

    /// <summary>
    /// The mode whose kernels one shared process loads: BatchInvariant when any configured local model needs the
    /// invariant kernels (BatchInvariant or Repeatable), or none is configured (the default); else Fastest.
    /// </summary>
    internal static DeterminismMode ProcessMode(IEnumerable<LocalModelOptions> configured)
    {
        var modes = configured.Select(m => m.Determinism).ToArray();
        return modes.Length == 0 || modes.Any(DeterminismProfile.NeedsInvariantKernels) ? DeterminismMode.BatchInvariant : DeterminismMode.Fastest;
    }
}
