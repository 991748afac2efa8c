namespace MedHelm.Evaluation.Results;

/// <summary>Lifecycle state of a run.</summary>
public enum RunStatus
{
    Running,
    Completed,
    Failed,
    Cancelled,

    /// <summary>Its process ended (killed, crashed, power lost) while it was running; found so by the next start. Resumable.</summary>
    Interrupted,
}

/// <summary>Provenance of one evaluation run.</summary>
/// <param name="RunId">Unique run identifier.</param>
/// <param name="StartedUtc">Start time (UTC).</param>
/// <param name="FinishedUtc">End time (UTC); null while running.</param>
/// <param name="ConfigurationJson">The effective configuration, serialized as JSON.</param>
/// <param name="AppVersion">Version of this application.</param>
/// <param name="LlamaCppVersion">Pinned llama.cpp version, when a local engine was used.</param>
/// <param name="MachineDescription">Host, CPU, GPU description.</param>
/// <param name="Status">Lifecycle state.</param>
public sealed record RunRecord(
    string RunId,
    DateTimeOffset StartedUtc,
    DateTimeOffset? FinishedUtc,
    string ConfigurationJson,
    string AppVersion,
    string? LlamaCppVersion,
    string MachineDescription,
    RunStatus Status)
{
    /// <summary>The GPUs (or "none") the run used, as llama.cpp reports them.</summary>
    public string? GpuDescription { get; init; }
}
