using MedHelm.Application.Errors;
using MedHelm.Evaluation.Files;
using Microsoft.Data.Sqlite;

namespace MedHelm.Storage;

/// <summary>
/// Turns what can be wrong with a results database file into errors that name it and say it was left untouched: a
/// file that is not SQLite (checked by its header before SQLite writes anything), a damaged one, one locked by another
/// process (named where /proc tells), a folder or a special file.
/// </summary>
internal static class DatabaseFileChecks
{
    private const int Error = 1;
    private const int Busy = 5;
    private const int Locked = 6;
    private const int Corrupt = 11;
    private const int NotADatabase = 26;

    /// <summary>Before opening: an existing file must be a regular file that is empty or starts with SQLite's header.</summary>
    public static void CheckBeforeOpen(string path)
    {
        if (Directory.Exists(path))
        {
            throw new RequestValidationException($"The results database {path} is a folder, not a file.");
        }
        if (!File.Exists(path))
        {
            return;
        }
        if (RegularFiles.KindOf(path) is { } kind)
        {
            throw new RequestValidationException($"The results database {path} is {kind}, not a regular file; it was left untouched.");
        }

        if (SqliteFiles.ReadStart(path) == SqliteFileStart.Other)
        {
            throw new RequestValidationException($"{path} is not a SQLite database (its first bytes are not SQLite's header); it was left untouched. Point --db or Storage:DatabaseFile at a results database, or at a new file name.");
        }
    }

    /// <summary>
    /// After opening, before anything is written (the switch to WAL, the migrations): a SQLite file that holds tables
    /// must be a results database (it has <c>schema_version</c>) of a version this application knows. Another SQLite
    /// database given by mistake (the EHRSQL database as --db) would otherwise receive the results tables.
    /// </summary>
    public static void CheckIsResultsDatabase(SqliteConnection connection, string path, int knownVersion)
    {
        var tables = new List<string>();
        using (var list = SqliteSql.Command(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name;"))
        using (var reader = list.ExecuteReader())
        {
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        if (tables.Count == 0)
        {
            return; // a new, empty file
        }

        if (!tables.Contains("schema_version", StringComparer.Ordinal))
        {
            throw new RequestValidationException(
                $"{path} is a SQLite database but not a MedHelm results database (it holds {string.Join(", ", tables.Take(5))}{(tables.Count > 5 ? ", …" : "")}); it was left untouched. Point --db or Storage:DatabaseFile at a results database, or at a new file name.");
        }

        using var read = SqliteSql.Command(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_version;");
        var version = Convert.ToInt64(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (version > knownVersion)
        {
            throw new RequestValidationException(
                $"The results database {path} has schema version {version}, newer than this application knows ({knownVersion}): it was written by a newer MedHelm and was left untouched. Upgrade the application.");
        }
    }

    /// <summary>A typed error for a SQLite failure while opening, or null when it is none of those this explains.</summary>
    public static ApplicationError? Explain(string path, SqliteException e) => e.SqliteErrorCode switch
    {
        NotADatabase => new RequestValidationException($"{path} is not a SQLite database (SQLite: {e.Message}); it was left untouched.", e),
        Error when e.Message.Contains("unsupported file format", StringComparison.Ordinal) =>
            new RequestValidationException($"{path} is in a SQLite file format this version cannot read (SQLite: {e.Message}); it was left untouched.", e),
        Corrupt => new RequestValidationException($"The results database {path} is damaged (SQLite: {e.Message}); it was left untouched. Restore it from a backup, or use another file with --db.", e),
        Busy or Locked => new ConflictException($"The results database {path} is locked by another process{Holders(path)}; nothing was changed. Try again when it has finished.", e),
        _ => null,
    };

    /// <summary>" (pid 123 medhelm, …)" from /proc on Linux; empty elsewhere or when nothing can be seen.</summary>
    private static string Holders(string path)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc"))
        {
            return "";
        }
        var self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var holders = new List<string>();
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            var pid = System.IO.Path.GetFileName(process);
            if (pid == self || !pid.All(char.IsAsciiDigit))
            {
                continue;
            }
            try
            {
                if (Directory.EnumerateFileSystemEntries(System.IO.Path.Combine(process, "fd")).Any(fd => new FileInfo(fd).LinkTarget is { } target && (target == path || target == path + "-wal")))
                {
                    var name = File.ReadAllText(System.IO.Path.Combine(process, "comm")).Trim();
                    holders.Add($"pid {pid} {name}");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another user's process, or one that just ended: not ours to see.
            }
        }
        return holders.Count == 0 ? "" : $" (open in {string.Join(", ", holders)})";
    }
}
