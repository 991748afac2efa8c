using MedHelm.Application.Errors;
using MedHelm.Application.Models;

namespace MedHelm.Application.Tests.Models;

/// <summary>
/// Which models stay in memory: shared leases, the count and byte budgets, least-recently-used release, models loaded on
/// purpose released last, waiting while every model is in use, and unloading (stand-in models; the loader over the real
/// runtime is <see cref="InProcessModelLoaderTests"/>).
/// </summary>
public sealed class ResidentModelCacheTests
{
    private readonly ManualClock _clock = new();

    [Fact]
    public async Task Leases_of_the_same_model_share_one_load_and_an_idle_model_stays_when_kept()
    {
        using var cache = new ResidentModelCache(maxModels: 1, maxBytes: 0, keepLoaded: true, _clock);
        var loads = 0;
        var a = Key("a");
        var (first, lease1) = await cache.AcquireAsync(a, false, () => { loads++; return new StandIn("a"); }, CancellationToken.None);
        var (second, lease2) = await cache.AcquireAsync(a, false, () => { loads++; return new StandIn("a"); }, CancellationToken.None);
        Assert.Same(first, second);
        Assert.Equal(1, loads);
        Assert.Equal(2, Assert.Single(cache.Loaded).Leases);

        lease1.Dispose();
        lease2.Dispose();
        lease2.Dispose(); // a lease ends once
        Assert.False(first.Disposed);
        Assert.Equal(0, Assert.Single(cache.Loaded).Leases);
    }

    [Fact]
    public async Task Without_keep_loaded_a_model_is_released_with_its_last_lease()
    {
        using var cache = new ResidentModelCache(maxModels: 1, maxBytes: 0, keepLoaded: false, _clock);
        var (model, lease) = await cache.AcquireAsync(Key("a"), false, () => new StandIn("a"), CancellationToken.None);
        lease.Dispose();
        Assert.True(model.Disposed);
        Assert.Empty(cache.Loaded);
    }

    [Fact]
    public async Task The_least_recently_used_idle_model_makes_room_and_a_model_loaded_on_purpose_goes_last()
    {
        using var cache = new ResidentModelCache(maxModels: 2, maxBytes: 0, keepLoaded: true, _clock);
        var (pinned, p) = await cache.AcquireAsync(Key("pinned"), true, () => new StandIn("pinned"), CancellationToken.None);
        p.Dispose();
        _clock.Advance(TimeSpan.FromMinutes(1));
        var (b, lb) = await cache.AcquireAsync(Key("b"), false, () => new StandIn("b"), CancellationToken.None);
        lb.Dispose();

        // "pinned" was used longest ago, but it was loaded on purpose: "b" makes room
        var (c, lc) = await cache.AcquireAsync(Key("c"), false, () => new StandIn("c"), CancellationToken.None);
        Assert.True(b.Disposed);
        Assert.False(pinned.Disposed);
        Assert.Equal(["c", "pinned"], cache.Loaded.Select(m => m.Name).Order(StringComparer.Ordinal));
        lc.Dispose();

        _clock.Advance(TimeSpan.FromMinutes(1));
        var (d, ld) = await cache.AcquireAsync(Key("d"), false, () => new StandIn("d"), CancellationToken.None);
        Assert.True(c.Disposed); // the unpinned idle one again
        ld.Dispose();
        var (e, le) = await cache.AcquireAsync(Key("e"), false, () => new StandIn("e"), CancellationToken.None);
        Assert.True(d.Disposed); // unpinned idle models go before the pinned one, however recently used
        Assert.False(pinned.Disposed);
        Assert.False(e.Disposed);
        le.Dispose();
    }

    [Fact]
    public async Task The_byte_budget_releases_idle_models_and_refuses_a_model_that_can_never_fit()
    {
        using var cache = new ResidentModelCache(maxModels: 8, maxBytes: 100, keepLoaded: true, _clock);
        var (a, la) = await cache.AcquireAsync(Key("a", 60), false, () => new StandIn("a"), CancellationToken.None);
        la.Dispose();
        var (b, lb) = await cache.AcquireAsync(Key("b", 30), false, () => new StandIn("b"), CancellationToken.None);
        Assert.False(a.Disposed); // 90 of 100
        var (c, lc) = await cache.AcquireAsync(Key("c", 50), false, () => new StandIn("c"), CancellationToken.None);
        Assert.True(a.Disposed); // b is in use: a goes
        Assert.False(b.Disposed || c.Disposed);

        var error = await Assert.ThrowsAsync<RequestValidationException>(() =>
            cache.AcquireAsync(Key("huge", 101), false, () => new StandIn("huge"), CancellationToken.None));
        Assert.Contains("huge.gguf", error.Message, StringComparison.Ordinal);
        Assert.Contains("MemoryBudgetMiB", error.Message, StringComparison.Ordinal);
        lb.Dispose();
        lc.Dispose();
    }

    [Fact]
    public async Task A_model_waits_while_every_loaded_model_is_in_use_and_loads_when_one_is_given_back()
    {
        using var cache = new ResidentModelCache(maxModels: 1, maxBytes: 0, keepLoaded: true, _clock);
        var (a, la) = await cache.AcquireAsync(Key("a"), false, () => new StandIn("a"), CancellationToken.None);
        var waiting = cache.AcquireAsync(Key("b"), false, () => new StandIn("b"), CancellationToken.None);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        using var cancelled = new CancellationTokenSource();
        var given = cache.AcquireAsync(Key("c"), false, () => new StandIn("c"), cancelled.Token);
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => given);

        la.Dispose();
        var (b, lb) = await waiting.WaitAsync(TestTimeouts.Scale(TimeSpan.FromSeconds(10)));
        Assert.True(a.Disposed);
        Assert.Equal("b", b.Name);
        lb.Dispose();
    }

    [Fact]
    public async Task Unloading_releases_an_idle_model_at_once_and_one_in_use_when_its_last_lease_ends()
    {
        using var cache = new ResidentModelCache(maxModels: 4, maxBytes: 0, keepLoaded: true, _clock);
        var (idle, li) = await cache.AcquireAsync(Key("idle"), true, () => new StandIn("idle"), CancellationToken.None);
        li.Dispose();
        var (busy, lb) = await cache.AcquireAsync(Key("busy"), false, () => new StandIn("busy"), CancellationToken.None);

        Assert.Equal(UnloadOutcome.Unloaded, cache.Unload("idle"));
        Assert.True(idle.Disposed);
        Assert.Equal(UnloadOutcome.UnloadedAfterUse, cache.Unload("busy"));
        Assert.False(busy.Disposed);
        lb.Dispose();
        Assert.True(busy.Disposed);
        Assert.Equal(UnloadOutcome.NotLoaded, cache.Unload("busy"));
        Assert.Empty(cache.Loaded);
    }

    [Fact]
    public async Task A_failed_load_leaves_nothing_behind_and_the_next_lease_loads_again()
    {
        using var cache = new ResidentModelCache(maxModels: 1, maxBytes: 0, keepLoaded: true, _clock);
        await Assert.ThrowsAsync<InvalidDataException>(() =>
            cache.AcquireAsync<StandIn>(Key("a"), false, () => throw new InvalidDataException("bad tensor"), CancellationToken.None));
        Assert.Empty(cache.Loaded);
        var (model, lease) = await cache.AcquireAsync(Key("a"), false, () => new StandIn("a"), CancellationToken.None);
        Assert.False(model.Disposed);
        lease.Dispose();
    }

    [Fact]
    public async Task Disposing_the_cache_releases_every_model()
    {
        var cache = new ResidentModelCache(maxModels: 2, maxBytes: 0, keepLoaded: true, _clock);
        var (a, la) = await cache.AcquireAsync(Key("a"), false, () => new StandIn("a"), CancellationToken.None);
        la.Dispose();
        var (b, _) = await cache.AcquireAsync(Key("b"), false, () => new StandIn("b"), CancellationToken.None);
        cache.Dispose();
        Assert.True(a.Disposed && b.Disposed);
    }

    private static ModelKey Key(string name, long size = 10) => new($"chat\n/models/{name}.gguf\n{{}}", name, name + ".gguf", "chat", size);

    private sealed class StandIn(string name) : IDisposable
    {
        public string Name { get; } = name;

        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
