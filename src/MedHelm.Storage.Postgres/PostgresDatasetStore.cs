using System.Data;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;
using Npgsql;
using static MedHelm.Storage.Postgres.PostgresSql;

namespace MedHelm.Storage.Postgres;

/// <summary>Imported datasets and their instances.</summary>
/// <param name="dataSource">The database.</param>
public sealed class PostgresDatasetStore(PostgresDataSource dataSource) : IDatasetStore
{
    /// <summary>Source path recorded for the bundled excerpts a run stores (not counted as imports); as in SQLite.</summary>
    public const string BundledSourcePrefix = "bundled:";

    private const string ImportedOnly = "access IS NOT NULL AND COALESCE(source_path, '') NOT LIKE 'bundled:%'";

    private readonly PostgresDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <summary>
    /// Stores a validated dataset and its instances in one transaction, keyed by benchmark and the SHA-256 of its source
    /// files; importing the same files again changes nothing; a failure leaves nothing behind.
    /// </summary>
    public async Task<DatasetStoreOutcome> StoreDatasetAsync(
        ImportedDataset dataset, AccessTier access, string sourcePath, string? definitionJson = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(sourcePath);
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", dataset.SourceFiles.Select(f => $"{f.FileName}:{f.Sha256}")))));
        var stored = await _dataSource.WriteAsync(
            async (transaction, ct) =>
            {
                // one importer of a benchmark's files at a time, on any server; the second finds the first's rows
                await using (var lockImport = Command(transaction, "SELECT pg_advisory_xact_lock(@key)").With("key", LockKey("medhelm:dataset:" + dataset.Benchmark + ":" + sha)))
                {
                    await lockImport.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                await using (var exists = Command(transaction, "SELECT COUNT(*) FROM datasets WHERE benchmark = @b AND source_sha256 = @s AND access IS NOT NULL")
                    .With("b", dataset.Benchmark).With("s", sha))
                {
                    if ((long)(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false))! > 0)
                    {
                        return false;
                    }
                }

                await using (var insert = Command(
                    transaction,
                    """
                    INSERT INTO datasets (benchmark, source_sha256, source_files, instance_count, imported_utc, access, split_counts, source_path, definition_json)
                    VALUES (@b, @s, @files, @count, @now, @access, @splits, @path, @definition)
                    ON CONFLICT (benchmark, source_sha256) DO UPDATE SET
                        source_files = excluded.source_files, instance_count = excluded.instance_count, imported_utc = excluded.imported_utc,
                        access = excluded.access, split_counts = excluded.split_counts, source_path = excluded.source_path,
                        definition_json = excluded.definition_json
                    """)
                    .With("b", dataset.Benchmark).With("s", sha).With("files", JsonSerializer.Serialize(dataset.SourceFiles)).With("count", dataset.Count)
                    .With("now", Now()).With("access", access.ToString().ToLowerInvariant()).With("splits", SplitCounts(dataset)).With("path", sourcePath)
                    .WithText("definition", definitionJson))
                {
                    await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                await InsertInstancesAsync(transaction, dataset, sha, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
        return new DatasetStoreOutcome(sha, stored);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredDataset>> ListDatasetsAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadListAsync(
            """
            SELECT benchmark, source_sha256, access, instance_count, COALESCE(split_counts, ''), source_files, source_path, imported_utc
            FROM datasets ORDER BY imported_utc DESC, benchmark COLLATE "C"
            """,
            null,
            r => new StoredDataset(
                r.GetString(0), r.GetString(1), NullableString(r, 2), r.GetInt32(3), r.GetString(4),
                JsonSerializer.Deserialize<List<SourceFileInfo>>(r.GetString(5)) ?? [], NullableString(r, 6), ParseTime(r.GetString(7))),
            cancellationToken);

    /// <summary>
    /// The latest import of <paramref name="benchmark"/> made with <c>datasets import</c> (not a bundled excerpt, not a
    /// fingerprint without instances), or the import with hash <paramref name="sourceSha256"/>; null when there is none.
    /// </summary>
    public Task<StoredImport?> GetImportAsync(string benchmark, string? sourceSha256 = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        return _dataSource.ReadAsync<StoredImport?>(
            async (connection, ct) =>
            {
                // two statements, one snapshot
                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
                await using var command = Command(
                    transaction,
                    $"""
                    SELECT source_sha256, source_path, definition_json FROM datasets
                    WHERE benchmark = @b AND access IS NOT NULL
                      AND ((@s IS NULL AND COALESCE(source_path, '') NOT LIKE 'bundled:%') OR source_sha256 = @s)
                    ORDER BY imported_utc DESC LIMIT 1
                    """).With("b", benchmark).WithText("s", sourceSha256);
                var found = await ReadAllAsync(command, r => (Sha: r.GetString(0), Path: NullableString(r, 1), Definition: NullableString(r, 2)), ct).ConfigureAwait(false);
                if (found.Count == 0)
                {
                    return null;
                }

                var (sha, path, definition) = found[0];
                return new StoredImport(benchmark, sha, path, await ReadInstancesAsync(transaction, benchmark, sha, ct).ConfigureAwait(false))
                {
                    DefinitionJson = definition,
                };
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListImportedBenchmarksAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadListAsync($"SELECT DISTINCT benchmark COLLATE \"C\" FROM datasets WHERE {ImportedOnly} ORDER BY 1", null, r => r.GetString(0), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredDefinition>> ListImportedDefinitionsAsync(CancellationToken cancellationToken = default) =>
        _dataSource.ReadListAsync(
            $"""
            SELECT benchmark, definition_json FROM (
                SELECT DISTINCT ON (benchmark) benchmark COLLATE "C" AS benchmark, definition_json
                FROM datasets WHERE {ImportedOnly}
                ORDER BY benchmark COLLATE "C", imported_utc DESC
            ) latest
            WHERE definition_json IS NOT NULL
            ORDER BY benchmark
            """,
            null,
            r => new StoredDefinition(r.GetString(0), r.GetString(1)),
            cancellationToken);

    /// <inheritdoc />
    public async Task<ImportedInstances?> GetImportedInstancesAsync(string benchmark, CancellationToken cancellationToken = default) =>
        await GetImportAsync(benchmark, null, cancellationToken).ConfigureAwait(false) is { } import
            ? new ImportedInstances(import.SourceSha256, import.SourcePath, import.Instances)
            : null;

    /// <summary>The instances, in file order, with one binary COPY.</summary>
    private static async Task InsertInstancesAsync(NpgsqlTransaction transaction, ImportedDataset dataset, string sha, CancellationToken ct)
    {
        await using var copy = await transaction.Connection!.BeginBinaryImportAsync(
            "COPY dataset_instances (benchmark, source_sha256, position, instance_id, split, question, fields_json, options_json, gold, metadata_json) FROM STDIN (FORMAT BINARY)",
            ct).ConfigureAwait(false);
        var position = 0;
        foreach (var instance in dataset.Instances)
        {
            await copy.StartRowAsync(ct).ConfigureAwait(false);
            await copy.WriteAsync(dataset.Benchmark, ct).ConfigureAwait(false);
            await copy.WriteAsync(sha, ct).ConfigureAwait(false);
            await copy.WriteAsync(position++, ct).ConfigureAwait(false);
            await copy.WriteAsync(instance.Id, ct).ConfigureAwait(false);
            await copy.WriteAsync(instance.Split, ct).ConfigureAwait(false);
            await copy.WriteAsync(instance.Question, ct).ConfigureAwait(false);
            await copy.WriteAsync(JsonSerializer.Serialize(instance.Fields), ct).ConfigureAwait(false);
            await copy.WriteAsync(JsonSerializer.Serialize(instance.Options.Select(o => new[] { o.Letter.ToString(), o.Text })), ct).ConfigureAwait(false);
            await copy.WriteAsync(instance.Gold, ct).ConfigureAwait(false);
            await copy.WriteAsync(JsonSerializer.Serialize(instance.Metadata), ct).ConfigureAwait(false);
        }

        await copy.CompleteAsync(ct).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<BenchmarkInstance>> ReadInstancesAsync(NpgsqlTransaction transaction, string benchmark, string sha, CancellationToken ct)
    {
        await using var command = Command(
            transaction,
            """
            SELECT instance_id, fields_json, question, options_json, gold, split, metadata_json
            FROM dataset_instances WHERE benchmark = @b AND source_sha256 = @s ORDER BY position
            """).With("b", benchmark).With("s", sha);
        return await ReadAllAsync(
            command,
            r =>
            {
                var options = JsonSerializer.Deserialize<List<string[]>>(r.GetString(3)) ?? [];
                return new BenchmarkInstance(
                    r.GetString(0), JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(1)) ?? [], r.GetString(2),
                    options.Select(o => new AnswerOption(o[0][0], o[1])).ToArray(), r.GetString(4), r.GetString(5))
                {
                    Metadata = JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(6)) ?? [],
                };
            },
            ct).ConfigureAwait(false);
    }

    private static string SplitCounts(ImportedDataset dataset) =>
        string.Join(", ", dataset.Instances.GroupBy(i => i.Split, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));
}
