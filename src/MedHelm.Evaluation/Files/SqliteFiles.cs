namespace MedHelm.Evaluation.Files;

/// <summary>How a file starts, as far as SQLite is concerned.</summary>
public enum SqliteFileStart
{
    /// <summary>Zero bytes (SQLite would treat it as a new, empty database).</summary>
    Empty,

    /// <summary>The 16-byte header every SQLite 3 database starts with.</summary>
    Sqlite,

    /// <summary>Anything else: not a SQLite database.</summary>
    Other,
}

/// <summary>Tells a SQLite database from any other file by its header, before SQLite opens (and could write to) it.</summary>
public static class SqliteFiles
{
    /// <summary>The first 16 bytes of every SQLite 3 database.</summary>
    public static ReadOnlySpan<byte> Header => "SQLite format 3\0"u8;

    /// <summary>Reads the first bytes of an existing regular file (shared with writers; nothing is changed).</summary>
    public static SqliteFileStart ReadStart(string path)
    {
        Span<byte> start = stackalloc byte[16];
        int read;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        }

        return read == 0 ? SqliteFileStart.Empty
            : read == start.Length && start.SequenceEqual(Header) ? SqliteFileStart.Sqlite
            : SqliteFileStart.Other;
    }

    /// <summary>Refuses, naming <paramref name="path"/>, anything but an existing regular file that starts as a SQLite database.</summary>
    /// <param name="path">The file.</param>
    /// <param name="what">What it is for, for the message (e.g. "EHRSQL database").</param>
    /// <exception cref="FileNotFoundException">It does not exist.</exception>
    /// <exception cref="InvalidDataException">It is a folder or special file, is empty, or is not SQLite.</exception>
    public static void EnsureDatabase(string path, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RegularFiles.EnsureRegular(path, what);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The {what} {path} does not exist.", path);
        }

        switch (ReadStart(path))
        {
            case SqliteFileStart.Empty:
                throw new InvalidDataException($"The {what} {path} is empty (0 bytes), not a SQLite database; it was left untouched.");
            case SqliteFileStart.Other:
                throw new InvalidDataException($"The {what} {path} is not a SQLite database (its first bytes are not SQLite's header); it was left untouched.");
        }
    }
}
