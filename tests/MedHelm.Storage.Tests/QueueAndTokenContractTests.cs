using MedHelm.Application.Errors;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Storage.Tests.Support;

namespace MedHelm.Storage.Tests;

/// <summary>The service's run queue and API tokens: what every storage provider must do alike.</summary>
public abstract class QueueAndTokenContract(StoreProvider provider) : StoreContract(provider)
{
    private static readonly RunRequest Request = new(["pubmed_qa"], null, ["m1"], [], MaxInstances: 3);

    [Fact]
    public async Task Runs_are_claimed_oldest_first_once_and_finish_requeue_and_transition_as_asked()
    {
        await using var store = await OpenAsync();
        var queue = store.Queue;
        await queue.EnqueueAsync("a", Request, "alice");
        await queue.EnqueueAsync("b", Request with { MaxInstances = 5 }, "bob");
        await Assert.ThrowsAsync<ConflictException>(() => queue.EnqueueAsync("a", Request, "alice"));
        await store.SaveRunAsync(Samples.Run("stored"));
        await Assert.ThrowsAsync<ConflictException>(() => queue.EnqueueAsync("stored", Request, "alice")); // a run the CLI stored

        var first = await queue.ClaimNextAsync();
        Assert.Equal(("a", QueueState.Running, "alice"), (first!.RunId, first.State, first.RequestedBy));
        Assert.Equal(Request.Benchmarks, first.Request.Benchmarks);
        Assert.Equal(5, (await queue.ClaimNextAsync())!.Request.MaxInstances);
        Assert.Null(await queue.ClaimNextAsync());

        await Assert.ThrowsAsync<ConflictException>(() => queue.RequeueAsync("a", Request, "alice")); // still running
        await queue.FinishAsync("a", QueueState.Failed, "ModelLoadException");
        var failed = await queue.GetQueuedAsync("a");
        Assert.Equal((QueueState.Failed, "ModelLoadException"), (failed!.State, failed.Error));
        Assert.NotNull(failed.FinishedUtc);

        await queue.RequeueAsync("a", Request, "carol");
        Assert.Equal((QueueState.Queued, "carol", (string?)null), ((await queue.GetQueuedAsync("a"))!.State, (await queue.GetQueuedAsync("a"))!.RequestedBy, (await queue.GetQueuedAsync("a"))!.Error));
        Assert.True(await queue.TransitionAsync("a", QueueState.Queued, QueueState.Cancelled));
        Assert.False(await queue.TransitionAsync("a", QueueState.Queued, QueueState.Cancelled));

        Assert.Equal(["b"], await queue.RequeueInterruptedAsync()); // b was left running
        Assert.Equal(QueueState.Queued, (await queue.GetQueuedAsync("b"))!.State);
        Assert.Equal(["a", "b"], (await queue.ListQueuedAsync()).Select(r => r.RunId).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["run_queued", "run_queued", "run_requeued", "run_interrupted_requeued"],
            (await store.GetAuditAsync(null)).Where(e => e.Event.StartsWith("run_", StringComparison.Ordinal)).Select(e => e.Event));
        Assert.True((await store.VerifyAuditChainAsync()).Intact);
    }

    [Fact]
    public async Task Tokens_round_trip_are_revoked_once_and_audited()
    {
        await using var store = await OpenAsync();
        var created = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero).AddTicks(9);
        var token = new StoredApiToken("t1", "ci", AccessRole.Operator, new string('e', 64), created, null);
        await store.Tokens.AddTokenAsync(token);
        await Assert.ThrowsAsync<ConflictException>(() => store.Tokens.AddTokenAsync(token));
        await store.Tokens.AddTokenAsync(token with { Id = "t2", Role = AccessRole.Viewer, CreatedUtc = created.AddDays(1) });

        Assert.Equal(token, await store.Tokens.FindTokenAsync("t1")); // times keep every tick
        Assert.Null(await store.Tokens.FindTokenAsync("t3"));
        Assert.Equal(["t1", "t2"], (await store.Tokens.ListTokensAsync()).Select(t => t.Id));

        Assert.True(await store.Tokens.RevokeTokenAsync("t1"));
        Assert.False(await store.Tokens.RevokeTokenAsync("t1"));
        Assert.NotNull((await store.Tokens.FindTokenAsync("t1"))!.RevokedUtc);
        Assert.Equal(["token_created", "token_created", "token_revoked"], (await store.GetAuditAsync(null)).Where(e => e.Event.StartsWith("token_", StringComparison.Ordinal)).Select(e => e.Event));
    }
}

public sealed class SqliteQueueAndTokenTests() : QueueAndTokenContract(new SqliteProvider());

public sealed class PostgresQueueAndTokenTests() : QueueAndTokenContract(new PostgresProvider());
