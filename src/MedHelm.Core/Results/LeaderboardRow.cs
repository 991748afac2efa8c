namespace MedHelm.Core.Results;

/// <summary>One model × benchmark cell of the leaderboard.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Benchmark">Benchmark run-spec name.</param>
/// <param name="Score">Mean score over the defined instances (NaN when every instance is undefined).</param>
/// <param name="Instances">Number of instances, undefined ones included.</param>
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
    double Seconds)
{
    /// <summary>Of <see cref="Instances"/>, how many are undefined (helm mode where HELM's own code raises): not in <see cref="Score"/>.</summary>
    public int Undefined { get; init; }
}
