using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Evaluation.Jury;
using static MedHelm.Storage.SqliteSql;

namespace MedHelm.Storage;

/// <summary>Jury ratings and the scores computed after the generation (jury, BERTScore).</summary>
public sealed class SqliteJuryStore : IJuryStore
{
    private readonly SqliteDataSource _dataSource;

    /// <summary>The jury tables of <paramref name="dataSource"/>.</summary>
    public SqliteJuryStore(SqliteDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    /// <summary>The stored outputs of <paramref name="runId"/> on <paramref name="benchmark"/>, in the order they were linked.</summary>
    public Task<IReadOnlyList<JuryCandidate>> GetJuryCandidatesAsync(string runId, string benchmark, CancellationToken cancellationToken = default) =>
        _dataSource.ReadAsync<IReadOnlyList<JuryCandidate>>(
            async (connection, ct) =>
            {
                using var command = Command(
                    connection,
                    """
                    SELECT l.request_id, q.request_key, l.model, l.benchmark, l.instance_id, c.output, q.gold
                    FROM run_completions l
                    JOIN requests q ON q.id = l.request_id
                    JOIN completions c ON c.request_id = l.request_id
                    WHERE l.run_id = $run AND l.benchmark = $benchmark
                    ORDER BY l.seq
                    """);
                command.Parameters.AddWithValue("$run", runId);
                command.Parameters.AddWithValue("$benchmark", benchmark);
                var found = new List<JuryCandidate>();
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    found.Add(new JuryCandidate(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                        reader.GetString(5), reader.IsDBNull(6) ? "" : reader.GetString(6)));
                }

                return found;
            },
            cancellationToken);

    /// <summary>Every jury rating and failure stored for <paramref name="runId"/>.</summary>
    public Task<IReadOnlyList<StoredJuryRating>> GetJuryRatingsAsync(string runId, CancellationToken cancellationToken = default) =>
        _dataSource.ReadAsync<IReadOnlyList<StoredJuryRating>>(
            async (connection, ct) =>
            {
                using var command = Command(
                    connection,
                    """
                    SELECT j.request_id, l.model, l.benchmark, l.instance_id, j.judge, j.criterion, j.rating, j.verdict_json
                    FROM jury_ratings j
                    JOIN run_completions l ON l.run_id = j.run_id AND l.request_id = j.request_id
                    WHERE j.run_id = $run
                    ORDER BY l.seq, j.judge, j.criterion
                    """);
                command.Parameters.AddWithValue("$run", runId);
                var found = new List<StoredJuryRating>();
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    found.Add(new StoredJuryRating(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                        reader.GetString(5), NullableDouble(reader, 6), NullableString(reader, 7)));
                }

                return found;
            },
            cancellationToken);

    /// <summary>
    /// Stores one judge's outcomes (request id → outcome) in one transaction: a row per criterion with its score and
    /// explanation, or one <see cref="StoredJuryRating.FailureCriterion"/> row with the reason and the raw answer. A judge's rows of a
    /// request are replaced as a whole.
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
                var now = FormatTime(DateTimeOffset.UtcNow);
                using var delete = Prepared(transaction, "DELETE FROM jury_ratings WHERE run_id = $run AND request_id = $id AND judge = $judge", "$run", "$id", "$judge");
                using var insert = Prepared(
                    transaction,
                    """
                    INSERT INTO jury_ratings (run_id, request_id, judge, criterion, rating, verdict_json, created_utc)
                    VALUES ($run, $id, $judge, $criterion, $rating, $json, $now)
                    """,
                    "$run", "$id", "$judge", "$criterion", "$rating", "$json", "$now");
                foreach (var (id, outcome) in outcomes)
                {
                    Set(delete, runId, id, outcome.Judge);
                    await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    var attempts = outcome.Attempts.Count;
                    if (outcome.Verdict is { } verdict)
                    {
                        foreach (var (criterion, rating) in verdict.Ratings)
                        {
                            Set(insert, runId, id, outcome.Judge, criterion, (double)rating.Score,
                                JsonSerializer.Serialize(new { explanation = rating.Explanation, attempts }), now);
                            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                        }
                    }
                    else
                    {
                        Set(insert, runId, id, outcome.Judge, StoredJuryRating.FailureCriterion, null,
                            JsonSerializer.Serialize(new { failure = outcome.Failure, attempts, answer = outcome.Answer }), now);
                        await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    }
                }
            },
            cancellationToken);
    }

    /// <summary>The requests of <paramref name="runId"/> that have a stored score named <paramref name="metric"/> (main or secondary).</summary>
    public Task<IReadOnlySet<long>> GetScoredRequestIdsAsync(string runId, string metric, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        ArgumentNullException.ThrowIfNull(metric);
        return _dataSource.ReadAsync<IReadOnlySet<long>>(
            async (connection, ct) =>
            {
                using var command = Command(connection, "SELECT request_id FROM scores WHERE run_id = $run AND metric = $metric");
                command.Parameters.AddWithValue("$run", runId);
                command.Parameters.AddWithValue("$metric", metric);
                var found = new HashSet<long>();
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    found.Add(reader.GetInt64(0));
                }

                return found;
            },
            cancellationToken);
    }

    /// <summary>
    /// Stores the score of each request as <paramref name="metric"/>, a secondary statistic (<c>is_main = 0</c>; e.g. the
    /// BERTScore a run computes after its jury), in one transaction. A request that already has a row for the metric keeps
    /// it (<c>INSERT OR IGNORE</c>): a main score is never overwritten nor demoted, and storing the same scores twice is harmless.
    /// </summary>
    /// <returns>How many rows were added.</returns>
    public Task<int> SaveSecondaryScoresAsync(string runId, string metric, IReadOnlyList<(long RequestId, double Value)> scores, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0)
        {
            return Task.FromResult(0);
        }

        return WriteScoresAsync(
            "INSERT OR IGNORE INTO scores (run_id, request_id, metric, value, is_main) VALUES ($run, $id, $metric, $value, 0)",
            runId, metric, scores, cancellationToken);
    }

    /// <summary>
    /// Stores (or replaces) the jury score of each request as <paramref name="metric"/>, the main score
    /// (<c>is_main = 1</c>), so leaderboards show it; secondary rows of the request (its ROUGE-1/2/L) are left as they are.
    /// </summary>
    public Task SaveJuryScoresAsync(string runId, string metric, IReadOnlyList<(long RequestId, double Value)> scores, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0)
        {
            return Task.CompletedTask;
        }

        return WriteScoresAsync(
            "INSERT INTO scores (run_id, request_id, metric, value, is_main) VALUES ($run, $id, $metric, $value, 1) ON CONFLICT (run_id, request_id, metric) DO UPDATE SET value = excluded.value, is_main = 1",
            runId, metric, scores, cancellationToken);
    }

    /// <summary>Runs <paramref name="sql"/> (parameters $run, $id, $metric, $value) once per score in one transaction; returns the rows changed.</summary>
    private Task<int> WriteScoresAsync(string sql, string runId, string metric, IReadOnlyList<(long RequestId, double Value)> scores, CancellationToken cancellationToken) =>
        _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                var changed = 0;
                using var command = Prepared(transaction, sql, "$run", "$id", "$metric", "$value");
                foreach (var (id, value) in scores)
                {
                    Set(command, runId, id, metric, value);
                    changed += await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                return changed;
            },
            cancellationToken);
}
