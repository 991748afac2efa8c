using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace MedHelm.Application.Options;

/// <summary>Validates every <c>Models:NAME</c> entry (data annotations of the entry and its Reasoning block) and names the field.</summary>
public sealed class ModelsOptionsValidator : IValidateOptions<Dictionary<string, LocalModelOptions>>
{
    public const string SectionName = "Models";

    public ValidateOptionsResult Validate(string? name, Dictionary<string, LocalModelOptions> options)
    {
        var failures = new List<string>();
        foreach (var (model, entry) in options)
        {
            Check(entry, $"{SectionName}:{model}", failures);
            Check(entry.Reasoning, $"{SectionName}:{model}:Reasoning", failures);
            if (entry.TensorSplit.Any(v => v < 0 || float.IsNaN(v)))
            {
                failures.Add($"{SectionName}:{model}:TensorSplit must hold non-negative shares.");
            }

            if (!Enum.IsDefined(entry.Determinism))
            {
                failures.Add($"{SectionName}:{model}:Determinism must be BatchInvariant, Repeatable or Fastest.");
            }
            else if (entry.FlashAttention == true && entry.Determinism != Inference.Llama.Generation.DeterminismMode.Fastest)
            {
                failures.Add($"{SectionName}:{model}:FlashAttention true contradicts Determinism {entry.Determinism}: llama.cpp's flash-attention kernels make outputs depend on the batch (use Determinism Fastest, or leave FlashAttention unset).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static void Check(object instance, string path, List<string> failures)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => $"{path}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }
    }
}

/// <summary>Validates every <c>Endpoints:Items:NAME</c> entry and names the field.</summary>
public sealed class EndpointsOptionsValidator : IValidateOptions<EndpointsOptions>
{
    public ValidateOptionsResult Validate(string? name, EndpointsOptions options)
    {
        var failures = new List<string>();
        foreach (var (endpoint, entry) in options.Items)
        {
            ModelsOptionsValidator.Check(entry, $"{EndpointsOptions.SectionName}:Items:{endpoint}", failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
