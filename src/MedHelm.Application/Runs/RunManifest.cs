using System.Text.Json;
using System.Text.Json.Serialization;
using MedHelm.Application.Errors;

namespace MedHelm.Application.Runs;

/// <summary>
/// What a run was asked for; a resume repeats exactly these settings.
/// </summary>
/// <param name="Suite">The suite (demo, medhelm-public, medhelm-all), or null for a benchmark list.</param>
/// <param name="Benchmarks">The benchmarks named (empty with a suite).</param>
/// <param name="Models">The model arguments (Models or Endpoints names, GGUF files).</param>
/// <param name="Jury">The judge arguments (empty: no jury).</param>
/// <param name="MaxInstances">Instances per benchmark, or null for all.</param>
/// <param name="Mode">Scoring mode: corrected or helm.</param>
/// <param name="BertScoreModel">The BERTScore embedding model argument, or null when BERTScore is off.</param>
/// <param name="Samples">True when benchmarks that were never imported run on their bundled samples (<c>--samples</c>).</param>
public sealed record RunPlan(
    string? Suite,
    IReadOnlyList<string> Benchmarks,
    IReadOnlyList<string> Models,
    IReadOnlyList<string> Jury,
    int? MaxInstances,
    string Mode,
    [property: JsonPropertyName("bertscore_model")] string? BertScoreModel = null,
    bool Samples = false);

/// <summary>The decoding every request of a run used.</summary>
public sealed record ManifestDecoding(double Temperature, long Seed, int SampleIndex, bool Greedy);

/// <summary>A hosted endpoint that served an evaluated model.</summary>
public sealed record ManifestEndpoint(string BaseUrl, string Model, bool AllowPatientData);

/// <summary>How a local model was placed and served.</summary>
public sealed record ManifestModelSettings(
    int GpuLayers, int MainGpu, IReadOnlyList<float> TensorSplit, bool? FlashAttention, int Sequences, int ContextPerSequence, int Batch,
    int MicroBatch, bool PrefixReuse, IReadOnlyDictionary<string, string> Reasoning)
{
    /// <summary>
    /// The Determinism mode and the llama.cpp settings it resolved to, e.g. "BatchInvariant (flash attention off, no weight
    /// repacking)"; null in manifests written before the setting existed.
    /// </summary>
    public string? Determinism { get; init; }
}

/// <summary>One evaluated model: a GGUF file (hashed) or an endpoint.</summary>
public sealed record ManifestModel(
    string Name, string Argument, string? File, ManifestEndpoint? Endpoint, string? Sha256, long SizeBytes, string? Architecture, string? Quantization,
    long Parameters, ManifestModelSettings Settings);

/// <summary>One evaluated benchmark and the data it ran on.</summary>
/// <param name="Name">The benchmark.</param>
/// <param name="DatasetSha256">The import's hash.</param>
/// <param name="Source">Where the data came from (an imported path, or <c>bundled:NAME</c>).</param>
/// <param name="Split">Which instances were evaluated: "test" or "all".</param>
/// <param name="Instances">Instances evaluated per model.</param>
/// <param name="Metric">The main metric.</param>
/// <param name="MaxTokens">Output tokens per answer.</param>
/// <param name="Stop">Stop sequences.</param>
public sealed record ManifestBenchmark(
    string Name, string DatasetSha256, string Source, string Split, int Instances, string Metric, int MaxTokens, IReadOnlyList<string> Stop)
{
    /// <summary>Where the data came from: imported (the site's own files), bundled (a public excerpt) or synthetic (a stand-in).</summary>
    public string? Data { get; init; }
}

/// <summary>A benchmark the run did not evaluate, with the reason.</summary>
public sealed record ManifestSkipped(string Name, string Reason);

/// <summary>The engine that served the run's local models.</summary>
public sealed record ManifestEngine(string Backend, string? LlamaCpp, int Threads, IReadOnlyList<string> Devices);

/// <summary>The database EHRSQL answers were executed against.</summary>
public sealed record ManifestEhrSqlDatabase(string Path, string Sha256, string Source, double QueryTimeoutSeconds, int MaxRows);

/// <summary>The BERTScore embedding model.</summary>
public sealed record ManifestBertScoreModel(
    string Name, string Argument, string File, string Sha256, long SizeBytes, string Architecture, string Quantization, long Parameters, string Metric,
    bool Idf, bool Rescaled)
{
    /// <summary>Which path and layer scored; null in manifests written before the ONNX path (then the GGUF path).</summary>
    public BertScoreEncoding? Encoding { get; init; }

    /// <inheritdoc cref="BertScoreEncoding.Describe"/>
    public string Describe() => (Encoding ?? BertScoreEncoding.Gguf).Describe();
}

/// <summary>How BERTScore's encoder is read: the path, the layer and, for ONNX, what the layer and tokens come from.</summary>
/// <param name="Engine">"onnx" (ONNX Runtime, a chosen hidden layer) or "gguf" (llama.cpp, the final layer).</param>
/// <param name="Layer">ONNX: the hidden state scored (0 the embeddings); null: the GGUF model's final layer.</param>
/// <param name="Layers">ONNX: the encoder's layers.</param>
/// <param name="ModelType">ONNX: BertScore:ModelType, which the default layer and casing follow.</param>
/// <param name="Vocabulary">ONNX: the vocab.txt.</param>
/// <param name="VocabularySha256">ONNX: the vocab.txt's SHA-256.</param>
/// <param name="ExecutionProvider">ONNX: the execution provider when the run was planned ("CUDA", or "CPU" with why).</param>
public sealed record BertScoreEncoding(
    string Engine, int? Layer = null, int? Layers = null, string? ModelType = null, string? Vocabulary = null, string? VocabularySha256 = null,
    string? ExecutionProvider = null)
{
    /// <summary>The GGUF path.</summary>
    public static BertScoreEncoding Gguf { get; } = new("gguf");

    /// <summary>"ONNX layer 5 of 6" or "GGUF final layer".</summary>
    public string Describe() => Engine == "onnx" ? $"ONNX layer {Layer} of {Layers}" : "GGUF final layer";
}

/// <summary>
/// A run's stored configuration: the plan, the models (with their files' hashes), the data (with its hashes), the
/// engine and the other inputs a resume must find unchanged. Read and written only through <see cref="RunManifestJson"/>.
/// </summary>
public sealed record RunManifest(
    RunPlan Plan,
    string LedgerKey,
    ManifestDecoding Decoding,
    IReadOnlyList<ManifestModel> Models,
    IReadOnlyList<string> Jury,
    IReadOnlyList<ManifestBenchmark> Benchmarks,
    IReadOnlyList<ManifestSkipped> Skipped,
    ManifestEngine Engine)
{
    /// <summary>
    /// The manifest format this code writes. Version 1 (stored before the field existed) reads the same way; versions 1
    /// and 2 have no <see cref="ChatTemplateTime"/> (the run's start time stands in for it).
    /// </summary>
    public const int CurrentVersion = 3;

    /// <summary>The format version; 1 when the stored manifest has none.</summary>
    public int ManifestVersion { get; init; } = 1;

    /// <summary>The EHRSQL execution database, when the run scores EHRSQL.</summary>
    public ManifestEhrSqlDatabase? EhrSqlDatabase { get; init; }

    /// <summary>The BERTScore model, when BERTScore is on.</summary>
    public ManifestBertScoreModel? BertscoreModel { get; init; }

    /// <summary>
    /// The time local models' chat templates see (strftime_now, date_string: Llama 3.x's "Today Date"), fixed when
    /// the run starts (UTC, whole seconds) so that a resumed run renders the same prompts. Null in manifests before
    /// version 3.
    /// </summary>
    public DateTimeOffset? ChatTemplateTime { get; init; }

    /// <summary>The database engine the run was stored with (e.g. "SQLite 3.53.0"); null in runs stored before it was recorded.</summary>
    public string? Storage { get; init; }
}

/// <summary>The one place run manifests are read and written (source-generated System.Text.Json, snake_case).</summary>
public static class RunManifestJson
{
    /// <summary>The manifest as stored.</summary>
    public static string Serialize(RunManifest manifest) => JsonSerializer.Serialize(manifest, RunManifestJsonContext.Default.RunManifest);

    /// <summary>
    /// The manifest of <paramref name="runId"/>, or null when the run was not started by a run (it has no plan).
    /// </summary>
    /// <exception cref="ConflictException">The stored configuration is not a manifest this version can read.</exception>
    public static RunManifest? Parse(string runId, string configurationJson)
    {
        try
        {
            using var document = JsonDocument.Parse(configurationJson);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("plan", out _))
            {
                return null;
            }

            var manifest = document.RootElement.Deserialize(RunManifestJsonContext.Default.RunManifest);
            if (manifest is { ManifestVersion: 0 })
            {
                manifest = manifest with { ManifestVersion = 1 }; // stored before the field existed
            }

            if (manifest is { ManifestVersion: > RunManifest.CurrentVersion })
            {
                throw new ConflictException(
                    $"Run '{runId}' was stored by a newer MedHelm (manifest version {manifest.ManifestVersion}; this one reads up to {RunManifest.CurrentVersion}).");
            }

            return manifest;
        }
        catch (JsonException e)
        {
            throw new ConflictException($"The stored configuration of run '{runId}' is not a readable run manifest: {e.Message}", e);
        }
    }
}

/// <summary>Source-generated serialization of <see cref="RunManifest"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(RunManifest))]
internal sealed partial class RunManifestJsonContext : JsonSerializerContext;
