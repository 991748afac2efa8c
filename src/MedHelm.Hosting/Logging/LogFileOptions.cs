using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;

namespace MedHelm.Hosting.Logging;

/// <summary>
/// The <c>LogFile</c> section: the rolling JSON log file every host writes (compact JSON, one event a line) beside the
/// console. Messages never carry patient text (identifiers, counts, types and timings only), at any level.
/// </summary>
public sealed class LogFileOptions
{
    public const string SectionName = "LogFile";

    /// <summary>Write the file at all (false: console only).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The folder, relative to the MedHelm home unless absolute; created owner-only (0700).</summary>
    [Required(AllowEmptyStrings = false)]
    public string Folder { get; set; } = "logs";

    /// <summary>The lowest level the file receives (Trace, Debug, Information, Warning, Error, Critical; None: no file).</summary>
    public LogLevel MinimumLevel { get; set; } = LogLevel.Information;

    /// <summary>A new file starts each day and when the current one reaches this size.</summary>
    [Range(1, 10_240)]
    public int FileSizeLimitMegabytes { get; set; } = 100;

    /// <summary>Files older than this many days are deleted when a new file starts.</summary>
    [Range(1, 3_650)]
    public int RetainedDays { get; set; } = 31;

    /// <summary>At most this many files are kept (the oldest go first), whatever their age.</summary>
    [Range(1, 10_000)]
    public int RetainedFiles { get; set; } = 100;
}
