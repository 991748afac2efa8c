using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace MedHelm.Inference.Worker;

/// <summary>Throughput of a chat client under concurrent requests (what <c>medhelm bench --worker</c> compares).</summary>
/// <param name="Requests">Requests sent.</param>
/// <param name="Concurrency">Requests in flight at once.</param>
/// <param name="Seconds">Wall time of all of them.</param>
/// <param name="PromptTokens">Prompt tokens, as the engine counted them.</param>
/// <param name="GeneratedTokens">Generated tokens.</param>
public sealed record ChatThroughput(int Requests, int Concurrency, double Seconds, long PromptTokens, long GeneratedTokens)
{
    /// <summary>Requests per second.</summary>
    public double RequestsPerSecond => Requests / Seconds;

    /// <summary>Generated tokens per second.</summary>
    public double GeneratedTokensPerSecond => GeneratedTokens / Seconds;

    /// <summary>
    /// Sends <paramref name="requests"/> greedy requests of about <paramref name="promptWords"/> words (each with its own
    /// first line, "Case N.", numbered from <paramref name="firstCase"/>, so no two are the same), at most
    /// <paramref name="concurrency"/> at once, each generating up to <paramref name="maxTokens"/> tokens.
    /// </summary>
    public static async Task<ChatThroughput> MeasureAsync(
        IChatClient client, int requests, int concurrency, int promptWords, int maxTokens, CancellationToken cancellationToken, int firstCase = 0)
    {
        ArgumentNullException.ThrowIfNull(client);
        var filler = string.Join(' ', Enumerable.Range(0, promptWords).Select(i => ClinicalWords[i % ClinicalWords.Length]));
        long prompt = 0;
        long generated = 0;
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(
            Enumerable.Range(firstCase, requests),
            new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var response = await client.GetResponseAsync(
                    [new ChatMessage(ChatRole.User, $"Case {i}. {filler}")], new ChatOptions { MaxOutputTokens = maxTokens, Temperature = 0, Seed = 42 }, token)
                    .ConfigureAwait(false);
                Interlocked.Add(ref prompt, response.Usage?.InputTokenCount ?? 0);
                Interlocked.Add(ref generated, response.Usage?.OutputTokenCount ?? 0);
            }).ConfigureAwait(false);
        return new ChatThroughput(requests, concurrency, watch.Elapsed.TotalSeconds, prompt, generated);
    }

    private static readonly string[] ClinicalWords =
        ["patient", "reports", "fever", "cough", "for", "three", "days", "with", "chest", "pain", "and", "shortness", "of", "breath", "on", "exertion"];
}
