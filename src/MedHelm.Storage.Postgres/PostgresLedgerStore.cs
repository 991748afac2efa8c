using MedHelm.Application.Ports;
using MedHelm.Evaluation.Ledger;
using Npgsql;
using static MedHelm.Storage.Postgres.PostgresSql;

namespace MedHelm.Storage.Postgres;

/// <summary>
/// The request ledger's tables: requests (keyed by the ledger's exactly-once key, UNIQUE), completions, run links and
/// scores. Every insert is <c>ON CONFLICT DO NOTHING</c>, so an entry written twice (a resumed run, a shard executed again
/// on another server after a failure, two servers racing on one key) is stored once: PostgreSQL's unique index makes the
/// second writer wait for the first and then find its row.
/// </summary>
/// <param name="dataSource">The database.</param>
public sealed class PostgresLedgerStore(PostgresDataSource dataSource) : ILedgerStore
{
    private readonly PostgresDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <inheritdoc />
    public IRunLedger OpenLedger() => OpenLedger(maxBatch: 512);

    /// <summary>A ledger committing up to <paramref name="maxBatch"/> entries per transaction through one writer.</summary>
    public BatchingRunLedger OpenLedger(int maxBatch, int capacity = 8192) => new(FindCompletionsAsync, WriteLedgerEntriesAsync, maxBatch, capacity);

    /// <summary>The stored completions among <paramref name="keys"/>.</summary>
    public async Task<IReadOnlyDictionary<string, LedgerCompletion>> FindCompletionsAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var found = new Dictionary<string, LedgerCompletion>(StringComparer.Ordinal);
        if (keys.Count == 0)
        {
            return found;
        }

        var rows = await _dataSource.ReadAsync(
            async (connection, ct) =>
            {
                await using var command = Command(
                    connection,
                    """
                    SELECT q.request_key, c.output, c.reasoning, c.finish_reason, c.prompt_tokens, c.completion_tokens, c.reasoning_tokens,
                           c.reused_prompt_tokens, c.queue_ms, c.prefill_ms, c.first_token_ms, c.decode_ms, c.elapsed_ms
                    FROM requests q JOIN completions c ON c.request_id = q.id
                    WHERE q.request_key = ANY(@keys)
                    """).With("keys", keys.ToArray());
                return await ReadAllAsync(
                    command,
                    reader => (reader.GetString(0), new LedgerCompletion(
                        reader.GetString(1), NullableString(reader, 2), NullableString(reader, 3), NullableLong(reader, 4), NullableLong(reader, 5),
                        NullableLong(reader, 6), NullableLong(reader, 7), NullableDouble(reader, 8), NullableDouble(reader, 9), NullableDouble(reader, 10),
                        NullableDouble(reader, 11), reader.GetDouble(12))),
                    ct).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
        foreach (var (key, completion) in rows)
        {
            found[key] = completion;
        }

        return found;
    }

    /// <summary>
    /// Writes ledger entries in one transaction: request, completion, run link and scores, each inserted only when absent.
    /// A score is stored with <c>is_main</c> = <see cref="MetricScore.IsMain"/>. All or nothing.
    /// </summary>
    /// <exception cref="ArgumentException">An entry has more than one main score (nothing is written).</exception>
    internal Task WriteLedgerEntriesAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return Task.CompletedTask;
        }

        BatchingRunLedger.CheckOneMainScore(entries);

        return _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                var now = Now();
                // in key order: two servers writing overlapping batches take the unique-key locks in the same order
                foreach (var entry in entries.OrderBy(e => e.Request.Key, StringComparer.Ordinal))
                {
                    var id = await RequestIdAsync(transaction, entry.Request, now, ct).ConfigureAwait(false);
                    await using var batch = new NpgsqlBatch(transaction.Connection, transaction);
                    var c = entry.Completion;
                    batch.BatchCommands.Add(BatchCommand(
                        """
                        INSERT INTO completions (request_id, output, reasoning, finish_reason, prompt_tokens, completion_tokens, reasoning_tokens,
                            reused_prompt_tokens, queue_ms, prefill_ms, first_token_ms, decode_ms, elapsed_ms, computed_run_id, computed_utc)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                        ON CONFLICT (request_id) DO NOTHING
                        """,
                        id, c.Output, c.Reasoning, c.FinishReason, c.PromptTokens, c.CompletionTokens, c.ReasoningTokens, c.ReusedPromptTokens,
                        c.QueueMs, c.PrefillMs, c.FirstTokenMs, c.DecodeMs, c.ElapsedMs, entry.RunId, now));
                    batch.BatchCommands.Add(BatchCommand(
                        """
                        INSERT INTO run_completions (run_id, request_id, model, benchmark, instance_id, origin, linked_utc)
                        VALUES ($1, $2, $3, $4, $5, $6, $7)
                        ON CONFLICT (run_id, request_id) DO NOTHING
                        """,
                        entry.RunId, id, entry.Request.Model, entry.Request.Benchmark, entry.Request.InstanceId,
                        entry.Origin == CompletionOrigin.Computed ? "computed" : "reused", now));
                    foreach (var s in entry.Scores)
                    {
                        // each score says whether it is the benchmark's main metric or a secondary statistic
                        batch.BatchCommands.Add(BatchCommand(
                            "INSERT INTO scores (run_id, request_id, metric, value, is_main) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                            entry.RunId, id, s.Metric, s.Value, s.IsMain));
                    }

                    await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
            },
            cancellationToken,
            idempotent: true); // every insert is of an absent key: a commit lost with the server is safely run again
    }

    /// <summary>The id of the request with the entry's key: inserted now, or the one already stored (committed by anyone).</summary>
    private static async Task<long> RequestIdAsync(NpgsqlTransaction transaction, LedgerRequest q, string now, CancellationToken ct)
    {
        await using (var insert = Command(
            transaction,
            """
            INSERT INTO requests (request_key, model, model_identity, benchmark, dataset_sha256, instance_id,
                template_hash, prompt_hash, decoding, seed, sample_index, gold, created_utc)
            VALUES (@key, @model, @identity, @benchmark, @dataset, @instance, @template, @prompt, @decoding, @seed, @sample, @gold, @now)
            ON CONFLICT (request_key) DO NOTHING
            RETURNING id
            """)
            .With("key", q.Key).With("model", q.Model).With("identity", q.ModelIdentity).With("benchmark", q.Benchmark).With("dataset", q.DatasetSha256)
            .With("instance", q.InstanceId).With("template", q.TemplateHash).With("prompt", q.PromptHash).With("decoding", q.Decoding)
            .With("seed", q.Seed).With("sample", q.SampleIndex).With("gold", q.Gold).With("now", now))
        {
            if (await insert.ExecuteScalarAsync(ct).ConfigureAwait(false) is long inserted)
            {
                return inserted;
            }
        }

        // the key is already in the ledger (this statement runs after the other writer's commit: it sees that row)
        await using var existing = Command(transaction, "SELECT id FROM requests WHERE request_key = @key").With("key", q.Key);
        return (long)(await existing.ExecuteScalarAsync(ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The ledger key of instance {q.InstanceId} was neither inserted nor found."));
    }

    private static NpgsqlBatchCommand BatchCommand(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }
}
