using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Results;
using static MedHelm.Storage.Postgres.PostgresSql;

namespace MedHelm.Storage.Postgres;

/// <summary>Runs, their results and leaderboards, and the models they used (the queries of the SQLite provider in PostgreSQL).</summary>
public sealed class PostgresRunStore : IRunStore
{
    private const string MainResultColumns =
        """
        l.run_id, l.model, l.benchmark, l.instance_id, c.output, q.gold, s.value, c.prompt_tokens, c.completion_tokens,
        c.elapsed_ms, s.metric, q.prompt_hash
        """;

    private const string MainResultJoins =
        """
        FROM run_completions l
        JOIN runs r ON r.run_id = l.run_id
        JOIN requests q ON q.id = l.request_id
        JOIN completions c ON c.request_id = l.request_id
        JOIN scores s ON s.run_id = l.run_id AND s.request_id = l.request_id AND s.is_main
        """;

    /// <summary>The main score of each instance of run <c>@p</c>, in the order they were linked.</summary>
    private const string RunResultsSql = $"SELECT {MainResultColumns} {MainResultJoins} WHERE l.run_id = @p ORDER BY l.seq, s.metric";

    /// <summary>The latest main score of every model × benchmark × instance × metric across runs (by run start time).</summary>
    private const string LatestResultsSql =
        $"""
        SELECT * FROM (
            SELECT {MainResultColumns}, l.seq AS seq,
                   ROW_NUMBER() OVER (PARTITION BY l.model, l.benchmark, l.instance_id, s.metric ORDER BY r.started_utc DESC, l.seq DESC) AS recency
            {MainResultJoins}
        ) latest
        WHERE recency = 1
        ORDER BY seq, metric
        """;

    private readonly PostgresDataSource _dataSource;
    private readonly PostgresModelStore _models;

    /// <summary>The runs of <paramref name="dataSource"/>.</summary>
    public PostgresRunStore(PostgresDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _models = new PostgresModelStore(dataSource);
        Holds = new PostgresRunHolds(dataSource);
    }

    /// <summary>The advisory locks that tell live runs from interrupted ones.</summary>
    public PostgresRunHolds Holds { get; }

    /// <inheritdoc />
    public Task<IAsyncDisposable> HoldRunAsync(string runId, CancellationToken cancellationToken = default) => Holds.HoldAsync(runId, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> MarkInterruptedRunsAsync(CancellationToken cancellationToken = default) => Holds.MarkInterruptedAsync(cancellationToken);

    /// <inheritdoc />
    public async Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        var runs = await _dataSource.ReadListAsync(
            "SELECT run_id, started_utc, finished_utc, config_json, app_version, llama_cpp_version, machine, status, gpu FROM runs WHERE run_id = @p",
            runId,
            reader => new RunRecord(
                reader.GetString(0), ParseTime(reader.GetString(1)), NullableTime(reader, 2), reader.GetString(3), reader.GetString(4),
                NullableString(reader, 5), reader.GetString(6), Enum.Parse<RunStatus>(reader.GetString(7)))
            {
                GpuDescription = NullableString(reader, 8),
            },
            cancellationToken).ConfigureAwait(false);
        return runs.Count == 0 ? null : runs[0];
    }

    /// <inheritdoc />
    public Task SaveRunAsync(RunRecord run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                await using var command = Command(
                    transaction,
                    """
                    INSERT INTO runs (run_id, started_utc, finished_utc, status, config_json, config_hash, app_version, llama_cpp_version, machine, gpu)
                    VALUES (@run, @started, @finished, @status, @config, @hash, @app, @llama, @machine, @gpu)
                    ON CONFLICT (run_id) DO UPDATE SET
                        finished_utc = excluded.finished_utc, status = excluded.status, config_json = excluded.config_json,
                        config_hash = excluded.config_hash, app_version = excluded.app_version, llama_cpp_version = excluded.llama_cpp_version,
                        machine = excluded.machine, gpu = excluded.gpu
                    """)
                    .With("run", run.RunId).With("started", FormatTime(run.StartedUtc))
                    .WithText("finished", run.FinishedUtc is { } f ? FormatTime(f) : null).With("status", run.Status.ToString())
                    .With("config", run.ConfigurationJson).With("hash", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(run.ConfigurationJson))))
                    .With("app", run.AppVersion).WithText("llama", run.LlamaCppVersion).With("machine", run.MachineDescription).WithText("gpu", run.GpuDescription);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<RunSummary>> ListRunsAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadListAsync(
            """
            SELECT r.run_id, r.status, r.started_utc, r.finished_utc, r.config_hash, COUNT(l.request_id)::int,
                   (COUNT(*) FILTER (WHERE l.origin = 'computed'))::int, (COUNT(*) FILTER (WHERE l.origin = 'reused'))::int
            FROM runs r LEFT JOIN run_completions l ON l.run_id = r.run_id
            GROUP BY r.run_id
            ORDER BY r.started_utc DESC, r.run_id
            """,
            null,
            reader => new RunSummary(
                reader.GetString(0), Enum.Parse<RunStatus>(reader.GetString(1)), ParseTime(reader.GetString(2)), NullableTime(reader, 3),
                reader.GetInt32(5), reader.GetInt32(6), reader.GetInt32(7), reader.GetString(4)),
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<RunResultRow>> GetRunResultsAsync(string runId, bool includeOutputs = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        return _dataSource.ReadListAsync(
            """
            SELECT l.model, l.benchmark, l.instance_id, q.request_key, l.origin, s.metric, s.value, c.output,
                   c.prompt_tokens, c.completion_tokens, c.elapsed_ms,
                   (SELECT json_object_agg(x.metric, x.value)::text FROM scores x
                    WHERE x.run_id = l.run_id AND x.request_id = l.request_id AND NOT x.is_main),
                   c.reasoning_tokens
            FROM run_completions l
            JOIN requests q ON q.id = l.request_id
            JOIN completions c ON c.request_id = l.request_id
            JOIN scores s ON s.run_id = l.run_id AND s.request_id = l.request_id AND s.is_main
            WHERE l.run_id = @p
            ORDER BY l.model COLLATE "C", l.benchmark COLLATE "C", l.instance_id COLLATE "C", s.metric COLLATE "C"
            """,
            runId,
            reader =>
            {
                var output = reader.GetString(7);
                return new RunResultRow(
                    reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                    NullableDouble(reader, 6), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(output))), NullableLong(reader, 8),
                    NullableLong(reader, 9), reader.GetDouble(10), includeOutputs ? output : null)
                {
                    Secondary = reader.IsDBNull(11) ? new Dictionary<string, double>()
                        : JsonSerializer.Deserialize<Dictionary<string, double>>(reader.GetString(11)) ?? [],
                    ReasoningTokens = NullableLong(reader, 12),
                };
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LeaderboardRow>> GetLeaderboardAsync(string? runId, CancellationToken cancellationToken = default) =>
        Leaderboard.Aggregate(await _dataSource.ReadListAsync(
            runId is null ? LatestResultsSql : RunResultsSql,
            runId,
            reader => new InstanceResult(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                NullableDouble(reader, 6), NullableLong(reader, 7), NullableLong(reader, 8),
                TimeSpan.FromTicks((long)Math.Round(reader.GetDouble(9) * TimeSpan.TicksPerMillisecond)), reader.GetString(10), NullableString(reader, 11)),
            cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public Task RegisterModelAsync(StoredModel model, CancellationToken cancellationToken = default) => _models.RegisterAsync(model, cancellationToken);

    /// <inheritdoc />
    public Task<StoredModel?> RemoveModelAsync(string name, string removedBy, CancellationToken cancellationToken = default) =>
        _models.RemoveAsync(name, removedBy, cancellationToken);

    /// <inheritdoc />
    public Task<StoredModel?> GetModelAsync(string name, CancellationToken cancellationToken = default) => _models.GetAsync(name, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredModel>> ListModelsAsync(CancellationToken cancellationToken = default) => _models.ListAsync(cancellationToken);
}
