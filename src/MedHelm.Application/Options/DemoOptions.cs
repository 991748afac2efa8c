using System.ComponentModel.DataAnnotations;

namespace MedHelm.Application.Options;

/// <summary>The <c>Demo</c> section: the generated model and the sample run of <c>medhelm demo</c>.</summary>
public sealed class DemoOptions
{
    public const string SectionName = "Demo";

    /// <summary>Folder for generated test models, relative to the MedHelm home.</summary>
    [Required]
    public string ModelsFolder { get; set; } = "data/models";

    [Range(1, 64)]
    public int Layers { get; set; } = 2;

    [Range(32, 4096)]
    public int Embedding { get; set; } = 128;

    [Range(1, 64)]
    public int Sequences { get; set; } = 4;

    /// <summary>Instances per benchmark the demo evaluates (0: every instance of each bundled sample).</summary>
    [Range(0, 1000000)]
    public int MaxInstances { get; set; } = 5;

    /// <summary>Context per sequence of the demo model and judges: the longest bundled judge prompt (ACI-Bench) needs ~9k.</summary>
    [Range(256, 131072)]
    public int ContextPerSequence { get; set; } = 12288;
}
