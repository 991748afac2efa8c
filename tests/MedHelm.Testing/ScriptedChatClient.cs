using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace MedHelm.Testing;

/// <summary>An <see cref="IChatClient"/> that answers from a script and records what it was sent.</summary>
public sealed class ScriptedChatClient : IChatClient
{
    private readonly Func<string, CancellationToken, Task<ChatResponse>> _answer;
    private int _inFlight;
    private int _peak;

    public ScriptedChatClient(Func<string, CancellationToken, Task<ChatResponse>> answer) => _answer = answer;

    /// <summary>Answers <paramref name="text"/> to every prompt with the given usage.</summary>
    public static ScriptedChatClient Constant(string text, long? input = 10, long? output = 1) =>
        new((_, _) => Task.FromResult(Response(text, input, output)));

    /// <summary>Answers with the first matching (prompt fragment → text) rule.</summary>
    public static ScriptedChatClient ByPrompt(params (string Fragment, string Answer)[] rules) =>
        new((prompt, _) =>
        {
            var answer = rules.First(r => prompt.Contains(r.Fragment, StringComparison.Ordinal)).Answer;
            return Task.FromResult(Response(answer, prompt.Length, 1));
        });

    public static ChatResponse Response(string text, long? input, long? output) =>
        new(new ChatMessage(ChatRole.Assistant, text))
        {
            Usage = input is null && output is null ? null : new UsageDetails { InputTokenCount = input, OutputTokenCount = output },
        };

    public ConcurrentQueue<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> Calls { get; } = new();

    public int PeakConcurrency => Volatile.Read(ref _peak);

    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        Calls.Enqueue((list, options));
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while ((seen = Volatile.Read(ref _peak)) < now && Interlocked.CompareExchange(ref _peak, now, seen) != seen)
        {
        }

        try
        {
            return await _answer(string.Join("\n", list.Select(m => m.Text)), cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
