using System.ComponentModel.DataAnnotations;
using System.Globalization;
using MedHelm.Core.Metrics;
using MedHelm.Inference.Onnx;
using Microsoft.Extensions.Options;

namespace MedHelm.Application.Options;

/// <summary>
/// The <c>BertScore</c> section: how BERTScore reads an ONNX encoder (<c>--bertscore-model</c> a .onnx file) and
/// whether it weights tokens by idf. A GGUF encoder (the other path) is scored with its final layer and ignores the
/// ONNX settings.
/// </summary>
public sealed class BertScoreOptions
{
    public const string SectionName = "BertScore";

    /// <summary>The Hugging Face model the ONNX file was exported from; picks bert_score's layer and casing for it.</summary>
    [Required]
    public string ModelType { get; set; } = BertScoreModelTypes.HelmDefault;

    /// <summary>The hidden state scored (0 the embeddings, N the last layer); null: bert_score's layer for <see cref="ModelType"/>.</summary>
    [Range(0, 1000)]
    public int? Layer { get; set; }

    /// <summary>Lowercase and strip accents before tokenizing; null: as <see cref="ModelType"/> (true for an uncased model).</summary>
    public bool? LowerCase { get; set; }

    /// <summary>The WordPiece vocab.txt, relative to the MedHelm home; null: vocab.txt beside the .onnx file.</summary>
    public string? Vocabulary { get; set; }

    /// <summary>Tokens per text, [CLS] and [SEP] included (bert_score: the model's 512).</summary>
    [Range(3, 8192)]
    public int MaxTokens { get; set; } = 512;

    /// <summary>Auto (CUDA when it loads, CPU otherwise), Cpu or Cuda.</summary>
    public OnnxExecutionProvider ExecutionProvider { get; set; } = OnnxExecutionProvider.Auto;

    /// <summary>Weight tokens by idf over the run's reference answers (bert_score's idf=True); HELM scores without (false).</summary>
    public bool Idf { get; set; }

    /// <summary>The layer scored: <see cref="Layer"/>, else bert_score's for <see cref="ModelType"/>, else null.</summary>
    public int? EffectiveLayer => Layer ?? BertScoreModelTypes.Find(ModelType)?.Layer;

    /// <summary>Lowercasing: <see cref="LowerCase"/>, else the known model's, else true when the name says "uncased".</summary>
    public bool EffectiveLowerCase => LowerCase ?? BertScoreModelTypes.Find(ModelType)?.LowerCase ?? ModelType.Contains("uncased", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Validates the <c>BertScore</c> section and names the field.</summary>
public sealed class BertScoreOptionsValidator : IValidateOptions<BertScoreOptions>
{
    public ValidateOptionsResult Validate(string? name, BertScoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        ModelsOptionsValidator.Check(options, BertScoreOptions.SectionName, failures);
        if (!string.IsNullOrWhiteSpace(options.ModelType) && options.EffectiveLayer is null)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"{BertScoreOptions.SectionName}:Layer must be set: bert_score has no default layer for ModelType '{options.ModelType}' " +
                $"(known: {string.Join(", ", BertScoreModelTypes.Known.Select(m => $"{m.Name} {m.Layer}"))})."));
        }

        if (!Enum.IsDefined(options.ExecutionProvider))
        {
            failures.Add($"{BertScoreOptions.SectionName}:ExecutionProvider must be Auto, Cpu or Cuda.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
