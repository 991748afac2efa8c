namespace MedHelm.Cluster.Work;

/// <summary>Where placement put a shard.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="SiloId">The silo that should run it.</param>
/// <param name="LoadsModel">True when that silo does not have the model yet (it will load it).</param>
public sealed record ShardAssignment(Shard Shard, string SiloId, bool LoadsModel);

/// <summary>A shard placement could not place now, and why (it stays pending).</summary>
public sealed record UnplacedShard(Shard Shard, string Reason);

/// <summary>What one placement round decided.</summary>
public sealed record Placement(IReadOnlyList<ShardAssignment> Assignments, IReadOnlyList<UnplacedShard> Unplaced);

/// <summary>
/// Decides which silo runs each pending shard (pure: the same inputs give the same placement). A model's shards go
/// first to silos that have the model (loaded, or already given shards of it), the one with the most free slots first;
/// only when every such silo is full does another silo load it: the one with the most free accelerator memory among
/// those with room for the model and a free slot. So a model's shards gather on few silos instead of loading the model
/// everywhere, and no silo is given more shards than its free slots (its queue depth is respected).
/// </summary>
public static class PlacementPolicy
{
    /// <summary>Places <paramref name="pending"/> (in plan order) on <paramref name="silos"/>.</summary>
    /// <param name="pending">The shards waiting for a silo.</param>
    /// <param name="silos">The live silos' latest reports.</param>
    /// <param name="modelsInFlight">Per silo id, the models of shards it holds now (it has loaded them or is loading them).</param>
    public static Placement Place(IReadOnlyList<Shard> pending, IReadOnlyList<SiloReport> silos, IReadOnlyDictionary<string, IReadOnlySet<string>>? modelsInFlight = null)
    {
        ArgumentNullException.ThrowIfNull(pending);
        ArgumentNullException.ThrowIfNull(silos);
        var room = silos
            .OrderBy(s => s.SiloId, StringComparer.Ordinal)
            .Select(s => new Room(s, modelsInFlight?.GetValueOrDefault(s.SiloId)))
            .ToArray();
        var assignments = new List<ShardAssignment>();
        var unplaced = new List<UnplacedShard>();
        foreach (var group in pending.GroupBy(s => s.Model, StringComparer.Ordinal))
        {
            var shards = group.ToArray();
            for (var i = 0; i < shards.Length; i++)
            {
                var shard = shards[i];
                var holder = room.Where(r => r.Models.Contains(shard.Model) && r.Slots > 0).MaxBy(r => r.Slots);
                var loads = false;
                if (holder is null)
                {
                    holder = room.Where(r => r.Slots > 0 && r.FreeBytes >= shard.RequiredMemoryBytes).MaxBy(r => (r.FreeBytes, r.Slots));
                    if (holder is null)
                    {
                        var reason = Reason(shard, room);
                        unplaced.AddRange(shards[i..].Select(s => new UnplacedShard(s, reason)));
                        break;
                    }
                    holder.Models.Add(shard.Model);
                    holder.FreeBytes -= shard.RequiredMemoryBytes;
                    loads = true;
                }
                holder.Slots--;
                assignments.Add(new ShardAssignment(shard, holder.Status.SiloId, loads));
            }
        }
        return new Placement(assignments, unplaced);
    }

    private static string Reason(Shard shard, Room[] room)
    {
        if (room.Length == 0)
        {
            return "no silo is live";
        }
        var mib = shard.RequiredMemoryBytes / (1024 * 1024);
        return room.Any(r => r.FreeBytes >= shard.RequiredMemoryBytes || r.Models.Contains(shard.Model))
            ? $"every silo that has {shard.Model} or {mib} MiB free for it is busy (no free slot)"
            : $"no silo has {mib} MiB of accelerator memory free for {shard.Model}";
    }

    /// <summary>A silo's room as this round uses it up.</summary>
    private sealed class Room(SiloReport status, IReadOnlySet<string>? inFlight)
    {
        public SiloReport Status { get; } = status;

        public HashSet<string> Models { get; } = new(status.LoadedModels.Concat(inFlight ?? Enumerable.Empty<string>()), StringComparer.Ordinal);

        public int Slots { get; set; } = status.FreeSlots;

        public long FreeBytes { get; set; } = status.FreeMemoryBytes;
    }
}
