namespace MedHelm.Core.Results;

/// <summary>The mean score of one sub-run of a benchmark (e.g. one CLEAR condition) for one model.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Benchmark">Benchmark run-spec name.</param>
/// <param name="SubRun">The sub-run (<c>BenchmarkDefinition.SubRuns</c>).</param>
/// <param name="Score">Mean score over the sub-run's defined instances (NaN when none is defined).</param>
/// <param name="Instances">Number of instances.</param>
public sealed record SubRunScore(string Model, string Benchmark, string SubRun, double Score, int Instances);
