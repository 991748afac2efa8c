using System.ComponentModel.DataAnnotations;
using MedHelm.Evaluation.Jury;
using Microsoft.Extensions.Options;

namespace MedHelm.Application.Options;

/// <summary>
/// The <c>Jury</c> section: the judges that rate open-ended benchmarks when <c>medhelm run</c> gets no <c>--jury</c>,
/// and how they are asked. A judge is a <c>Models</c> entry (a local GGUF model, decoded under the verdict grammar),
/// an <c>Endpoints</c> entry (a hosted model, subject to the endpoint's data policy) or a GGUF file.
/// </summary>
public sealed class JuryOptions
{
    public const string SectionName = "Jury";

    /// <summary>Judge names; MedHELM uses three. Empty: open-ended benchmarks need <c>--jury</c>.</summary>
    public List<string> Judges { get; set; } = [];

    /// <summary>Corrective retries for a hosted judge whose answer does not parse (local judges decode under a grammar and need none).</summary>
    [Range(0, 5)]
    public int MaxRetries { get; set; } = 1;

    /// <summary>Output tokens a hosted judge may use for its verdict.</summary>
    [Range(64, 16384)]
    public int MaxOutputTokens { get; set; } = 2048;

    /// <summary>Longest explanation per criterion the verdict grammar allows (bounds a local judge's output).</summary>
    [Range(20, 4000)]
    public int MaxExplanationChars { get; set; } = VerdictSchema.DefaultMaxExplanationChars;
}

/// <summary>Validates the <c>Jury</c> section and names the field.</summary>
public sealed class JuryOptionsValidator : IValidateOptions<JuryOptions>
{
    public ValidateOptionsResult Validate(string? name, JuryOptions options)
    {
        var failures = new List<string>();
        ModelsOptionsValidator.Check(options, JuryOptions.SectionName, failures);
        for (var i = 0; i < options.Judges.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.Judges[i]))
            {
                failures.Add($"{JuryOptions.SectionName}:Judges:{i} is empty.");
            }
        }

        foreach (var twice in options.Judges.Where(j => !string.IsNullOrWhiteSpace(j)).GroupBy(j => j, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            failures.Add($"{JuryOptions.SectionName}:Judges lists '{twice.Key}' {twice.Count()} times; each judge votes once.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
