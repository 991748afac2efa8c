using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using Microsoft.Extensions.Options;

namespace MedHelm.Application.Options;

/// <summary>
/// The <c>Storage</c> section: which store holds the results (<see cref="Provider"/>: the embedded SQLite file, or a
/// shared PostgreSQL database) and where generated files live.
/// </summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>The embedded default: one SQLite file in the data folder.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>A PostgreSQL database (Storage:ConnectionString), shared by several servers.</summary>
    public const string Postgres = "postgres";

    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>Data folder (created 0700); relative to the MedHelm home.</summary>
    [Required]
    public string DataFolder { get; set; } = "data";

    [Required]
    [RegularExpression(@"^[^/\\]+$", ErrorMessage = "Storage:DatabaseFile must be a file name, not a path.")]
    public string DatabaseFile { get; set; } = "medhelm.db";

    /// <summary>
    /// With <c>postgres</c>: an Npgsql connection string without the password (e.g.
    /// <c>Host=db1;Port=5432;Database=medhelm;Username=medhelm;SSL Mode=VerifyFull</c>).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>With <c>postgres</c>: a file (owner-only, relative to the MedHelm home) whose first line is the password.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>With <c>postgres</c>: the name of an environment variable that holds the password.</summary>
    public string? PasswordVariable { get; set; }

    /// <summary>True when <see cref="Provider"/> is <c>postgres</c>.</summary>
    public bool IsPostgres => string.Equals(Provider, Postgres, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Checks the Storage section at start; each failure names its field (never a password).</summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    private static readonly string[] PasswordKeys = ["password", "pwd", "passfile"];

    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!string.Equals(options.Provider, StorageOptions.Sqlite, StringComparison.OrdinalIgnoreCase) && !options.IsPostgres)
        {
            failures.Add($"Storage:Provider must be '{StorageOptions.Sqlite}' or '{StorageOptions.Postgres}' (it is '{options.Provider}').");
        }
        else if (options.IsPostgres)
        {
            CheckPostgres(options, failures);
        }
        else if (options.ConnectionString is not null || options.PasswordFile is not null || options.PasswordVariable is not null)
        {
            failures.Add("Storage:ConnectionString, Storage:PasswordFile and Storage:PasswordVariable apply only with Storage:Provider 'postgres'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckPostgres(StorageOptions options, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add("Storage:ConnectionString must be set with Storage:Provider 'postgres' (e.g. Host=db1;Database=medhelm;Username=medhelm).");
        }
        else
        {
            var builder = new DbConnectionStringBuilder();
            try
            {
                builder.ConnectionString = options.ConnectionString;
            }
            catch (ArgumentException)
            {
                // the message of the parser may quote the text, which could hold a password: not repeated
                failures.Add("Storage:ConnectionString is not a valid connection string (Key=Value pairs separated by ';').");
                return;
            }

            if (PasswordKeys.Any(builder.ContainsKey))
            {
                failures.Add("Storage:ConnectionString must not hold the password; give it in Storage:PasswordFile or the variable named by Storage:PasswordVariable.");
            }

            if (!builder.ContainsKey("host") && !builder.ContainsKey("server"))
            {
                failures.Add("Storage:ConnectionString must name the server (Host=...).");
            }
        }

        if (options.PasswordFile is not null && options.PasswordVariable is not null)
        {
            failures.Add("Storage:PasswordFile and Storage:PasswordVariable are alternatives: set one.");
        }

        if (options.PasswordVariable is { } variable && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            failures.Add($"Storage:PasswordVariable names the environment variable '{variable}', which is not set.");
        }
    }
}
