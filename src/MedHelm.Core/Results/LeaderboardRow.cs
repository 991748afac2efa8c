namespace MedHelm.Core.Results;

/// <summary>One model × benchmark cell of the leaderboard.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Benchmark">Benchmark run-spec name.</param>
/// <param name="Score">Mean score over the instances.</param>
/// <param name="Instances">Number of instances.</param>
/// <param name="PromptTokens">Sum of known prompt tokens.</param>
/// <param name="CompletionTokens">Sum of known completion tokens.</param>
/// <param name="Seconds">Sum of request wall times, in seconds.</param>
public sealed record LeaderboardRow(
    string Model,
    string Benchmark,
    double Score,
    int Instances,
    long PromptTokens,
    long CompletionTokens,
    double Seconds);
