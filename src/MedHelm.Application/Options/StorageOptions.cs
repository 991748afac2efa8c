using System.ComponentModel.DataAnnotations;

namespace MedHelm.Application.Options;

/// <summary>The <c>Storage</c> section: where the SQLite database and generated files live.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>Data folder (created 0700); relative to the MedHelm home.</summary>
    [Required]
    public string DataFolder { get; set; } = "data";

    [Required]
    [RegularExpression(@"^[^/\\]+$", ErrorMessage = "Storage:DatabaseFile must be a file name, not a path.")]
    public string DatabaseFile { get; set; } = "medhelm.db";
}
