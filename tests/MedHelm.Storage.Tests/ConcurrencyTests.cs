using System.Diagnostics;
using System.Globalization;
using MedHelm.Evaluation.Results;
using MedHelm.Storage.Tests.Support;
using Xunit.Abstractions;

namespace MedHelm.Storage.Tests;

/// <summary>One writer at a time; readers, of the same data source or of another on the same file, never wait for it.</summary>
public sealed class ConcurrencyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Reads_complete_while_a_write_transaction_is_held_open_and_see_the_last_commit()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        await Samples.WriteRunAsync(store, Samples.Run(status: RunStatus.Running), Samples.Result("run-1", "m1", "1", 1));
        await using var other = await SqliteResultStore.OpenAsync(temp.DatabasePath); // another host on the same file

        using var timeout = new CancellationTokenSource(Generous);
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = store.DataSource.WriteAsync(
            async (transaction, ct) =>
            {
                // uncommitted changes: the run failed and has a second result
                using var command = transaction.Connection!.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "UPDATE runs SET status = 'Failed' WHERE run_id = 'run-1'";
                await command.ExecuteNonQueryAsync(ct);
                inside.SetResult();
                await release.Task.WaitAsync(ct);
            },
            timeout.Token);
        await inside.Task.WaitAsync(timeout.Token);

        // a second writer of the same data source queues behind the open transaction
        var queued = store.AppendAuditAsync("run-1", "queued_behind_the_writer", cancellationToken: timeout.Token);

        foreach (var reader in new[] { store, other })
        {
            var run = await CompletesAsync(() => reader.GetRunAsync("run-1"), timeout.Token);
            Assert.Equal(RunStatus.Running, run!.Status); // the last committed snapshot
            var summary = Assert.Single(await CompletesAsync(() => reader.ListRunsAsync(), timeout.Token));
            Assert.Equal((RunStatus.Running, 1), (summary.Status, summary.Results));
            var row = Assert.Single(await CompletesAsync(() => reader.GetLeaderboardAsync("run-1"), timeout.Token));
            Assert.Equal((1.0, 1), (row.Score, row.Instances));
            Assert.Single(await CompletesAsync(() => reader.GetRunResultsAsync("run-1"), timeout.Token));
        }

        // both writes are still waiting for the release: nothing above waited for them
        Assert.False(held.IsCompleted);
        Assert.False(queued.IsCompleted);

        release.SetResult();
        await held.WaitAsync(timeout.Token);
        await queued.WaitAsync(timeout.Token);
        Assert.Equal(RunStatus.Failed, (await store.GetRunAsync("run-1"))!.Status);
        Assert.Equal(RunStatus.Failed, (await other.GetRunAsync("run-1"))!.Status);
        Assert.Contains(await other.GetAuditAsync("run-1"), e => e.Event == "queued_behind_the_writer");
    }

    [Fact]
    public async Task A_write_that_throws_rolls_back_and_releases_the_writer()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        await store.SaveRunAsync(Samples.Run(status: RunStatus.Running));

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.DataSource.WriteAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Connection!.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "UPDATE runs SET status = 'Failed'";
                await command.ExecuteNonQueryAsync(ct);
                throw new InvalidOperationException("the write fails after changing a row");
            },
            CancellationToken.None));

        Assert.Equal(RunStatus.Running, (await store.GetRunAsync("run-1"))!.Status);
        await store.SaveRunAsync(Samples.Run()); // the write lock was released
        Assert.Equal(RunStatus.Completed, (await store.GetRunAsync("run-1"))!.Status);
    }

    [Fact]
    [Trait("Category", "Slow")] // about 10 s on two busy cores
    public async Task A_reader_reads_run_status_and_leaderboard_200_times_while_a_run_writes_10000_results_through_the_ledger()
    {
        const int Results = 10_000;
        const int Reads = 200;
        const int Batch = 100;
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        await store.SaveRunAsync(Samples.Run(status: RunStatus.Running));
        await using var other = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        var stopwatch = Stopwatch.StartNew();

        var writer = Task.Run(async () =>
        {
            await using var ledger = store.OpenLedger(maxBatch: Batch);
            for (var i = 0; i < Results; i++)
            {
                await ledger.RecordAsync(Samples.Result("run-1", "m1", i.ToString(CultureInfo.InvariantCulture), i % 2));
            }

            await ledger.FlushAsync();
            return ledger.Transactions;
        });

        // one reader, alternating between the writer's data source and a data source of its own (as another host would)
        var reader = Task.Run(async () =>
        {
            var seen = new List<int>(Reads);
            for (var i = 0; i < Reads; i++)
            {
                var source = i % 2 == 0 ? store : other;
                Assert.Equal(RunStatus.Running, (await source.GetRunAsync("run-1"))!.Status);
                var summary = Assert.Single(await source.ListRunsAsync());
                var instances = (await source.GetLeaderboardAsync("run-1")).Sum(r => r.Instances);
                Assert.InRange(instances, summary.Results, Results); // read after the list: never fewer
                seen.Add(summary.Results);
            }

            return seen;
        });
        var transactions = await writer;
        var written = stopwatch.Elapsed;
        var seen = await reader;

        Assert.InRange(transactions, Results / Batch, Results);
        Assert.Equal(seen.Order(), seen); // committed results only ever grow

        var row = Assert.Single(await other.GetLeaderboardAsync("run-1"));
        Assert.Equal((Results, 0.5), (row.Instances, row.Score));
        Assert.Equal(Results, Assert.Single(await store.ListRunsAsync()).Results);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Results} results in {transactions} transactions, written in {written.TotalSeconds:0.0} s; {Reads} x 3 reads done after {stopwatch.Elapsed.TotalSeconds:0.0} s; " +
            $"reads that saw a partly written run: {seen.Count(n => n is > 0 and < Results)} of {Reads}"));
    }

    /// <summary>
    /// Awaits <paramref name="read"/> (started on the thread pool, so that a read blocked inside SQLite cannot block the
    /// test) and fails when <paramref name="timeout"/> fires first.
    /// </summary>
    private static async Task<T> CompletesAsync<T>(Func<Task<T>> read, CancellationToken timeout)
    {
        var task = Task.Run(read, CancellationToken.None);
        var first = await Task.WhenAny(task, Task.Delay(Timeout.Infinite, timeout));
        Assert.True(first == task, "the read did not complete while the write transaction was open");
        return await task;
    }
}
