using System.Threading.Channels;
using MedHelm.Evaluation.Ledger;

namespace MedHelm.Application.Ports;

/// <summary>
/// The single-writer queue in front of a provider's ledger tables (the same for every storage provider): producers (the
/// runner's concurrent requests) put entries on a bounded channel; one consumer task commits whatever is queued, up to a
/// batch, in one transaction (<see cref="WriteBatchAsync"/>), then the next. A process killed at any moment loses only
/// entries not yet committed (the requests in flight); a restart finds everything committed and skips it. After a failed
/// write the ledger refuses further entries.
/// </summary>
public sealed class BatchingRunLedger : IRunLedger
{
    private readonly Func<IReadOnlyCollection<string>, CancellationToken, Task<IReadOnlyDictionary<string, LedgerCompletion>>> _find;
    private readonly Func<IReadOnlyList<LedgerEntry>, CancellationToken, Task> _writeBatch;
    private readonly Channel<object> _queue;
    private readonly int _maxBatch;
    private readonly Task _writer;
    private long _committed;
    private long _transactions;
    private volatile Exception? _failure;

    /// <summary>A ledger committing up to <paramref name="maxBatch"/> entries per transaction, with <paramref name="capacity"/> entries queued at most.</summary>
    /// <param name="find">Looks stored completions up by key (straight to the database).</param>
    /// <param name="writeBatch">Commits entries in one transaction, all or nothing (writing an entry again changes nothing).</param>
    /// <param name="maxBatch">The most entries per transaction.</param>
    /// <param name="capacity">The most entries queued.</param>
    public BatchingRunLedger(
        Func<IReadOnlyCollection<string>, CancellationToken, Task<IReadOnlyDictionary<string, LedgerCompletion>>> find,
        Func<IReadOnlyList<LedgerEntry>, CancellationToken, Task> writeBatch,
        int maxBatch,
        int capacity)
    {
        _find = find ?? throw new ArgumentNullException(nameof(find));
        _writeBatch = writeBatch ?? throw new ArgumentNullException(nameof(writeBatch));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _maxBatch = maxBatch;
        _queue = Channel.CreateBounded<object>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Entries committed so far.</summary>
    public long Committed => Interlocked.Read(ref _committed);

    /// <summary>Transactions committed so far.</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, LedgerCompletion>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default) =>
        _find(keys, cancellationToken);

    /// <summary>
    /// Refuses entries with more than one main score before anything is written (leaderboards read one main score per
    /// instance); every provider's batch write calls it.
    /// </summary>
    /// <exception cref="ArgumentException">An entry has more than one main score.</exception>
    public static void CheckOneMainScore(IReadOnlyList<LedgerEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.FirstOrDefault(e => e.Scores.Count(s => s.IsMain) > 1) is { } twice)
        {
            throw new ArgumentException(
                $"The ledger entry of run {twice.RunId}, instance {twice.Request.InstanceId} has more than one main score; mark secondary statistics IsMain = false.",
                nameof(entries));
        }
    }

    /// <inheritdoc />
    public async ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ThrowIfFailed();
        try
        {
            await _queue.Writer.WriteAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw Failed(e);
        }
    }

    /// <inheritdoc />
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfFailed();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await _queue.Writer.WriteAsync(done, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw Failed(e);
        }

        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Commits what is queued and stops the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _writer.ConfigureAwait(false);
        }
        catch (Exception) when (_failure is not null)
        {
            // already reported to the producers
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<LedgerEntry>(_maxBatch);
        var flushes = new List<TaskCompletionSource>();
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < _maxBatch && reader.TryRead(out var item))
                {
                    if (item is LedgerEntry entry)
                    {
                        batch.Add(entry);
                    }
                    else
                    {
                        flushes.Add((TaskCompletionSource)item);
                        break; // commit what came before the flush, then signal it
                    }
                }

                if (batch.Count > 0)
                {
                    await _writeBatch(batch, CancellationToken.None).ConfigureAwait(false);
                    Interlocked.Add(ref _committed, batch.Count);
                    Interlocked.Increment(ref _transactions);
                    batch.Clear();
                }

                foreach (var flush in flushes)
                {
                    flush.TrySetResult();
                }

                flushes.Clear();
            }
        }
        catch (Exception e)
        {
            _failure = e;
            _queue.Writer.TryComplete(e);
            foreach (var flush in flushes)
            {
                flush.TrySetException(Failed(e));
            }

            while (reader.TryRead(out var item))
            {
                (item as TaskCompletionSource)?.TrySetException(Failed(e));
            }

            throw;
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw Failed(failure);
        }
    }

    private InvalidOperationException Failed(Exception e) =>
        new("The results ledger could not be written; nothing after the last committed batch was stored.", _failure ?? e.InnerException ?? e);
}
