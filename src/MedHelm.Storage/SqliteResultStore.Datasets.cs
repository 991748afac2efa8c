using System.Globalization;
using System.Text.Json;
using MedHelm.Core.Catalog;
using MedHelm.Application.Ports;
using MedHelm.Evaluation.Datasets;
using Microsoft.Data.Sqlite;

namespace MedHelm.Storage;

public sealed partial class SqliteResultStore
{
    /// <summary>
    /// Stores a validated dataset and its instances in one transaction, keyed by benchmark and the SHA-256 of its
    /// source files. Importing the same files again changes nothing; a failure leaves nothing behind.
    /// </summary>
    public Task<DatasetStoreOutcome> StoreDatasetAsync(
        ImportedDataset dataset, AccessTier access, string sourcePath, CancellationToken cancellationToken = default) =>
        StoreDatasetAsync(dataset, access, sourcePath, definitionJson: null, cancellationToken);

    /// <summary>
    /// As <see cref="StoreDatasetAsync(ImportedDataset, AccessTier, string, CancellationToken)"/>, keeping the text of the
    /// benchmark's definition file (a benchmark imported with <c>--definition</c>) for the runs that evaluate it. The
    /// definition file should be among the dataset's source files, so that a changed definition is a new import.
    /// </summary>
    public async Task<DatasetStoreOutcome> StoreDatasetAsync(
        ImportedDataset dataset, AccessTier access, string sourcePath, string? definitionJson, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(sourcePath);
        var sha = Sha256Hex(CombinedSourceText(dataset));
        var stored = false;
        await InTransactionAsync(
            async (transaction, ct) =>
            {
                // A row without an access tier was only fingerprinted (by versions before the ledger, e.g. the demo): complete it.
                using (var exists = Command(transaction, "SELECT COUNT(*) FROM datasets WHERE benchmark = $b AND source_sha256 = $s AND access IS NOT NULL"))
                {
                    exists.Parameters.AddWithValue("$b", dataset.Benchmark);
                    exists.Parameters.AddWithValue("$s", sha);
                    if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture) > 0)
                    {
                        return;
                    }
                }

                using (var insert = Command(
                    transaction,
                    """
                    INSERT INTO datasets (benchmark, source_sha256, source_files, instance_count, imported_utc, access, split_counts, source_path, definition_json)
                    VALUES ($b, $s, $files, $count, $now, $access, $splits, $path, $definition)
                    ON CONFLICT (benchmark, source_sha256) DO UPDATE SET
                        source_files = excluded.source_files, instance_count = excluded.instance_count, imported_utc = excluded.imported_utc,
                        access = excluded.access, split_counts = excluded.split_counts, source_path = excluded.source_path,
                        definition_json = excluded.definition_json
                    """))
                {
                    insert.Parameters.AddWithValue("$b", dataset.Benchmark);
                    insert.Parameters.AddWithValue("$s", sha);
                    insert.Parameters.AddWithValue("$files", JsonSerializer.Serialize(dataset.SourceFiles));
                    insert.Parameters.AddWithValue("$count", dataset.Count);
                    insert.Parameters.AddWithValue("$now", FormatTime(DateTimeOffset.UtcNow));
                    insert.Parameters.AddWithValue("$access", access.ToString().ToLowerInvariant());
                    insert.Parameters.AddWithValue("$splits", SplitCounts(dataset));
                    insert.Parameters.AddWithValue("$path", sourcePath);
                    insert.Parameters.AddWithValue("$definition", (object?)definitionJson ?? DBNull.Value);
                    await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                using var row = Command(
                    transaction,
                    """
                    INSERT INTO dataset_instances (benchmark, source_sha256, position, instance_id, split, question, fields_json, options_json, gold, metadata_json)
                    VALUES ($b, $s, $pos, $id, $split, $q, $fields, $options, $gold, $meta)
                    """);
                var position = 0;
                foreach (var instance in dataset.Instances)
                {
                    ct.ThrowIfCancellationRequested();
                    row.Parameters.Clear();
                    row.Parameters.AddWithValue("$b", dataset.Benchmark);
                    row.Parameters.AddWithValue("$s", sha);
                    row.Parameters.AddWithValue("$pos", position++);
                    row.Parameters.AddWithValue("$id", instance.Id);
                    row.Parameters.AddWithValue("$split", instance.Split);
                    row.Parameters.AddWithValue("$q", instance.Question);
                    row.Parameters.AddWithValue("$fields", JsonSerializer.Serialize(instance.Fields));
                    row.Parameters.AddWithValue("$options", JsonSerializer.Serialize(instance.Options.Select(o => new[] { o.Letter.ToString(), o.Text })));
                    row.Parameters.AddWithValue("$gold", instance.Gold);
                    row.Parameters.AddWithValue("$meta", JsonSerializer.Serialize(instance.Metadata));
                    await row.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                stored = true;
            },
            cancellationToken).ConfigureAwait(false);
        return new DatasetStoreOutcome(sha, stored);
    }

    /// <summary>Every import, newest first.</summary>
    public async Task<IReadOnlyList<StoredDataset>> ListDatasetsAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = ReadCommand(
                """
                SELECT benchmark, source_sha256, access, instance_count, COALESCE(split_counts, ''), source_files, source_path, imported_utc
                FROM datasets ORDER BY imported_utc DESC, benchmark
                """);
            var list = new List<StoredDataset>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(new StoredDataset(
                    reader.GetString(0),
                    reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.GetInt32(3),
                    reader.GetString(4),
                    JsonSerializer.Deserialize<List<SourceFileInfo>>(reader.GetString(5)) ?? [],
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    ParseTime(reader.GetString(7))));
            }

            return list;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The instances of one import (<paramref name="sourceSha256"/>), or of the latest import when it is null.</summary>
    private async Task<IReadOnlyList<BenchmarkInstance>> ReadInstancesAsync(string benchmark, string? sourceSha256, CancellationToken cancellationToken)
    {
        using var command = ReadCommand(
            """
            SELECT instance_id, fields_json, question, options_json, gold, split, metadata_json
            FROM dataset_instances
            WHERE benchmark = $b AND source_sha256 = COALESCE($s, (
                SELECT source_sha256 FROM datasets WHERE benchmark = $b ORDER BY imported_utc DESC LIMIT 1))
            ORDER BY position
            """);
        command.Parameters.AddWithValue("$b", benchmark);
        command.Parameters.AddWithValue("$s", (object?)sourceSha256 ?? DBNull.Value);
        var list = new List<BenchmarkInstance>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var options = JsonSerializer.Deserialize<List<string[]>>(reader.GetString(3)) ?? [];
            list.Add(new BenchmarkInstance(
                reader.GetString(0),
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(1)) ?? [],
                reader.GetString(2),
                options.Select(o => new AnswerOption(o[0][0], o[1])).ToArray(),
                reader.GetString(4),
                reader.GetString(5))
            {
                Metadata = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(6)) ?? [],
            });
        }

        return list;
    }

    private static string CombinedSourceText(ImportedDataset dataset) =>
        string.Join("\n", dataset.SourceFiles.Select(f => $"{f.FileName}:{f.Sha256}"));

    private static string SplitCounts(ImportedDataset dataset) =>
        string.Join(", ", dataset.Instances.GroupBy(i => i.Split, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));
}
