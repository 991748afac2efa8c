namespace MedHelm.Cluster.Work;

/// <summary>A shard held by a silo until <paramref name="ExpiresUtc"/> unless renewed.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="SiloId">The silo holding it.</param>
/// <param name="Token">This lease's number (grows with every lease of the run): a completion names it.</param>
/// <param name="ExpiresUtc">When the shard returns to the pool without a renewal.</param>
[GenerateSerializer, Immutable]
public sealed record ShardLease(Shard Shard, string SiloId, long Token, DateTimeOffset ExpiresUtc);

/// <summary>What a completion did.</summary>
public enum CompletionOutcome
{
    /// <summary>The shard is done now.</summary>
    Completed,

    /// <summary>The shard was already done (a second execution after its lease moved; the ledger stored its results once).</summary>
    AlreadyDone,

    /// <summary>The run has no such shard, or never leased it with that token.</summary>
    Unknown,
}

/// <summary>
/// A run's shards and who holds them: pending, leased to a silo until an expiry, or done. A lease not renewed in time
/// (its silo died or froze) expires and the shard returns to the pool; a silo declared dead loses its leases at once.
/// A completion under an older lease still completes the shard (its results are stored by their ledger keys, so a
/// shard executed twice stores once); the silo holding the newer lease learns at its next renewal that it lost it.
/// Pure: time comes in as an argument. Not thread-safe (a grain calls it one request at a time).
/// </summary>
public sealed class ShardLeaseTable
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly List<Entry> _order = [];
    private long _lastToken;

    /// <summary>A table with every shard of <paramref name="shards"/> pending.</summary>
    /// <exception cref="ArgumentException">Two shards have the same id.</exception>
    public ShardLeaseTable(IEnumerable<Shard> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        foreach (var shard in shards)
        {
            var entry = new Entry(shard);
            if (!_entries.TryAdd(shard.Id, entry))
            {
                throw new ArgumentException($"The shard {shard.Id} is given twice.", nameof(shards));
            }
            _order.Add(entry);
        }
    }

    /// <summary>Marks shards done whose results are stored already (a plan given again); unknown ids are ignored.</summary>
    public void MarkDone(IEnumerable<string> shardIds)
    {
        ArgumentNullException.ThrowIfNull(shardIds);
        foreach (var id in shardIds)
        {
            if (_entries.GetValueOrDefault(id) is { State: ShardState.Pending } entry)
            {
                entry.State = ShardState.Done;
            }
        }
    }

    /// <summary>Shards waiting for a silo, in plan order.</summary>
    public IReadOnlyList<Shard> Pending => _order.Where(e => e.State == ShardState.Pending).Select(e => e.Shard).ToArray();

    /// <summary>The leases held now.</summary>
    public IReadOnlyList<ShardLease> Leases => _order.Where(e => e.State == ShardState.Leased).Select(e => e.Lease!).ToArray();

    /// <summary>Shards done.</summary>
    public int DoneCount => _order.Count(e => e.State == ShardState.Done);

    /// <summary>How many failed executions (on any silos) make a shard fail, and its run with it.</summary>
    public const int MaxFailures = 3;

    /// <summary>Shards that failed <see cref="MaxFailures"/> times, each with why (one reason per failure, oldest first).</summary>
    public IReadOnlyList<(Shard Shard, IReadOnlyList<string> Failures)> Failed =>
        _order.Where(e => e.State == ShardState.Failed).Select(e => (e.Shard, (IReadOnlyList<string>)e.Failures.ToArray())).ToArray();

    /// <summary>Every shard.</summary>
    public int Count => _order.Count;

    /// <summary>True when every shard is done.</summary>
    public bool Finished => _order.All(e => e.State == ShardState.Done);

    /// <summary>Leases a pending shard to <paramref name="siloId"/> until <paramref name="now"/> + <paramref name="duration"/>.</summary>
    /// <exception cref="InvalidOperationException">The shard is unknown, leased or done.</exception>
    public ShardLease Lease(string shardId, string siloId, DateTimeOffset now, TimeSpan duration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(siloId);
        var entry = _entries.GetValueOrDefault(shardId) ?? throw new InvalidOperationException($"There is no shard {shardId}.");
        if (entry.State != ShardState.Pending)
        {
            throw new InvalidOperationException($"The shard {shardId} is {entry.State.ToString().ToLowerInvariant()}, not pending.");
        }
        var lease = new ShardLease(entry.Shard, siloId, ++_lastToken, now + duration);
        entry.State = ShardState.Leased;
        entry.Lease = lease;
        entry.Tokens.Add(lease.Token);
        return lease;
    }

    /// <summary>
    /// Extends every lease <paramref name="siloId"/> still holds (expired ones first return to the pool) and returns
    /// them: a shard the silo is running but that is not among them has moved to another silo.
    /// </summary>
    public IReadOnlyList<ShardLease> Renew(string siloId, DateTimeOffset now, TimeSpan duration)
    {
        Expire(now);
        var renewed = new List<ShardLease>();
        foreach (var entry in _order.Where(e => e.State == ShardState.Leased && e.Lease!.SiloId == siloId))
        {
            entry.Lease = entry.Lease! with { ExpiresUtc = now + duration };
            renewed.Add(entry.Lease);
        }
        return renewed;
    }

    /// <summary>Returns every lease that expired at or before <paramref name="now"/> to the pool; returns those shards.</summary>
    public IReadOnlyList<Shard> Expire(DateTimeOffset now) => Release(e => e.Lease!.ExpiresUtc <= now);

    /// <summary>Returns every lease of <paramref name="siloId"/> to the pool (the membership declared it dead); returns those shards.</summary>
    public IReadOnlyList<Shard> ReleaseSilo(string siloId) => Release(e => e.Lease!.SiloId == siloId);

    /// <summary>
    /// Returns a shard to the pool because the silo holding lease <paramref name="token"/> could not execute it (it
    /// failed there, for <paramref name="failure"/>); false when that lease is no longer the shard's (it expired, moved
    /// or the shard is done). The <see cref="MaxFailures"/>th failure of a shard makes it failed instead (<see cref="Failed"/>).
    /// </summary>
    public bool Return(string shardId, long token, string? failure = null)
    {
        if (_entries.GetValueOrDefault(shardId) is not { State: ShardState.Leased } entry || entry.Lease!.Token != token
            || Release(e => ReferenceEquals(e, entry)).Count != 1)
        {
            return false;
        }
        if (failure is not null)
        {
            entry.Failures.Add(failure);
            if (entry.Failures.Count >= MaxFailures)
            {
                entry.State = ShardState.Failed;
            }
        }
        return true;
    }

    /// <summary>Marks a shard done by the silo that executed it under lease <paramref name="token"/>.</summary>
    public CompletionOutcome Complete(string shardId, long token)
    {
        var entry = _entries.GetValueOrDefault(shardId);
        if (entry is null || !entry.Tokens.Contains(token))
        {
            return CompletionOutcome.Unknown;
        }
        if (entry.State == ShardState.Done)
        {
            return CompletionOutcome.AlreadyDone;
        }
        entry.State = ShardState.Done;
        entry.Lease = null;
        return CompletionOutcome.Completed;
    }

    /// <summary>Per silo, the models of the shards it holds now (placement gathers a model's shards there).</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> ModelsInFlight() =>
        Leases.GroupBy(l => l.SiloId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlySet<string>)g.Select(l => l.Shard.Model).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);

    private IReadOnlyList<Shard> Release(Func<Entry, bool> which)
    {
        var released = new List<Shard>();
        foreach (var entry in _order.Where(e => e.State == ShardState.Leased && which(e)))
        {
            entry.State = ShardState.Pending;
            entry.Lease = null;
            released.Add(entry.Shard);
        }
        return released;
    }

    private enum ShardState
    {
        Pending,
        Leased,
        Done,
        Failed,
    }

    private sealed class Entry(Shard shard)
    {
        public Shard Shard { get; } = shard;

        public ShardState State { get; set; } = ShardState.Pending;

        public List<string> Failures { get; } = [];

        public ShardLease? Lease { get; set; }

        public HashSet<long> Tokens { get; } = [];
    }
}
