using System.Collections.Immutable;
using MedHelm.Application.Runs;

namespace MedHelm.Cluster.Work;

/// <summary>Splits a run into shards: every model × benchmark pair into instance ranges of at most a given size.</summary>
public static class ShardPlanner
{
    /// <summary>The model × benchmark pairs of a planned run (its models in order, each over every benchmark).</summary>
    public static IReadOnlyList<ShardWork> Work(PlannedRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.Models
            .SelectMany(m => run.Benchmarks.Select(b => new ShardWork(m.Name, b.Definition.Name, run.Take(b).Count, m.Endpoint is null ? m.SizeBytes : 0)))
            .ToArray();
    }

    /// <summary>
    /// The shards of <paramref name="work"/>: each pair's instances cut into consecutive ranges of
    /// <paramref name="shardSize"/> (the last one shorter); a pair without instances gives no shard.
    /// </summary>
    /// <exception cref="ArgumentException">A pair is given twice, or a count or size is negative.</exception>
    public static ShardPlan Split(string runId, IEnumerable<ShardWork> work, int shardSize)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ArgumentNullException.ThrowIfNull(work);
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        var seen = new HashSet<(string, string)>();
        var shards = ImmutableArray.CreateBuilder<Shard>();
        foreach (var item in work)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(item.InstanceCount);
            ArgumentOutOfRangeException.ThrowIfNegative(item.RequiredMemoryBytes);
            if (!seen.Add((item.Model, item.Benchmark)))
            {
                throw new ArgumentException($"The pair {item.Model} × {item.Benchmark} is given twice.", nameof(work));
            }
            for (var first = 0; first < item.InstanceCount; first += shardSize)
            {
                var count = Math.Min(shardSize, item.InstanceCount - first);
                shards.Add(new Shard($"{item.Model}/{item.Benchmark}/{first}-{first + count - 1}", item.Model, item.Benchmark, first, count, item.RequiredMemoryBytes));
            }
        }
        return new ShardPlan(runId, shards.ToImmutable());
    }

    /// <summary>
    /// The shards of <paramref name="plan"/> whose every instance already has a stored result of the run for the
    /// shard's model (<paramref name="stored"/>: model, benchmark, instance id): a coordinator given the plan again (its
    /// silo died, or the run resumed) marks them done instead of leasing them for a pass that the ledger would answer.
    /// </summary>
    public static ImmutableArray<string> Stored(PlannedRun run, ShardPlan plan, IEnumerable<(string Model, string Benchmark, string InstanceId)> stored)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(stored);
        var have = stored.ToHashSet();
        var instances = run.Benchmarks.ToDictionary(b => b.Definition.Name, b => run.Take(b), StringComparer.Ordinal);
        return plan.Shards
            .Where(s => instances.TryGetValue(s.Benchmark, out var all)
                && all.Skip(s.FirstInstance).Take(s.InstanceCount).All(i => have.Contains((s.Model, s.Benchmark, i.Id))))
            .Select(s => s.Id)
            .ToImmutableArray();
    }
}
