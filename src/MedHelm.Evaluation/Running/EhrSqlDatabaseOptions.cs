using System.ComponentModel.DataAnnotations;

namespace MedHelm.Evaluation.Running;

/// <summary>
/// The <c>EhrSql</c> section of appsettings.json: which database <c>medhelm run</c> executes EHRSQL queries against.
/// Without <see cref="Database"/> a run uses the seeded synthetic eICU database, generated once into the data folder.
/// </summary>
public sealed class EhrSqlDatabaseOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "EhrSql";

    /// <summary>
    /// A SQLite file in EHRSQL's eICU schema (e.g. the hospital's own eICU copy), relative to the MedHelm home or
    /// absolute; opened read-only. Empty: the synthetic database.
    /// </summary>
    public string? Database { get; set; }

    /// <summary>Time limit of one query in seconds (default 10).</summary>
    [Range(0.1, 3600.0, ErrorMessage = "EhrSql:QueryTimeoutSeconds must be between 0.1 and 3600.")]
    public double QueryTimeoutSeconds { get; set; } = 10;

    /// <summary>Row limit of one query (default 100,000).</summary>
    [Range(1, 10_000_000, ErrorMessage = "EhrSql:MaxRows must be between 1 and 10000000.")]
    public int MaxRows { get; set; } = 100_000;
}
