using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using Npgsql;
using static MedHelm.Storage.Postgres.PostgresSql;

namespace MedHelm.Storage.Postgres;

/// <summary>
/// Builds the <see cref="PostgresDataSource"/> of one PostgreSQL database (over Npgsql's own
/// <see cref="NpgsqlDataSourceBuilder"/>): set the options, then <see cref="Build"/> once and share the data source.
/// The password never enters the connection string: it is set apart (<see cref="Password"/>), so no connection string
/// that reaches a log or a message holds it.
/// </summary>
public sealed class PostgresDataSourceBuilder
{
    /// <summary>Serialises concurrent migrators (several servers starting at once): <c>pg_advisory_xact_lock</c> on this key.</summary>
    private static readonly long MigrationLock = LockKey("medhelm:migrations");

    private readonly NpgsqlConnectionStringBuilder _connection;

    /// <summary>A builder for <paramref name="connectionString"/> (which must not hold a password).</summary>
    /// <exception cref="RequestValidationException">The connection string cannot be parsed or holds a password.</exception>
    public PostgresDataSourceBuilder(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        try
        {
            _connection = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            // Npgsql names the bad keyword; the text itself is not repeated (it could hold a secret)
            throw new RequestValidationException($"Storage:ConnectionString is not a valid PostgreSQL connection string: {e.Message.Split('\n')[0]}");
        }

        if (_connection.Password is not null || _connection.Passfile is not null)
        {
            throw new RequestValidationException("Storage:ConnectionString must not hold the password; give it in Storage:PasswordFile or Storage:PasswordVariable.");
        }
    }

    /// <summary>The password (from a file or the environment), or null for trust or certificate authentication.</summary>
    public string? Password { get; set; }

    /// <summary>The application name the server shows in <c>pg_stat_activity</c>.</summary>
    public string ApplicationName { get; set; } = "medhelm";

    /// <summary>Where the database is, without user or password: <c>postgresql://HOST:PORT/DATABASE</c>.</summary>
    public string Location => $"postgresql://{_connection.Host}:{_connection.Port}/{_connection.Database ?? _connection.Username}";

    /// <summary>A builder from the Storage section: the connection string, and the password read from its file or variable.</summary>
    /// <param name="options">The Storage section (validated).</param>
    /// <param name="resolvePath">Resolves a configured path (relative ones against the MedHelm home).</param>
    /// <exception cref="RequestValidationException">The password file is missing, empty or readable by others, or the variable is unset.</exception>
    public static PostgresDataSourceBuilder FromOptions(StorageOptions options, Func<string, string> resolvePath)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resolvePath);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new RequestValidationException("Storage:ConnectionString must be set with Storage:Provider 'postgres'.");
        }

        return new PostgresDataSourceBuilder(options.ConnectionString) { Password = ReadPassword(options, resolvePath) };
    }

    private static string? ReadPassword(StorageOptions options, Func<string, string> resolvePath)
    {
        if (options.PasswordVariable is { } variable)
        {
            return Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
                ? value
                : throw new RequestValidationException($"Storage:PasswordVariable names the environment variable '{variable}', which is not set.");
        }

        if (options.PasswordFile is null)
        {
            return null;
        }

        var path = resolvePath(options.PasswordFile);
        if (!File.Exists(path))
        {
            throw new RequestValidationException($"Storage:PasswordFile: {path} does not exist.");
        }

        if (!OperatingSystem.IsWindows()
            && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            throw new RequestValidationException($"Storage:PasswordFile: {path} is readable by other users; make it owner-only (chmod 600 {path}).");
        }

        var password = File.ReadLines(path).FirstOrDefault();
        return string.IsNullOrEmpty(password) ? throw new RequestValidationException($"Storage:PasswordFile: {path} is empty (the first line is the password).") : password;
    }

    /// <summary>
    /// Builds the data source, checks that the server answers and applies the migrations this version knows (once, under
    /// an advisory lock: later opens find the schema current).
    /// </summary>
    /// <param name="create">False: a database without the MedHelm schema is refused (<see cref="NotFoundException"/>) and left as it is.</param>
    /// <exception cref="RequestValidationException">The server cannot be reached, refuses the login, or holds a newer schema.</exception>
    public PostgresDataSource Build(bool create = true)
    {
        var builder = new NpgsqlDataSourceBuilder(_connection.ConnectionString);
        builder.ConnectionStringBuilder.Password = Password;
        builder.ConnectionStringBuilder.ApplicationName ??= ApplicationName;
        var dataSource = new PostgresDataSource(builder.Build(), Location);
        try
        {
            using var connection = dataSource.Open();
            RequireVersion(connection, Location);
            Migrate(connection, create, Location);
        }
        catch
        {
            dataSource.Dispose();
            throw;
        }

        return dataSource;
    }

    /// <summary>The oldest PostgreSQL major version served (13: <c>pg_current_xact_id</c> and <c>pg_xact_status</c>, which resolve a commit the server was lost during).</summary>
    internal const int MinimumServerMajorVersion = 13;

    /// <summary>The server's version as Npgsql read it when the connection opened (no query).</summary>
    /// <exception cref="RequestValidationException">The server is older than <see cref="MinimumServerMajorVersion"/>.</exception>
    private static void RequireVersion(NpgsqlConnection connection, string location) =>
        CheckVersion(connection.PostgreSqlVersion, connection.ServerVersion, location);

    /// <exception cref="RequestValidationException"><paramref name="version"/> is older than <see cref="MinimumServerMajorVersion"/>.</exception>
    internal static void CheckVersion(Version version, string display, string location)
    {
        if (version.Major < MinimumServerMajorVersion)
        {
            throw new RequestValidationException(
                $"The PostgreSQL server at {location} is version {display}; MedHelm needs PostgreSQL 13 or later (Storage:ConnectionString).");
        }
    }

    private static void Migrate(NpgsqlConnection connection, bool create, string location)
    {
        using var transaction = connection.BeginTransaction();
        using (var lockCommand = Command(transaction, "SELECT pg_advisory_xact_lock(@key)").With("key", MigrationLock))
        {
            lockCommand.ExecuteNonQuery();
        }

        using (var exists = Command(transaction, "SELECT to_regclass('schema_version') IS NOT NULL"))
        {
            if (exists.ExecuteScalar() is not true)
            {
                if (!create)
                {
                    throw new NotFoundException($"The PostgreSQL database at {location} holds no MedHelm results yet (they are created by `medhelm run`, `medhelm demo` or `medhelm datasets import`).");
                }

                using var table = Command(transaction, "CREATE TABLE schema_version (version integer PRIMARY KEY, applied_utc text NOT NULL)");
                table.ExecuteNonQuery();
            }
        }

        int current;
        using (var read = Command(transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version"))
        {
            current = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }

        if (current > PostgresMigrations.All.Count)
        {
            throw new RequestValidationException(
                $"The PostgreSQL database at {location} has schema version {current}, newer than this application supports ({PostgresMigrations.All.Count}). Upgrade the application.");
        }

        for (var version = current + 1; version <= PostgresMigrations.All.Count; version++)
        {
            using (var migrate = Command(transaction, PostgresMigrations.All[version - 1]))
            {
                migrate.ExecuteNonQuery();
            }

            using var record = Command(transaction, "INSERT INTO schema_version (version, applied_utc) VALUES (@v, @now)").With("v", version).With("now", Now());
            record.ExecuteNonQuery();
        }

        // rows written by migrations join the audit chain
        PostgresAuditChain.ExtendAsync(transaction, CancellationToken.None).GetAwaiter().GetResult();
        transaction.Commit();
    }
}
