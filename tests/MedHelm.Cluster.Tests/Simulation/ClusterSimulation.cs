using System.Collections.Immutable;
using System.Diagnostics;
using MedHelm.Cluster.Work;

namespace MedHelm.Cluster.Tests.Simulation;

/// <summary>A stand-in model: its memory and the tokens/s a stand-in silo generates with it (not a real model).</summary>
public sealed record SimulatedModel(string Name, long Bytes, double TokensPerSecond);

/// <summary>What one simulated run gave.</summary>
/// <param name="Silos">Silo count.</param>
/// <param name="MakespanSeconds">Simulated time from the first lease to the last completion.</param>
/// <param name="Tokens">Tokens generated over the run.</param>
/// <param name="BusyMin">The least busy silo's busy time over the makespan.</param>
/// <param name="BusyMean">The mean.</param>
/// <param name="ModelLoads">Model loads over every silo.</param>
/// <param name="Completions">Shard completions (one per shard when nothing is executed twice).</param>
/// <param name="CoordinatorTicks">Stopwatch ticks spent in the coordinator's logic (placement, leases, completions).</param>
public sealed record SimulationResult(int Silos, double MakespanSeconds, double Tokens, double BusyMin, double BusyMean, int ModelLoads, int Completions, long CoordinatorTicks);

/// <summary>
/// A discrete-event simulation of the cluster's coordinator logic with stand-in silos: the real
/// <see cref="PlacementPolicy"/> and <see cref="ShardLeaseTable"/> decide; each stand-in silo runs its leased shards one
/// after the other at its model's fixed tokens/s, loads a model it lacks at a fixed bandwidth (evicting idle models,
/// least recently used first, when memory is short), and asks for work when a shard ends or, idle, every poll interval.
/// Deterministic: simulated time, no clock, no randomness (only <see cref="SimulationResult.CoordinatorTicks"/> is measured).
/// </summary>
public sealed class ClusterSimulation(IReadOnlyList<SimulatedModel> models, int benchmarks, int instancesPerBenchmark, int shardSize)
{
    public long DeviceBytes { get; init; } = 80L << 30;

    public int MaxShardsPerSilo { get; init; } = 4;

    public double TokensPerInstance { get; init; } = 300;

    public double LoadBytesPerSecond { get; init; } = 2L << 30;

    public double PollSeconds { get; init; } = 5;

    public SimulationResult Run(int siloCount)
    {
        var byName = models.ToDictionary(m => m.Name, StringComparer.Ordinal);
        var work = models.SelectMany(m => Enumerable.Range(0, benchmarks).Select(b => new ShardWork(m.Name, $"bench-{b:00}", instancesPerBenchmark, m.Bytes)));
        var plan = ShardPlanner.Split("simulated", work, shardSize);
        var table = new ShardLeaseTable(plan.Shards);
        var silos = Enumerable.Range(0, siloCount).Select(i => new Silo($"silo-{i:000}")).ToArray();
        var events = new PriorityQueue<(Silo Silo, bool Finished), (double, int)>();
        foreach (var silo in silos)
        {
            events.Enqueue((silo, false), (0, silo.Index(silos)));
        }
        var coordinator = new Stopwatch();
        var lease = TimeSpan.FromDays(1); // stand-ins never fail: leases only move on a death, which this simulation has none of
        double now = 0, tokens = 0;
        int loads = 0, completions = 0;
        while (events.TryDequeue(out var next, out var at))
        {
            now = at.Item1;
            var silo = next.Silo;
            if (next.Finished)
            {
                var done = silo.Running!;
                silo.Running = null;
                coordinator.Start();
                completions += table.Complete(done.Shard.Id, done.Token) == CompletionOutcome.Completed ? 1 : 0;
                coordinator.Stop();
                tokens += done.Shard.InstanceCount * TokensPerInstance;
            }
            else if (silo.Running is not null)
            {
                continue; // a poll while busy: its next completion asks
            }
            if (table.Finished)
            {
                continue;
            }
            var report = new SiloReport(silo.Id, silo.Id, [new DeviceStatus("SIM", "Gpu", DeviceBytes - silo.Loaded.Sum(m => m.Value), DeviceBytes)],
                [.. silo.Loaded.Keys], silo.Queue.Count + (silo.Running is null ? 0 : 1), MaxShardsPerSilo, 0, DateTimeOffset.UnixEpoch);
            coordinator.Start();
            var placed = PlacementPolicy.Place(table.Pending, silos.Select(s => s.Id == silo.Id ? report : s.Report).OfType<SiloReport>().ToArray(), table.ModelsInFlight());
            foreach (var assignment in placed.Assignments.Where(a => a.SiloId == silo.Id))
            {
                silo.Queue.Enqueue(table.Lease(assignment.Shard.Id, silo.Id, DateTimeOffset.UnixEpoch, lease));
            }
            coordinator.Stop();
            silo.Report = report with { QueueDepth = silo.Queue.Count, LoadedModels = [.. silo.Loaded.Keys] };
            if (silo.Running is null && silo.Queue.TryDequeue(out var start))
            {
                var model = byName[start.Shard.Model];
                var duration = start.Shard.InstanceCount * TokensPerInstance / model.TokensPerSecond;
                if (!silo.Loaded.ContainsKey(model.Name))
                {
                    silo.MakeRoom(model.Bytes, DeviceBytes, [.. silo.Queue.Select(q => q.Shard.Model)]);
                    duration += model.Bytes / LoadBytesPerSecond;
                    loads++;
                }
                silo.Loaded.Remove(model.Name);
                silo.Loaded.Add(model.Name, model.Bytes); // most recently used last
                silo.Running = start;
                silo.Busy += duration;
                events.Enqueue((silo, true), (now + duration, silo.Index(silos)));
            }
            else if (silo.Running is null)
            {
                events.Enqueue((silo, false), (now + PollSeconds, silo.Index(silos)));
            }
        }
        return new SimulationResult(siloCount, now, tokens, silos.Min(s => s.Busy) / now, silos.Average(s => s.Busy) / now, loads, completions, coordinator.ElapsedTicks);
    }

    private sealed class Silo(string id)
    {
        public string Id { get; } = id;

        public Queue<ShardLease> Queue { get; } = new();

        public ShardLease? Running { get; set; }

        /// <summary>Loaded models, least recently used first.</summary>
        public OrderedDictionary<string, long> Loaded { get; } = new(StringComparer.Ordinal);

        public SiloReport? Report { get; set; }

        public double Busy { get; set; }

        public int Index(Silo[] all) => Array.IndexOf(all, this);

        /// <summary>Unloads idle models (least recently used first, none the queue needs) until <paramref name="bytes"/> fit.</summary>
        public void MakeRoom(long bytes, long device, ImmutableHashSet<string> needed)
        {
            while (device - Loaded.Sum(m => m.Value) < bytes)
            {
                var victim = Loaded.Keys.FirstOrDefault(k => !needed.Contains(k)) ?? Loaded.Keys.First();
                Loaded.Remove(victim);
            }
        }
    }
}
