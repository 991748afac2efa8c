using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Evaluation.Jury;
using static MedHelm.Storage.Postgres.PostgresSql;

namespace MedHelm.Storage.Postgres;

/// <summary>Jury ratings and the scores computed after the generation (jury, BERTScore).</summary>
/// <param name="dataSource">The database.</param>
public sealed class PostgresJuryStore(PostgresDataSource dataSource) : IJuryStore
{
    private readonly PostgresDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <inheritdoc />
    public Task<IReadOnlyList<JuryCandidate>> GetJuryCandidatesAsync(string runId, string benchmark, CancellationToken cancellationToken = default) =>
        _dataSource.ReadAsync(
            async (connection, ct) =>
            {
                await using var command = Command(
                    connection,
                    """
                    SELECT l.request_id, q.request_key, l.model, l.benchmark, l.instance_id, c.output, q.gold
                    FROM run_completions l
                    JOIN requests q ON q.id = l.request_id
                    JOIN completions c ON c.request_id = l.request_id
                    WHERE l.run_id = @run AND l.benchmark = @benchmark
                    ORDER BY l.seq
                    """).With("run", runId).With("benchmark", benchmark);
                return await ReadAllAsync(
                    command,
                    r => new JuryCandidate(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), NullableString(r, 6) ?? ""),
                    ct).ConfigureAwait(false);
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredJuryRating>> GetJuryRatingsAsync(string runId, CancellationToken cancellationToken = default) =>
        _dataSource.ReadListAsync(
            """
            SELECT j.request_id, l.model, l.benchmark, l.instance_id, j.judge, j.criterion, j.rating, j.verdict_json
            FROM jury_ratings j
            JOIN run_completions l ON l.run_id = j.run_id AND l.request_id = j.request_id
            WHERE j.run_id = @p
            ORDER BY l.seq, j.judge COLLATE "C", j.criterion COLLATE "C"
            """,
            runId,
            r => new StoredJuryRating(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), NullableDouble(r, 6), NullableString(r, 7)),
            cancellationToken);

    /// <summary>
    /// Stores one judge's outcomes in one transaction: a row per criterion with its score and explanation, or one
    /// <see cref="StoredJuryRating.FailureCriterion"/> row with the reason and the raw answer; a judge's rows of a request are
    /// replaced as a whole.
    /// </summary>
    public Task SaveJudgeOutcomesAsync(string runId, IReadOnlyList<(long RequestId, JudgeOutcome Outcome)> outcomes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (outcomes.Count == 0)
        {
            return Task.CompletedTask;
        }

        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                var now = Now();
                foreach (var (id, outcome) in outcomes)
                {
                    await using (var delete = Command(transaction, "DELETE FROM jury_ratings WHERE run_id = @run AND request_id = @id AND judge = @judge")
                        .With("run", runId).With("id", id).With("judge", outcome.Judge))
                    {
                        await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    }

                    var attempts = outcome.Attempts.Count;
                    var rows = outcome.Verdict is { } verdict
                        ? verdict.Ratings.Select(r => (r.Key, (double?)r.Value.Score, JsonSerializer.Serialize(new { explanation = r.Value.Explanation, attempts })))
                        : [(StoredJuryRating.FailureCriterion, null, JsonSerializer.Serialize(new { failure = outcome.Failure, attempts, answer = outcome.Answer }))];
                    foreach (var (criterion, rating, json) in rows)
                    {
                        await using var insert = Command(
                            transaction,
                            """
                            INSERT INTO jury_ratings (run_id, request_id, judge, criterion, rating, verdict_json, created_utc)
                            VALUES (@run, @id, @judge, @criterion, @rating, @json, @now)
                            """)
                            .With("run", runId).With("id", id).With("judge", outcome.Judge).With("criterion", criterion).With("rating", rating)
                            .With("json", json).With("now", now);
                        await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    }
                }
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlySet<long>> GetScoredRequestIdsAsync(string runId, string metric, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        ArgumentNullException.ThrowIfNull(metric);
        var ids = await _dataSource.ReadAsync(
            async (connection, ct) =>
            {
                await using var command = Command(connection, "SELECT request_id FROM scores WHERE run_id = @run AND metric = @metric").With("run", runId).With("metric", metric);
                return await ReadAllAsync(command, r => r.GetInt64(0), ct).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
        return ids.ToHashSet();
    }

    /// <summary>Stores secondary scores (<c>is_main</c> false), never replacing a stored row of the metric; returns how many were added.</summary>
    public Task<int> SaveSecondaryScoresAsync(string runId, string metric, IReadOnlyList<(long RequestId, double Value)> scores, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        ArgumentNullException.ThrowIfNull(scores);
        return scores.Count == 0
            ? Task.FromResult(0)
            : WriteScoresAsync("ON CONFLICT DO NOTHING", false, runId, metric, scores, cancellationToken);
    }

    /// <summary>Stores (or replaces) the jury's main score of each request; its secondary rows stay as they are.</summary>
    public Task SaveJuryScoresAsync(string runId, string metric, IReadOnlyList<(long RequestId, double Value)> scores, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scores);
        return scores.Count == 0
            ? Task.CompletedTask
            : WriteScoresAsync("ON CONFLICT (run_id, request_id, metric) DO UPDATE SET value = excluded.value, is_main = true", true, runId, metric, scores, cancellationToken);
    }

    /// <summary>Inserts one score row per request in one statement (arrays unnested), with <paramref name="onConflict"/>; returns the rows changed.</summary>
    private Task<int> WriteScoresAsync(
        string onConflict, bool isMain, string runId, string metric, IReadOnlyList<(long RequestId, double Value)> scores, CancellationToken cancellationToken) =>
        _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                await using var command = Command(
                    transaction,
                    $"INSERT INTO scores (run_id, request_id, metric, value, is_main) SELECT @run, id, @metric, value, @main FROM unnest(@ids, @values) AS s(id, value) {onConflict}")
                    .With("run", runId).With("metric", metric).With("main", isMain)
                    .With("ids", scores.Select(s => s.RequestId).ToArray()).With("values", scores.Select(s => s.Value).ToArray());
                return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            },
            cancellationToken);
}
