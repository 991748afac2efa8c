using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Datasets;
using MedHelm.Application.Ports;
using MedHelm.Evaluation.Results;
using Microsoft.Data.Sqlite;

namespace MedHelm.Storage;

/// <summary>
/// The results database: one SQLite file in WAL mode, owned by one writer. Created with mode 0600 inside a
/// folder created with mode 0700 (on Unix). Every batch is written in one transaction.
/// </summary>
public sealed partial class SqliteResultStore : IResultsDatabase, IDisposable
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SqliteResultStore(SqliteConnection connection, string databasePath)
    {
        _connection = connection;
        DatabasePath = databasePath;
    }

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc />
    public string Location => DatabasePath;

    /// <summary>Opens (creating when needed) the database and brings its schema up to date.</summary>
    /// <exception cref="InvalidOperationException">The database was written by a newer version of the application.</exception>
    public static async Task<SqliteResultStore> OpenAsync(string databasePath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var fullPath = Path.GetFullPath(databasePath);
        var folder = Path.GetDirectoryName(fullPath)!;
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

        if (!File.Exists(fullPath))
        {
            // Create the empty file with owner-only access before SQLite sees it; SQLite gives its -wal and -shm
            // files the same mode as the database file.
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

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();

        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, null, "PRAGMA synchronous=FULL;", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, null, "PRAGMA busy_timeout=5000;", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, null, "PRAGMA foreign_keys=ON;", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, null, "PRAGMA cache_size=-65536;", cancellationToken).ConfigureAwait(false); // 64 MiB: the ledger indexes are keyed by hashes
            await MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new SqliteResultStore(connection, fullPath);
    }

    /// <summary>Records or updates the run row (e.g. to mark it started, failed or cancelled).</summary>
    public Task SaveRunAsync(RunRecord run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        return InTransactionAsync((transaction, ct) => UpsertRunAsync(transaction, run, ct), cancellationToken);
    }

    /// <summary>The run, or null when unknown.</summary>
    public async Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = ReadCommand(
                """
                SELECT run_id, started_utc, finished_utc, config_json, app_version, llama_cpp_version, machine, status, gpu
                FROM runs WHERE run_id = $run
                """);
            command.Parameters.AddWithValue("$run", runId);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            return new RunRecord(
                reader.GetString(0),
                ParseTime(reader.GetString(1)),
                reader.IsDBNull(2) ? null : ParseTime(reader.GetString(2)),
                reader.GetString(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetString(6),
                Enum.Parse<RunStatus>(reader.GetString(7)))
            {
                GpuDescription = reader.IsDBNull(8) ? null : reader.GetString(8),
            };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Leaderboard rows (model × benchmark) for one run, or across runs when <paramref name="runId"/> is null.</summary>
    public async Task<IReadOnlyList<LeaderboardRow>> GetLeaderboardAsync(string? runId, CancellationToken cancellationToken = default) =>
        Leaderboard.Aggregate(await ReadResultsAsync(runId, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Instance results (each instance's main score; secondary statistics stay in <c>scores</c> with is_main = 0) of one
    /// run, or — when <paramref name="runId"/> is null — the latest result of every model × benchmark × instance ×
    /// metric across runs (by run start time).
    /// </summary>
    private async Task<IReadOnlyList<InstanceResult>> ReadResultsAsync(string? runId, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = ReadCommand(
                """
                SELECT run_id, model, benchmark, instance_id, prediction, gold, value, prompt_tokens, completion_tokens,
                       elapsed_ms, metric, prompt_hash
                FROM (
                    SELECT l.run_id, l.model, l.benchmark, l.instance_id, c.output AS prediction, q.gold, s.value,
                           c.prompt_tokens, c.completion_tokens, c.elapsed_ms, s.metric, q.prompt_hash, l.seq,
                           ROW_NUMBER() OVER (
                               PARTITION BY l.model, l.benchmark, l.instance_id, s.metric
                               ORDER BY r.started_utc DESC, l.seq DESC) AS recency
                    FROM run_completions l
                    JOIN runs r ON r.run_id = l.run_id
                    JOIN requests q ON q.id = l.request_id
                    JOIN completions c ON c.request_id = l.request_id
                    JOIN scores s ON s.run_id = l.run_id AND s.request_id = l.request_id AND s.is_main = 1
                    WHERE $run IS NULL OR l.run_id = $run
                )
                WHERE $run IS NOT NULL OR recency = 1
                ORDER BY seq, metric
                """);
            command.Parameters.AddWithValue("$run", (object?)runId ?? DBNull.Value);
            var results = new List<InstanceResult>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                results.Add(new InstanceResult(
                    reader.GetString(0),
                    reader.GetString(1),
                    reader.GetString(2),
                    reader.GetString(3),
                    reader.GetString(4),
                    reader.GetString(5),
                    reader.GetDouble(6),
                    reader.IsDBNull(7) ? null : reader.GetInt64(7),
                    reader.IsDBNull(8) ? null : reader.GetInt64(8),
                    TimeSpan.FromTicks((long)Math.Round(reader.GetDouble(9) * TimeSpan.TicksPerMillisecond)),
                    reader.GetString(10),
                    reader.IsDBNull(11) ? null : reader.GetString(11)));
            }

            return results;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _connection.Dispose();
        _gate.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private async Task InTransactionAsync(Func<SqliteTransaction, CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = _connection.BeginTransaction();
            try
            {
                await work(transaction, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch
            {
                await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static async Task UpsertRunAsync(SqliteTransaction transaction, RunRecord run, CancellationToken cancellationToken)
    {
        using var command = Command(
            transaction,
            """
            INSERT INTO runs (run_id, started_utc, finished_utc, status, config_json, config_hash, app_version, llama_cpp_version, machine, gpu)
            VALUES ($run, $started, $finished, $status, $config, $hash, $app, $llama, $machine, $gpu)
            ON CONFLICT (run_id) DO UPDATE SET
                finished_utc = excluded.finished_utc,
                status = excluded.status,
                config_json = excluded.config_json,
                config_hash = excluded.config_hash,
                app_version = excluded.app_version,
                llama_cpp_version = excluded.llama_cpp_version,
                machine = excluded.machine,
                gpu = excluded.gpu
            """);
        command.Parameters.AddWithValue("$run", run.RunId);
        command.Parameters.AddWithValue("$started", FormatTime(run.StartedUtc));
        command.Parameters.AddWithValue("$finished", run.FinishedUtc is { } f ? FormatTime(f) : DBNull.Value);
        command.Parameters.AddWithValue("$status", run.Status.ToString());
        command.Parameters.AddWithValue("$config", run.ConfigurationJson);
        command.Parameters.AddWithValue("$hash", Sha256Hex(run.ConfigurationJson));
        command.Parameters.AddWithValue("$app", run.AppVersion);
        command.Parameters.AddWithValue("$llama", (object?)run.LlamaCppVersion ?? DBNull.Value);
        command.Parameters.AddWithValue("$machine", run.MachineDescription);
        command.Parameters.AddWithValue("$gpu", (object?)run.GpuDescription ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task MigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(
            connection,
            null,
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL);",
            cancellationToken).ConfigureAwait(false);

        // BEGIN IMMEDIATE takes the write lock first, so two processes opening at once cannot both migrate.
        using var transaction = connection.BeginTransaction(deferred: false);
        var current = await ReadSchemaVersionAsync(connection, cancellationToken, transaction).ConfigureAwait(false);
        if (current > Migrations.All.Count)
        {
            throw new InvalidOperationException(
                $"The database schema is version {current}, newer than this application supports ({Migrations.All.Count}). Upgrade the application.");
        }

        for (var version = current + 1; version <= Migrations.All.Count; version++)
        {
            await ExecuteAsync(connection, transaction, Migrations.All[version - 1], cancellationToken).ConfigureAwait(false);
            using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO schema_version (version, applied_utc) VALUES ($v, $now);";
            record.Parameters.AddWithValue("$v", version);
            record.Parameters.AddWithValue("$now", FormatTime(DateTimeOffset.UtcNow));
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> ReadSchemaVersionAsync(
        SqliteConnection connection, CancellationToken cancellationToken, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version;";
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToInt32(value, CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(
        SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private SqliteCommand ReadCommand(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private static SqliteCommand Command(SqliteTransaction transaction, string sql)
    {
        var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static string FormatTime(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
