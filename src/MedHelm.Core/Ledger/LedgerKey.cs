using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MedHelm.Core.Catalog;
using MedHelm.Core.Prompts;

namespace MedHelm.Core.Ledger;

/// <summary>
/// Everything that decides what one model call returns. Two calls with equal parts give equal outputs (greedy
/// decoding), so a completion stored under the key of these parts can be reused instead of computed again.
/// </summary>
/// <param name="ModelIdentity">
/// <see cref="LedgerKey.LocalModel"/> (the GGUF file's SHA-256) or <see cref="LedgerKey.Endpoint"/> (endpoint id and
/// model name).
/// </param>
/// <param name="DatasetSha256">SHA-256 of the dataset's source files.</param>
/// <param name="InstanceId">Instance id inside the dataset.</param>
/// <param name="PromptTemplateHash">Hash of the prompt layout (<see cref="LedgerKey.TemplateHash"/>).</param>
/// <param name="DecodingParameters">Canonical decoding parameters (<see cref="LedgerKey.Decoding"/>).</param>
/// <param name="Seed">Sampling seed (0 for greedy decoding).</param>
/// <param name="SampleIndex">Which sample of the same request (0 unless several samples are drawn).</param>
public sealed record LedgerKeyParts(
    string ModelIdentity,
    string DatasetSha256,
    string InstanceId,
    string PromptTemplateHash,
    string DecodingParameters,
    long Seed = 0,
    int SampleIndex = 0);

/// <summary>
/// The ledger key of a model call: SHA-256 (64 lower-case hex digits) over a canonical text of
/// <see cref="LedgerKeyParts"/>. Pure: no I/O, no clock, no culture.
/// </summary>
public static class LedgerKey
{
    /// <summary>First line of the canonical text; bump only when the key's meaning changes (every key changes).</summary>
    public const string Version = "medhelm-ledger-key/1";

    /// <summary>The key of <paramref name="parts"/>.</summary>
    public static string Compute(LedgerKeyParts parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalText(parts))));

    /// <summary>
    /// The text that is hashed: the version line, then one <c>name:length:value</c> line per part (length in UTF-16
    /// code units), so no choice of values can make two different part lists read the same.
    /// </summary>
    public static string CanonicalText(LedgerKeyParts parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        Require(parts.ModelIdentity, nameof(parts.ModelIdentity));
        Require(parts.DatasetSha256, nameof(parts.DatasetSha256));
        Require(parts.InstanceId, nameof(parts.InstanceId));
        Require(parts.PromptTemplateHash, nameof(parts.PromptTemplateHash));
        ArgumentNullException.ThrowIfNull(parts.DecodingParameters);
        if (parts.SampleIndex < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(parts), parts.SampleIndex, "The sample index must not be negative.");
        }

        var sb = new StringBuilder(256).Append(Version).Append('\n');
        Append(sb, "model", parts.ModelIdentity);
        Append(sb, "dataset", parts.DatasetSha256);
        Append(sb, "instance", parts.InstanceId);
        Append(sb, "template", parts.PromptTemplateHash);
        Append(sb, "decoding", parts.DecodingParameters);
        Append(sb, "seed", parts.Seed.ToString(CultureInfo.InvariantCulture));
        Append(sb, "sample", parts.SampleIndex.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>Model identity of a local GGUF file: its SHA-256.</summary>
    public static string LocalModel(string sha256)
    {
        Require(sha256, nameof(sha256));
        return "sha256:" + sha256.ToLowerInvariant();
    }

    /// <summary>Model identity of a hosted model: the endpoint's id and the model name it serves.</summary>
    public static string Endpoint(string endpointId, string modelName)
    {
        Require(endpointId, nameof(endpointId));
        Require(modelName, nameof(modelName));
        return $"endpoint:{endpointId.Length}:{endpointId}/{modelName}";
    }

    /// <summary>
    /// Canonical decoding parameters: temperature, token limit, stop sequences (in order), nucleus / top-k when set,
    /// and any model-side setting that changes the output (reasoning, thinking budget) as sorted name=value pairs.
    /// </summary>
    public static string Decoding(
        double temperature,
        int maxTokens,
        IReadOnlyList<string> stopSequences,
        double? topP = null,
        int? topK = null,
        IReadOnlyDictionary<string, string>? extras = null)
    {
        ArgumentNullException.ThrowIfNull(stopSequences);
        var sb = new StringBuilder();
        Append(sb, "temperature", temperature.ToString("R", CultureInfo.InvariantCulture));
        Append(sb, "max_tokens", maxTokens.ToString(CultureInfo.InvariantCulture));
        Append(sb, "stop_count", stopSequences.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var stop in stopSequences)
        {
            Append(sb, "stop", stop);
        }

        if (topP is { } p)
        {
            Append(sb, "top_p", p.ToString("R", CultureInfo.InvariantCulture));
        }

        if (topK is { } k)
        {
            Append(sb, "top_k", k.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var (name, value) in (extras ?? new Dictionary<string, string>()).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            Append(sb, "x." + name, value);
        }

        return sb.ToString();
    }

    /// <summary>
    /// Hash of the prompt layout <paramref name="definition"/> gives <paramref name="instance"/>: the prompt rendered
    /// with every field, the question and each option replaced by a placeholder. It changes when the instructions,
    /// the template, the field labels or the rendering code change, and not with the instance's text (that is covered
    /// by the dataset hash and the instance id).
    /// </summary>
    public static string TemplateHash(BenchmarkDefinition definition, BenchmarkInstance instance)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(instance);
        var placeholder = new BenchmarkInstance(
            "{id}",
            definition.InputFields.ToDictionary(f => f.Key, f => "{" + f.Key + "}", StringComparer.Ordinal),
            "{question}",
            instance.Options.Select(o => new AnswerOption(o.Letter, "{option " + o.Letter + "}")).ToArray(),
            "{gold}",
            instance.Split);
        var prompt = BenchmarkPrompt.Build(definition, placeholder);
        return PromptTemplateHash.Compute((prompt.System ?? string.Empty) + "\u0000" + prompt.User);
    }

    private static void Append(StringBuilder sb, string name, string value) =>
        sb.Append(name).Append(':').Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append('\n');

    private static void Require(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"The ledger key part {name} must not be empty.", name);
        }
    }
}
