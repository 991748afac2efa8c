using MedHelm.Application.Errors;
using MedHelm.Application.Ports;

namespace MedHelm.Storage;

/// <summary>Opens SQLite results databases for the application layer.</summary>
public sealed class SqliteResultsDatabaseFactory : IResultsDatabaseFactory
{
    /// <inheritdoc />
    public async Task<IResultsDatabase> OpenAsync(string path, bool create, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!create && !File.Exists(path))
        {
            throw new NotFoundException($"There is no results database at {Path.GetFullPath(path)} (it is created by `medhelm run`, `medhelm demo` or `medhelm datasets import`).");
        }

        // A run left "running" by a process that died is marked interrupted by the next process that opens the database.
        return await ComposedResultsDatabase.MarkInterruptedOnOpenAsync(await SqliteResultStore.OpenAsync(path, cancellationToken).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false);
    }
}
