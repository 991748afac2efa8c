using System.Globalization;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;
using Microsoft.Data.Sqlite;
using static MedHelm.Storage.SqliteSql;

namespace MedHelm.Storage;

/// <summary>Imported datasets and their instances.</summary>
public sealed class SqliteDatasetStore : IDatasetStore, IImportedBenchmarks
{
    /// <summary>Source path recorded for the bundled excerpts a run stores (not counted as imports).</summary>
    public const string BundledSourcePrefix = "bundled:";

    private readonly SqliteDataSource _dataSource;

    /// <summary>The dataset tables of <paramref name="dataSource"/>.</summary>
    public SqliteDatasetStore(SqliteDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

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
        var sha = Sha256Hex(string.Join("\n", dataset.SourceFiles.Select(f => $"{f.FileName}:{f.Sha256}")));
        var stored = await _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                // A row without an access tier was only fingerprinted (by versions before the ledger, e.g. the demo): complete it.
                using (var exists = Command(transaction, "SELECT COUNT(*) FROM datasets WHERE benchmark = $b AND source_sha256 = $s AND access IS NOT NULL"))
                {
                    exists.Parameters.AddWithValue("$b", dataset.Benchmark);
                    exists.Parameters.AddWithValue("$s", sha);
                    if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture) > 0)
                    {
                        return false;
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

                return true;
            },
            cancellationToken).ConfigureAwait(false);
        return new DatasetStoreOutcome(sha, stored);
    }

    /// <summary>Every import, newest first.</summary>
    public Task<IReadOnlyList<StoredDataset>> ListDatasetsAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadAsync<IReadOnlyList<StoredDataset>>(
            async (connection, ct) =>
            {
                using var command = Command(
                    connection,
                    """
                    SELECT benchmark, source_sha256, access, instance_count, COALESCE(split_counts, ''), source_files, source_path, imported_utc
                    FROM datasets ORDER BY imported_utc DESC, benchmark
                    """);
                var list = new List<StoredDataset>();
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    list.Add(new StoredDataset(
                        reader.GetString(0),
                        reader.GetString(1),
                        NullableString(reader, 2),
                        reader.GetInt32(3),
                        reader.GetString(4),
                        JsonSerializer.Deserialize<List<SourceFileInfo>>(reader.GetString(5)) ?? [],
                        NullableString(reader, 6),
                        ParseTime(reader.GetString(7))));
                }

                return list;
            },
            cancellationToken);

    /// <summary>
    /// The latest import of <paramref name="benchmark"/> made with <c>datasets import</c> (not a bundled excerpt
    /// stored by a run, not a fingerprint without instances), or the import with hash <paramref name="sourceSha256"/>;
    /// null when there is none.
    /// </summary>
    public Task<StoredImport?> GetImportAsync(string benchmark, string? sourceSha256 = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        return _dataSource.ReadAsync<StoredImport?>(
            async (connection, ct) =>
            {
                // two statements, one snapshot: a deferred transaction reads without waiting for the writer
                using var transaction = connection.BeginTransaction(deferred: true);
                string sha;
                string? path;
                string? definition;
                using (var command = Command(
                    connection,
                    """
                    SELECT source_sha256, source_path, definition_json FROM datasets
                    WHERE benchmark = $b AND access IS NOT NULL
                      AND (($s IS NULL AND COALESCE(source_path, '') NOT LIKE 'bundled:%') OR source_sha256 = $s)
                    ORDER BY imported_utc DESC LIMIT 1
                    """,
                    transaction))
                {
                    command.Parameters.AddWithValue("$b", benchmark);
                    command.Parameters.AddWithValue("$s", (object?)sourceSha256 ?? DBNull.Value);
                    using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        return null;
                    }

                    sha = reader.GetString(0);
                    path = NullableString(reader, 1);
                    definition = NullableString(reader, 2);
                }

                return new StoredImport(benchmark, sha, path, await ReadInstancesAsync(transaction, benchmark, sha, ct).ConfigureAwait(false))
                {
                    DefinitionJson = definition,
                };
            },
            cancellationToken);
    }

    /// <summary>The benchmarks with at least one import made with <c>datasets import</c>, by name.</summary>
    public Task<IReadOnlyList<string>> ListImportedBenchmarksAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadAsync<IReadOnlyList<string>>(
            async (connection, ct) =>
            {
                using var command = Command(
                    connection,
                    "SELECT DISTINCT benchmark FROM datasets WHERE access IS NOT NULL AND COALESCE(source_path, '') NOT LIKE 'bundled:%' ORDER BY benchmark");
                var list = new List<string>();
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    list.Add(reader.GetString(0));
                }

                return list;
            },
            cancellationToken);

    /// <summary>
    /// The definition files stored with the latest <c>datasets import</c> of each benchmark that was imported with
    /// <c>--definition</c> (the definition <see cref="GetImportAsync"/> returns for that benchmark), by benchmark name.
    /// </summary>
    public Task<IReadOnlyList<StoredDefinition>> ListImportedDefinitionsAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadAsync<IReadOnlyList<StoredDefinition>>(
            async (connection, ct) =>
            {
                using var command = Command(
                    connection,
                    """
                    SELECT benchmark, definition_json FROM datasets
                    WHERE access IS NOT NULL AND COALESCE(source_path, '') NOT LIKE 'bundled:%'
                    ORDER BY benchmark, imported_utc DESC
                    """);
                var list = new List<StoredDefinition>();
                string? previous = null;
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var benchmark = reader.GetString(0);
                    if (benchmark == previous)
                    {
                        continue;
                    }

                    previous = benchmark;
                    if (NullableString(reader, 1) is { } json)
                    {
                        list.Add(new StoredDefinition(benchmark, json));
                    }
                }

                return list;
            },
            cancellationToken);

    /// <summary>The instances of the latest <c>datasets import</c> of <paramref name="benchmark"/>; null when it was never imported.</summary>
    public async Task<ImportedInstances?> GetImportedInstancesAsync(string benchmark, CancellationToken cancellationToken = default) =>
        await GetImportAsync(benchmark, null, cancellationToken).ConfigureAwait(false) is { } import
            ? new ImportedInstances(import.SourceSha256, import.SourcePath, import.Instances)
            : null;

    /// <summary>The instances of one import, in file order.</summary>
    private static async Task<IReadOnlyList<BenchmarkInstance>> ReadInstancesAsync(
        SqliteTransaction transaction, string benchmark, string sourceSha256, CancellationToken cancellationToken)
    {
        using var command = Command(
            transaction,
            """
            SELECT instance_id, fields_json, question, options_json, gold, split, metadata_json
            FROM dataset_instances
            WHERE benchmark = $b AND source_sha256 = $s
            ORDER BY position
            """);
        command.Parameters.AddWithValue("$b", benchmark);
        command.Parameters.AddWithValue("$s", sourceSha256);
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

    private static string SplitCounts(ImportedDataset dataset) =>
        string.Join(", ", dataset.Instances.GroupBy(i => i.Split, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));
}
