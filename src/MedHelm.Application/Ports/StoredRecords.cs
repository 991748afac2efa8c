using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Results;

namespace MedHelm.Application.Ports;

/// <summary>A run in the run list.</summary>
/// <param name="RunId">Run id.</param>
/// <param name="Status">Lifecycle state.</param>
/// <param name="StartedUtc">First start.</param>
/// <param name="FinishedUtc">End of the last attempt, when it ended.</param>
/// <param name="Results">Instances linked to the run (model × benchmark × instance).</param>
/// <param name="Computed">Of those, computed by this run.</param>
/// <param name="Reused">Of those, taken from the ledger.</param>
/// <param name="ConfigHash">SHA-256 of the stored configuration.</param>
public sealed record RunSummary(
    string RunId, RunStatus Status, DateTimeOffset StartedUtc, DateTimeOffset? FinishedUtc, int Results, int Computed, int Reused, string ConfigHash);

/// <summary>One scored instance of a run, as <c>runs show</c> prints it.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Benchmark">Benchmark.</param>
/// <param name="InstanceId">Instance id.</param>
/// <param name="RequestKey">Ledger key.</param>
/// <param name="Origin">"computed" or "reused".</param>
/// <param name="Metric">Metric name.</param>
/// <param name="Score">Metric value; null when undefined (helm mode where HELM's own code raises).</param>
/// <param name="OutputSha256">SHA-256 of the output text (the text itself only when asked for).</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="ElapsedMs">Wall time of the model call that produced the completion.</param>
/// <param name="Output">The output text, only when requested.</param>
public sealed record RunResultRow(
    string Model,
    string Benchmark,
    string InstanceId,
    string RequestKey,
    string Origin,
    string Metric,
    double? Score,
    string OutputSha256,
    long? PromptTokens,
    long? CompletionTokens,
    double ElapsedMs,
    string? Output)
{
    /// <summary>The instance's secondary statistics (e.g. MedEC sentence accuracy), by name; empty when its metric has none.</summary>
    public IReadOnlyDictionary<string, double> Secondary { get; init; } = new Dictionary<string, double>();

    /// <summary>Reasoning tokens (a reasoning model's separated thinking), when recorded.</summary>
    public long? ReasoningTokens { get; init; }
}

/// <summary>
/// A model's recorded identity: written by every run for the models it uses, and by the model registry
/// (<c>models add</c>, <c>POST /api/v1/models</c>), which also records the header's facts and why the file is trusted.
/// </summary>
public sealed record StoredModel(
    string Name, string? Path, string? Sha256, long? SizeBytes, string? Architecture, string? Quantization, long? Parameters)
{
    /// <summary>The context the model was trained for (<c>ARCH.context_length</c>), when recorded.</summary>
    public long? ContextLength { get; init; }

    /// <summary>The SHA-256 of the file's <c>tokenizer.chat_template</c> text (the text itself is in the hashed file), when recorded.</summary>
    public string? ChatTemplateSha256 { get; init; }

    /// <summary>The chat template's family as detected from its markers (llama3, deepseek-r1, chatml, …; none, unknown), when recorded.</summary>
    public string? ChatTemplateFamily { get; init; }

    /// <summary>The file's <c>general.license</c>, when it has one.</summary>
    public string? License { get; init; }

    /// <summary>Why the file was accepted into the registry; null for a model only recorded because a run used it.</summary>
    public ModelTrust? Trust { get; init; }

    /// <summary>Who registered it (<c>cli:OS-USER</c>, a token's or account's name); null when not registered.</summary>
    public string? RegisteredBy { get; init; }

    /// <summary>When it was first recorded (registered, or first used by a run); null before it is stored.</summary>
    public DateTimeOffset? RecordedUtc { get; init; }

    /// <summary>True when the model registry holds it (registered on purpose, not only used by a run).</summary>
    public bool IsRegistered => Trust is not null;
}

/// <summary>Why a model file was accepted into the registry.</summary>
public enum ModelTrust
{
    /// <summary>Its SHA-256 is listed in the installation's models/manifest.json.</summary>
    Manifest,

    /// <summary>Its SHA-256 equals the one given with it (<c>--sha256</c>, the API's <c>sha256</c>).</summary>
    GivenHash,

    /// <summary>Neither: an administrator trusted it explicitly (<c>--trust</c>), audited.</summary>
    Trusted,
}

/// <summary>The text of each <see cref="ModelTrust"/> as hosts show it and the database stores it.</summary>
public static class ModelTrustNames
{
    /// <summary>manifest, sha256 or trusted.</summary>
    public static string Of(ModelTrust trust) => trust switch
    {
        ModelTrust.Manifest => "manifest",
        ModelTrust.GivenHash => "sha256",
        _ => "trusted",
    };

    /// <summary>The trust named <paramref name="text"/>, or null for another text.</summary>
    public static ModelTrust? Parse(string text) => text switch
    {
        "manifest" => ModelTrust.Manifest,
        "sha256" => ModelTrust.GivenHash,
        "trusted" => ModelTrust.Trusted,
        _ => null,
    };
}

/// <summary>One row of the append-only audit table.</summary>
public sealed record AuditEvent(long Id, DateTimeOffset AtUtc, string? RunId, string Event, string DetailJson);

/// <summary>The instances of one stored import.</summary>
/// <param name="Benchmark">Benchmark.</param>
/// <param name="SourceSha256">The import's dataset hash.</param>
/// <param name="SourcePath">Where it was imported from.</param>
/// <param name="Instances">Instances in file order.</param>
public sealed record StoredImport(string Benchmark, string SourceSha256, string? SourcePath, IReadOnlyList<BenchmarkInstance> Instances)
{
    /// <summary>The definition file's JSON when the benchmark was imported with <c>--definition</c>; null for built-in benchmarks.</summary>
    public string? DefinitionJson { get; init; }
}

/// <summary>An import recorded in the database.</summary>
/// <param name="Benchmark">Benchmark name.</param>
/// <param name="SourceSha256">SHA-256 over the source files' names and hashes.</param>
/// <param name="Access">Access tier (public, gated, private).</param>
/// <param name="InstanceCount">Instances stored.</param>
/// <param name="SplitCounts">Instances per split, e.g. "test 597, valid 574".</param>
/// <param name="SourceFiles">The files read, with their hashes.</param>
/// <param name="SourcePath">The path imported from.</param>
/// <param name="ImportedUtc">When.</param>
public sealed record StoredDataset(
    string Benchmark,
    string SourceSha256,
    string? Access,
    int InstanceCount,
    string SplitCounts,
    IReadOnlyList<SourceFileInfo> SourceFiles,
    string? SourcePath,
    DateTimeOffset ImportedUtc);

/// <summary>The result of storing a dataset.</summary>
/// <param name="SourceSha256">The combined hash of the source files.</param>
/// <param name="Stored">False when the same files were already imported (nothing changed).</param>
public sealed record DatasetStoreOutcome(string SourceSha256, bool Stored);
