using System.Globalization;
using Microsoft.Data.Sqlite;

namespace MedHelm.Storage;

/// <summary>
/// Builds the <see cref="SqliteDataSource"/> of one results database file (as Npgsql's data source builder does for a
/// PostgreSQL server): set the options, then <see cref="Build"/> once and share the data source.
/// </summary>
public sealed class SqliteDataSourceBuilder
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>A builder for the database at <paramref name="path"/> (created when missing).</summary>
    public SqliteDataSourceBuilder(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>Full path of the database file.</summary>
    public string Path { get; }

    /// <summary>
    /// How long a statement waits for a lock another connection (another process's writer, a checkpoint) holds before it
    /// fails with SQLITE_BUSY. Writers of this process never wait on each other in SQLite: they queue on the data
    /// source's write lock first.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long one command may keep retrying (Microsoft.Data.Sqlite retries a busy or locked statement until then)
    /// before it fails; 30 s by default.
    /// </summary>
    public int CommandTimeoutSeconds { get; set; } = 30;

    /// <summary>Whether connections are reused from Microsoft.Data.Sqlite's pool (on by default).</summary>
    public bool Pooling { get; set; } = true;

    /// <summary>
    /// Creates the folder (0700) and the file (0600) when missing, switches the file to WAL, applies the migrations this
    /// version knows (once: later connections find the schema current) and returns the data source.
    /// </summary>
    /// <exception cref="Application.Errors.RequestValidationException">The file is not SQLite, is damaged, a folder or a special file, another SQLite database, or written by a newer version of the application (left untouched).</exception>
    /// <exception cref="Application.Errors.ConflictException">Another process holds the database locked.</exception>
    public SqliteDataSource Build()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BusyTimeout, TimeSpan.Zero, nameof(BusyTimeout));
        DatabaseFileChecks.CheckBeforeOpen(Path);
        CreateOwnerOnly(Path);

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = Pooling,
            DefaultTimeout = CommandTimeoutSeconds,
        }.ToString();

        // Per connection (a pooled connection keeps them; setting them again is free): wait for other processes' locks,
        // fsync every commit, enforce the foreign keys, a 64 MiB page cache (the ledger indexes are keyed by hashes).
        var pragmas = string.Create(
            CultureInfo.InvariantCulture,
            $"PRAGMA busy_timeout={(long)BusyTimeout.TotalMilliseconds}; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;");

        var dataSource = new SqliteDataSource(Path, connectionString, pragmas);
        try
        {
            using var connection = dataSource.OpenConnection();
            DatabaseFileChecks.CheckIsResultsDatabase(connection, Path, Migrations.All.Count);
            using (var wal = SqliteSql.Command(connection, "PRAGMA journal_mode=WAL;"))
            {
                wal.ExecuteNonQuery(); // persistent: recorded in the file
            }

            Migrate(connection);
        }
        catch (SqliteException e) when (DatabaseFileChecks.Explain(Path, e) is { } error)
        {
            dataSource.Dispose();
            throw error;
        }
        catch
        {
            dataSource.Dispose();
            throw;
        }

        return dataSource;
    }

    private static void CreateOwnerOnly(string fullPath)
    {
        var folder = System.IO.Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, OwnerOnlyFolder);
            }
        }

        if (File.Exists(fullPath))
        {
            return;
        }

        // Create the empty file with owner-only access before SQLite sees it; SQLite gives its -wal and -shm files the
        // same mode as the database file.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        try
        {
            using (new FileStream(fullPath, options))
            {
            }
        }
        catch (IOException) when (File.Exists(fullPath))
        {
            // Created concurrently by another opener; fine.
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(fullPath, OwnerOnlyFile); // independent of the umask
        }
    }

    private static void Migrate(SqliteConnection connection)
    {
        using (var create = SqliteSql.Command(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL);"))
        {
            create.ExecuteNonQuery();
        }

        // BEGIN IMMEDIATE takes the write lock first, so two processes opening at once cannot both migrate.
        using var transaction = connection.BeginTransaction(deferred: false);
        int current;
        using (var read = SqliteSql.Command(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_version;", transaction))
        {
            current = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        if (current > Migrations.All.Count)
        {
            throw new InvalidOperationException(
                $"The database schema is version {current}, newer than this application supports ({Migrations.All.Count}). Upgrade the application.");
        }

        for (var version = current + 1; version <= Migrations.All.Count; version++)
        {
            using (var migrate = SqliteSql.Command(connection, Migrations.All[version - 1], transaction))
            {
                migrate.ExecuteNonQuery();
            }

            using var record = SqliteSql.Command(connection, "INSERT INTO schema_version (version, applied_utc) VALUES ($v, $now);", transaction);
            record.Parameters.AddWithValue("$v", version);
            record.Parameters.AddWithValue("$now", SqliteSql.FormatTime(DateTimeOffset.UtcNow));
            record.ExecuteNonQuery();
        }

        // rows written by migrations (and, once, every row older than the chain) join the audit chain
        AuditChain.Extend(transaction);
        transaction.Commit();
    }
}
