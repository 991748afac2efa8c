using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Results;
using static MedHelm.Storage.SqliteSql;

namespace MedHelm.Storage;

/// <summary>Runs, their results and leaderboards, and the models they used.</summary>
public sealed class SqliteRunStore : IRunStore
{
    /// <summary>The main score of each instance of run <c>$run</c>, in the order they were linked.</summary>
    private const string RunResultsSql =
        """
        SELECT l.run_id, l.model, l.benchmark, l.instance_id, c.output, q.gold, s.value, c.prompt_tokens, c.completion_tokens,
               c.elapsed_ms, s.metric, q.prompt_hash
        FROM run_completions l
        JOIN runs r ON r.run_id = l.run_id
        JOIN requests q ON q.id = l.request_id
        JOIN completions c ON c.request_id = l.request_id
        JOIN scores s ON s.run_id = l.run_id AND s.request_id = l.request_id AND s.is_main = 1
        WHERE l.run_id = $run
        ORDER BY l.seq, s.metric
        """;

    /// <summary>The latest main score of every model × benchmark × instance × metric across runs (by run start time).</summary>
    private const string LatestResultsSql =
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
        )
        WHERE recency = 1
        ORDER BY seq, metric
        """;

    private readonly SqliteDataSource _dataSource;
    private readonly SqliteModelStore _models;

    /// <summary>The runs of <paramref name="dataSource"/>.</summary>
    public SqliteRunStore(SqliteDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _models = new SqliteModelStore(dataSource);
        Holds = new SqliteRunHolds(dataSource);
    }

    /// <summary>The locks that tell live runs from interrupted ones.</summary>
    public SqliteRunHolds Holds { get; }

    /// <inheritdoc />
    public Task<IAsyncDisposable> HoldRunAsync(string runId, CancellationToken cancellationToken = default) => Holds.HoldAsync(runId, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> MarkInterruptedRunsAsync(CancellationToken cancellationToken = default) => Holds.MarkInterruptedAsync(cancellationToken);

    /// <summary>The run, or null when unknown.</summary>
    public Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        return _dataSource.ReadAsync<RunRecord?>(
            async (connection, ct) =>
            {
                using var command = Command(
                    connection,
                    """
                    SELECT run_id, started_utc, finished_utc, config_json, app_version, llama_cpp_version, machine, status, gpu
                    FROM runs WHERE run_id = $run
                    """);
                command.Parameters.AddWithValue("$run", runId);
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    return null;
                }

                return new RunRecord(
                    reader.GetString(0),
                    ParseTime(reader.GetString(1)),
                    reader.IsDBNull(2) ? null : ParseTime(reader.GetString(2)),
                    reader.GetString(3),
                    reader.GetString(4),
                    NullableString(reader, 5),
                    reader.GetString(6),
                    Enum.Parse<RunStatus>(reader.GetString(7)))
                {
                    GpuDescription = NullableString(reader, 8),
                };
            },
            cancellationToken);
    }

    /// <summary>Records or updates the run row (e.g. to mark it started, failed or cancelled).</summary>
    public Task SaveRunAsync(RunRecord run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
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
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <summary>Every run, newest first, with its result counts.</summary>
    public Task<IReadOnlyList<RunSummary>> ListRunsAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadAsync<IReadOnlyList<RunSummary>>(
            async (connection, ct) =>
            {
                using var command = Command(
                    connection,
                    """
                    SELECT r.run_id, r.status, r.started_utc, r.finished_utc, r.config_hash,
                           COUNT(l.request_id), COALESCE(SUM(l.origin = 'computed'), 0), COALESCE(SUM(l.origin = 'reused'), 0)
                    FROM runs r LEFT JOIN run_completions l ON l.run_id = r.run_id
                    GROUP BY r.run_id
                    ORDER BY r.started_utc DESC, r.run_id
                    """);
                var list = new List<RunSummary>();
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    list.Add(new RunSummary(
                        reader.GetString(0),
                        Enum.Parse<RunStatus>(reader.GetString(1)),
                        ParseTime(reader.GetString(2)),
                        reader.IsDBNull(3) ? null : ParseTime(reader.GetString(3)),
                        reader.GetInt32(5),
                        reader.GetInt32(6),
                        reader.GetInt32(7),
                        reader.GetString(4)));
                }

                return list;
            },
            cancellationToken);

    /// <summary>
    /// The scored instances of a run (main score, null when undefined; secondary statistics beside it), ordered by
    /// model, benchmark, instance and metric (a stable order to compare two runs by). Output text is included only when
    /// <paramref name="includeOutputs"/> (it may be patient data).
    /// </summary>
    public Task<IReadOnlyList<RunResultRow>> GetRunResultsAsync(string runId, bool includeOutputs = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        return _dataSource.ReadAsync<IReadOnlyList<RunResultRow>>(
            async (connection, ct) =>
            {
                using var command = Command(
                    connection,
                    """
                    SELECT l.model, l.benchmark, l.instance_id, q.request_key, l.origin, s.metric, s.value, c.output,
                           c.prompt_tokens, c.completion_tokens, c.elapsed_ms,
                           (SELECT json_group_object(x.metric, x.value) FROM scores x
                            WHERE x.run_id = l.run_id AND x.request_id = l.request_id AND x.is_main = 0),
                           c.reasoning_tokens
                    FROM run_completions l
                    JOIN requests q ON q.id = l.request_id
                    JOIN completions c ON c.request_id = l.request_id
                    JOIN scores s ON s.run_id = l.run_id AND s.request_id = l.request_id AND s.is_main = 1
                    WHERE l.run_id = $run
                    ORDER BY l.model, l.benchmark, l.instance_id, s.metric
                    """);
                command.Parameters.AddWithValue("$run", runId);
                var rows = new List<RunResultRow>();
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var output = reader.GetString(7);
                    rows.Add(new RunResultRow(
                        reader.GetString(0),
                        reader.GetString(1),
                        reader.GetString(2),
                        reader.GetString(3),
                        reader.GetString(4),
                        reader.GetString(5),
                        NullableDouble(reader, 6),
                        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(output))),
                        NullableLong(reader, 8),
                        NullableLong(reader, 9),
                        reader.GetDouble(10),
                        includeOutputs ? output : null)
                    {
                        Secondary = reader.IsDBNull(11) ? new Dictionary<string, double>()
                            : JsonSerializer.Deserialize<Dictionary<string, double>>(reader.GetString(11)) ?? [],
                        ReasoningTokens = NullableLong(reader, 12),
                    });
                }

                return rows;
            },
            cancellationToken);
    }

    /// <summary>
    /// Leaderboard rows (model × benchmark) of the main scores of one run, or — when <paramref name="runId"/> is null —
    /// of the latest result of every model × benchmark × instance × metric across runs (by run start time).
    /// </summary>
    public async Task<IReadOnlyList<LeaderboardRow>> GetLeaderboardAsync(string? runId, CancellationToken cancellationToken = default) =>
        Leaderboard.Aggregate(await ReadMainResultsAsync(runId, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public Task RegisterModelAsync(StoredModel model, CancellationToken cancellationToken = default) => _models.RegisterAsync(model, cancellationToken);

    /// <inheritdoc />
    public Task<StoredModel?> RemoveModelAsync(string name, string removedBy, CancellationToken cancellationToken = default) =>
        _models.RemoveAsync(name, removedBy, cancellationToken);

    /// <summary>The recorded model, or null.</summary>
    public Task<StoredModel?> GetModelAsync(string name, CancellationToken cancellationToken = default) => _models.GetAsync(name, cancellationToken);

    /// <summary>Every recorded model, by name.</summary>
    public Task<IReadOnlyList<StoredModel>> ListModelsAsync(CancellationToken cancellationToken = default) => _models.ListAsync(cancellationToken);

    /// <summary>
    /// Each instance's main score (secondary statistics stay in <c>scores</c> with is_main = 0) of one run, or — when
    /// <paramref name="runId"/> is null — the latest of every model × benchmark × instance × metric across runs.
    /// </summary>
    private Task<IReadOnlyList<InstanceResult>> ReadMainResultsAsync(string? runId, CancellationToken cancellationToken) =>
        _dataSource.ReadAsync<IReadOnlyList<InstanceResult>>(
            async (connection, ct) =>
            {
                // one run: its rows by index; every run: the latest row of each instance (a window over all runs)
                using var command = Command(connection, runId is null ? LatestResultsSql : RunResultsSql);
                if (runId is not null)
                {
                    command.Parameters.AddWithValue("$run", runId);
                }

                var results = new List<InstanceResult>();
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    results.Add(new InstanceResult(
                        reader.GetString(0),
                        reader.GetString(1),
                        reader.GetString(2),
                        reader.GetString(3),
                        reader.GetString(4),
                        reader.GetString(5),
                        NullableDouble(reader, 6),
                        NullableLong(reader, 7),
                        NullableLong(reader, 8),
                        TimeSpan.FromTicks((long)Math.Round(reader.GetDouble(9) * TimeSpan.TicksPerMillisecond)),
                        reader.GetString(10),
                        NullableString(reader, 11)));
                }

                return results;
            },
            cancellationToken);
}
