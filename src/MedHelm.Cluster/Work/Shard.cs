using System.Collections.Immutable;

namespace MedHelm.Cluster.Work;

/// <summary>
/// One work item of a run: a range of one benchmark's instances for one model, executed by one silo at a time.
/// </summary>
/// <param name="Id">Unique in its run: <c>model/benchmark/first-last</c>.</param>
/// <param name="Model">The run's model name.</param>
/// <param name="Benchmark">The benchmark's run-spec name.</param>
/// <param name="FirstInstance">Index of the first instance (in the order the run takes them).</param>
/// <param name="InstanceCount">How many instances.</param>
/// <param name="RequiredMemoryBytes">Accelerator memory the model needs on a silo that has not loaded it (0: a hosted endpoint).</param>
[GenerateSerializer, Immutable]
public sealed record Shard(string Id, string Model, string Benchmark, int FirstInstance, int InstanceCount, long RequiredMemoryBytes);

/// <summary>A run's shards, in the order they should start.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Shards">Its shards.</param>
[GenerateSerializer, Immutable]
public sealed record ShardPlan(string RunId, ImmutableArray<Shard> Shards)
{
    /// <summary>Instances over every shard.</summary>
    public long Instances => Shards.Sum(s => (long)s.InstanceCount);
}

/// <summary>One model × benchmark pair of a run before it is split.</summary>
/// <param name="Model">The run's model name.</param>
/// <param name="Benchmark">The benchmark's run-spec name.</param>
/// <param name="InstanceCount">How many instances the run evaluates.</param>
/// <param name="RequiredMemoryBytes">Accelerator memory the model needs (0 for a hosted endpoint).</param>
public sealed record ShardWork(string Model, string Benchmark, int InstanceCount, long RequiredMemoryBytes);
