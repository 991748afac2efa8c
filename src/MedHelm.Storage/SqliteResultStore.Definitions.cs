using MedHelm.Evaluation.Datasets;

namespace MedHelm.Storage;

public sealed partial class SqliteResultStore : IImportedBenchmarks
{
    /// <summary>
    /// The definition files stored with the latest <c>datasets import</c> of each benchmark that was imported with
    /// <c>--definition</c> (the definition <see cref="GetImportAsync"/> returns for that benchmark), by benchmark name.
    /// </summary>
    public async Task<IReadOnlyList<StoredDefinition>> ListImportedDefinitionsAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = ReadCommand(
                """
                SELECT benchmark, definition_json FROM datasets
                WHERE access IS NOT NULL AND COALESCE(source_path, '') NOT LIKE 'bundled:%'
                ORDER BY benchmark, imported_utc DESC
                """);
            var list = new List<StoredDefinition>();
            string? previous = null;
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
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
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    async Task<ImportedInstances?> IImportedBenchmarks.GetImportedInstancesAsync(string benchmark, CancellationToken cancellationToken) =>
        await GetImportAsync(benchmark, null, cancellationToken).ConfigureAwait(false) is { } import
            ? new ImportedInstances(import.SourceSha256, import.SourcePath, import.Instances)
            : null;
}
