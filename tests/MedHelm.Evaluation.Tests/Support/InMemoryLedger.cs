using System.Collections.Concurrent;
using MedHelm.Evaluation.Ledger;

namespace MedHelm.Evaluation.Tests.Support;

/// <summary>A ledger in memory with the store's semantics (first write of a key wins) that records every entry.</summary>
public sealed class InMemoryLedger : ICompletionLedger
{
    public ConcurrentDictionary<string, LedgerCompletion> Completions { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<LedgerEntry> Entries { get; } = new();

    public int Flushed { get; private set; }

    public Task<IReadOnlyDictionary<string, LedgerCompletion>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyDictionary<string, LedgerCompletion>>(
            keys.Where(Completions.ContainsKey).ToDictionary(k => k, k => Completions[k], StringComparer.Ordinal));

    public ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
    {
        Entries.Enqueue(entry);
        Completions.TryAdd(entry.Request.Key, entry.Completion);
        return ValueTask.CompletedTask;
    }

    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        Flushed++;
        return Task.CompletedTask;
    }
}
