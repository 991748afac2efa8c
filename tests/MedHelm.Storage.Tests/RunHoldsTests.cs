using System.Diagnostics;
using MedHelm.Application.Errors;
using MedHelm.Evaluation.Results;
using MedHelm.Storage.Tests.Support;

namespace MedHelm.Storage.Tests;

/// <summary>A run whose process died is not left running: the next opening of the database marks it interrupted.</summary>
public abstract class RunHoldsContract(StoreProvider provider) : StoreContract(provider)
{
    [Fact]
    public async Task A_running_run_without_a_live_process_is_marked_interrupted_by_the_next_open()
    {
        await using (var store = await OpenAsync())
        {
            await store.SaveRunAsync(Samples.Run("dead", RunStatus.Running));
            await store.SaveRunAsync(Samples.Run("done", RunStatus.Completed));
        }

        await using var reopened = await Provider.Factory.OpenAsync(Provider.Location, create: false);

        Assert.Equal(RunStatus.Interrupted, (await reopened.GetRunAsync("dead"))!.Status);
        Assert.Equal(RunStatus.Completed, (await reopened.GetRunAsync("done"))!.Status);
        Assert.Contains(await reopened.GetAuditAsync("dead"), e => e.Event == "run_interrupted");
        Assert.Empty(await reopened.MarkInterruptedRunsAsync());
    }

    [Fact]
    public async Task A_run_whose_process_holds_it_stays_running_and_cannot_be_taken_twice()
    {
        await using var store = await OpenAsync();
        await using (await store.HoldRunAsync("live"))
        {
            await store.SaveRunAsync(Samples.Run("live", RunStatus.Running));
            await using var other = await OpenAsync(); // another process on the same database

            Assert.Empty(await other.MarkInterruptedRunsAsync());
            Assert.Equal(RunStatus.Running, (await other.GetRunAsync("live"))!.Status);
            await Assert.ThrowsAsync<ConflictException>(() => other.HoldRunAsync("live"));
        }

        // Released while still recorded as running (as a process that dies between the two would leave it).
        Assert.Equal(["live"], await store.MarkInterruptedRunsAsync());
    }
}

public sealed class PostgresRunHoldsTests() : RunHoldsContract(new PostgresProvider());

public sealed class SqliteRunHoldsTests() : RunHoldsContract(new SqliteProvider())
{
    [Fact]
    public async Task A_released_hold_leaves_no_lock_file()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        await using (await store.HoldRunAsync("live"))
        {
            await store.SaveRunAsync(Samples.Run("live", RunStatus.Running));
        }

        Assert.Equal(["live"], await store.MarkInterruptedRunsAsync());
        Assert.Empty(Directory.GetFiles(store.Runs.Holds.Folder));
    }

    [Fact]
    public async Task A_lock_released_by_a_killed_process_marks_its_run_interrupted()
    {
        using var temp = new TempDatabase();
        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        await store.SaveRunAsync(Samples.Run("killed", RunStatus.Running));
        Directory.CreateDirectory(store.Runs.Holds.Folder);
        var lockPath = store.Runs.Holds.LockPath("killed");

        // util-linux flock takes the same flock(2) lock .NET takes for FileShare.None on Linux; -o keeps it in flock itself (not in sleep).
        using var holder = Process.Start(new ProcessStartInfo("flock", ["-x", "-o", lockPath, "sleep", "60"]) { RedirectStandardError = true })!;
        await WaitUntilAsync(() => File.Exists(lockPath) && !CanLock(lockPath));
        Assert.Empty(await store.MarkInterruptedRunsAsync());

        holder.Kill(entireProcessTree: true);
        await holder.WaitForExitAsync();

        Assert.Equal(["killed"], await store.MarkInterruptedRunsAsync());
        Assert.Equal(RunStatus.Interrupted, (await store.GetRunAsync("killed"))!.Status);
    }

    private static bool CanLock(string path)
    {
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Scale(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the lock holder did not start");
            await Task.Delay(20);
        }
    }
}
