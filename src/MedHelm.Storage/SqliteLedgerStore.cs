using System.Globalization;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Evaluation.Ledger;
using static MedHelm.Storage.SqliteSql;

namespace MedHelm.Storage;

/// <summary>The request ledger's tables: requests, completions, run links and scores.</summary>
public sealed class SqliteLedgerStore : ILedgerStore
{
    private readonly SqliteDataSource _dataSource;

    /// <summary>The ledger of <paramref name="dataSource"/>.</summary>
    public SqliteLedgerStore(SqliteDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    /// <inheritdoc />
    public IRunLedger OpenLedger() => OpenLedger(maxBatch: 512);

    /// <summary>
    /// A ledger over this store: lookups go straight to the database, writes go through one queue whose single
    /// consumer commits up to <paramref name="maxBatch"/> entries per transaction. Dispose it (or flush it) before
    /// disposing the data source.
    /// </summary>
    public BatchingRunLedger OpenLedger(int maxBatch, int capacity = 8192) => new(FindCompletionsAsync, WriteLedgerEntriesAsync, maxBatch, capacity);

    /// <summary>The stored completions among <paramref name="keys"/>.</summary>
    public async Task<IReadOnlyDictionary<string, LedgerCompletion>> FindCompletionsAsync(
        IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return new Dictionary<string, LedgerCompletion>(StringComparer.Ordinal);
        }

        return await _dataSource.ReadAsync<IReadOnlyDictionary<string, LedgerCompletion>>(
            async (connection, ct) =>
            {
                using var command = Command(
                    connection,
                    """
                    SELECT q.request_key, c.output, c.reasoning, c.finish_reason, c.prompt_tokens, c.completion_tokens, c.reasoning_tokens,
                           c.reused_prompt_tokens, c.queue_ms, c.prefill_ms, c.first_token_ms, c.decode_ms, c.elapsed_ms
                    FROM requests q JOIN completions c ON c.request_id = q.id
                    WHERE q.request_key IN (SELECT value FROM json_each($keys))
                    """);
                command.Parameters.AddWithValue("$keys", JsonSerializer.Serialize(keys));
                var found = new Dictionary<string, LedgerCompletion>(StringComparer.Ordinal);
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    found[reader.GetString(0)] = new LedgerCompletion(
                        reader.GetString(1),
                        NullableString(reader, 2),
                        NullableString(reader, 3),
                        NullableLong(reader, 4),
                        NullableLong(reader, 5),
                        NullableLong(reader, 6),
                        NullableLong(reader, 7),
                        NullableDouble(reader, 8),
                        NullableDouble(reader, 9),
                        NullableDouble(reader, 10),
                        NullableDouble(reader, 11),
                        reader.GetDouble(12));
                }

                return found;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes ledger entries in one transaction: request, completion, run link and scores, each INSERT OR IGNORE, so
    /// writing an entry again (a resumed run, a reused completion) changes nothing. A score is stored with
    /// <c>is_main</c> = <see cref="MetricScore.IsMain"/>. All or nothing. The ledger's writer calls it.
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
                var now = FormatTime(DateTimeOffset.UtcNow);
                using var request = Prepared(
                    transaction,
                    """
                    INSERT INTO requests (request_key, model, model_identity, benchmark, dataset_sha256, instance_id,
                        template_hash, prompt_hash, decoding, seed, sample_index, gold, created_utc)
                    VALUES ($key, $model, $identity, $benchmark, $dataset, $instance, $template, $prompt, $decoding, $seed, $sample, $gold, $now)
                    ON CONFLICT (request_key) DO NOTHING
                    RETURNING id
                    """,
                    "$key", "$model", "$identity", "$benchmark", "$dataset", "$instance", "$template", "$prompt", "$decoding", "$seed", "$sample", "$gold", "$now");
                using var existing = Prepared(transaction, "SELECT id FROM requests WHERE request_key = $key", "$key");
                using var completion = Prepared(
                    transaction,
                    """
                    INSERT OR IGNORE INTO completions (request_id, output, reasoning, finish_reason, prompt_tokens, completion_tokens,
                        reasoning_tokens, reused_prompt_tokens, queue_ms, prefill_ms, first_token_ms, decode_ms, elapsed_ms, computed_run_id, computed_utc)
                    VALUES ($id, $output, $reasoning, $finish, $pt, $ct, $rt, $rpt, $queue, $prefill, $ttft, $decode, $elapsed, $run, $now)
                    """,
                    "$id", "$output", "$reasoning", "$finish", "$pt", "$ct", "$rt", "$rpt", "$queue", "$prefill", "$ttft", "$decode", "$elapsed", "$run", "$now");
                using var link = Prepared(
                    transaction,
                    """
                    INSERT OR IGNORE INTO run_completions (run_id, request_id, model, benchmark, instance_id, origin, linked_utc)
                    VALUES ($run, $id, $model, $benchmark, $instance, $origin, $now)
                    """,
                    "$run", "$id", "$model", "$benchmark", "$instance", "$origin", "$now");
                using var score = Prepared(
                    transaction,
                    "INSERT OR IGNORE INTO scores (run_id, request_id, metric, value, is_main) VALUES ($run, $id, $metric, $value, $main)",
                    "$run", "$id", "$metric", "$value", "$main");

                foreach (var entry in entries)
                {
                    var q = entry.Request;
                    var c = entry.Completion;
                    Set(request, q.Key, q.Model, q.ModelIdentity, q.Benchmark, q.DatasetSha256, q.InstanceId, q.TemplateHash, q.PromptHash,
                        q.Decoding, q.Seed, q.SampleIndex, q.Gold, now);
                    var inserted = await request.ExecuteScalarAsync(ct).ConfigureAwait(false);
                    if (inserted is null)
                    {
                        // the key is already in the ledger: refer to that request
                        Set(existing, q.Key);
                        inserted = await existing.ExecuteScalarAsync(ct).ConfigureAwait(false);
                    }

                    var id = Convert.ToInt64(inserted, CultureInfo.InvariantCulture);
                    Set(completion, id, c.Output, c.Reasoning, c.FinishReason, c.PromptTokens, c.CompletionTokens, c.ReasoningTokens,
                        c.ReusedPromptTokens, c.QueueMs, c.PrefillMs, c.FirstTokenMs, c.DecodeMs, c.ElapsedMs, entry.RunId, now);
                    await completion.ExecuteNonQueryAsync(ct).ConfigureAwait(false);

                    Set(link, entry.RunId, id, q.Model, q.Benchmark, q.InstanceId,
                        entry.Origin == CompletionOrigin.Computed ? "computed" : "reused", now);
                    await link.ExecuteNonQueryAsync(ct).ConfigureAwait(false);

                    foreach (var s in entry.Scores)
                    {
                        // each score says whether it is the benchmark's main metric or a secondary statistic
                        Set(score, entry.RunId, id, s.Metric, s.Value, s.IsMain ? 1 : 0);
                        await score.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    }
                }
            },
            cancellationToken);
    }
}
