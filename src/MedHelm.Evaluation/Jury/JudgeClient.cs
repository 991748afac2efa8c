using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace MedHelm.Evaluation.Jury;

/// <summary>How a judge is kept to the verdict's shape.</summary>
public enum JudgeConstraint
{
    /// <summary>Local llama.cpp judge: a GBNF grammar (ChatOptions.AdditionalProperties["grammar"]) makes every answer parse.</summary>
    Grammar,

    /// <summary>Hosted judge with structured output: ChatOptions.ResponseFormat is the verdict's JSON schema.</summary>
    JsonSchema,

    /// <summary>Hosted judge without structured output: the prompt alone asks for JSON; parsed robustly.</summary>
    PromptOnly,
}

/// <summary>Settings of one judge.</summary>
public sealed record JudgeClientOptions
{
    /// <summary>Extra attempts after an answer that does not parse (or a failed call), for judges without a grammar.</summary>
    public int MaxRetries { get; init; } = 1;

    /// <summary>Output tokens for judges without a grammar (MedHELM asks for 4096).</summary>
    public int MaxOutputTokens { get; init; } = 4096;

    /// <summary>Sampling temperature (MedHELM: 0).</summary>
    public float Temperature { get; init; }

    /// <summary>
    /// The time a local judge's chat template sees (<see cref="Core.Inference.ChatRequestProperties.ChatTemplateTime"/>):
    /// the run's, so that a resumed run asks its judges the same prompts. Null: the client's own.
    /// </summary>
    public DateTimeOffset? ChatTemplateTime { get; init; }
}

/// <summary>One attempt at getting a verdict from a judge.</summary>
/// <param name="Failure">Why the attempt gave no verdict; null when it did.</param>
public sealed record JudgeAttempt(int Number, string? Failure, long? InputTokens, long? OutputTokens, TimeSpan Elapsed);

/// <summary>
/// A judge's final word on one instance: its verdict, or the reason there is none after every attempt.
/// <see cref="Answer"/> is the raw text of the last attempt, kept for storage (never logged).
/// </summary>
public sealed record JudgeOutcome(string Judge, JudgeVerdict? Verdict, string? Failure, IReadOnlyList<JudgeAttempt> Attempts, string? Answer)
{
    public bool Succeeded => Verdict is not null;

    /// <summary>Attempts whose answer did not give a verdict (including ones followed by a successful retry).</summary>
    public int FailedAttempts => Attempts.Count(a => a.Failure is not null);
}

/// <summary>
/// One member of the jury: a named <see cref="IChatClient"/> and how its answers are constrained. Local judges
/// (<see cref="JudgeConstraint.Grammar"/>) decode under the verdict grammar and need no retry; hosted judges get the
/// JSON schema as response format where they offer it, and up to <see cref="JudgeClientOptions.MaxRetries"/> corrective
/// retries (the answer that failed and the reason are sent back) when an answer does not parse.
/// </summary>
public sealed class JudgeClient
{
    /// <summary>The key under which <c>LlamaChatClient</c> reads a GBNF grammar.</summary>
    public const string GrammarProperty = "grammar";

    private readonly IChatClient _client;

    public JudgeClient(string name, IChatClient client, JudgeConstraint constraint, JudgeClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(client);
        Name = name;
        _client = client;
        Constraint = constraint;
        Options = options ?? new JudgeClientOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(Options.MaxRetries, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.MaxOutputTokens, 1, nameof(options));
    }

    /// <summary>A local judge (grammar-constrained).</summary>
    public static JudgeClient Local(string name, IChatClient client, JudgeClientOptions? options = null) =>
        new(name, client, JudgeConstraint.Grammar, options);

    /// <summary>A hosted judge; <paramref name="supportsJsonSchema"/> when it offers structured output.</summary>
    public static JudgeClient Hosted(string name, IChatClient client, bool supportsJsonSchema, JudgeClientOptions? options = null) =>
        new(name, client, supportsJsonSchema ? JudgeConstraint.JsonSchema : JudgeConstraint.PromptOnly, options);

    public string Name { get; }

    public JudgeConstraint Constraint { get; }

    public JudgeClientOptions Options { get; }

    /// <summary>True for local judges, whose answers are constrained by a GBNF grammar.</summary>
    public bool SupportsGrammar => Constraint == JudgeConstraint.Grammar;

    /// <summary>Most attempts per instance: 1 under a grammar (greedy decoding would repeat itself), else 1 + retries.</summary>
    public int MaxAttempts => SupportsGrammar ? 1 : 1 + Options.MaxRetries;

    /// <summary>Asks for a verdict; never throws for a bad answer or a failed call (both are recorded), only on cancellation.</summary>
    public async Task<JudgeOutcome> RateAsync(JudgePrompt prompt, VerdictSchema schema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(schema);
        var messages = new List<ChatMessage> { new(ChatRole.User, prompt.Text) };
        var attempts = new List<JudgeAttempt>(MaxAttempts);
        string? answer = null;
        string? failure = null;
        for (var number = 1; number <= MaxAttempts; number++)
        {
            var stopwatch = Stopwatch.StartNew();
            ChatResponse? response = null;
            try
            {
                response = await _client.GetResponseAsync(messages, NewOptions(schema), cancellationToken).ConfigureAwait(false);
                answer = response.Text;
                var parsed = VerdictParser.Parse(answer, schema.Criteria);
                failure = parsed.Failure;
                attempts.Add(new JudgeAttempt(number, failure, response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount, stopwatch.Elapsed));
                if (parsed.Verdict is { } verdict)
                {
                    return new JudgeOutcome(Name, verdict, null, attempts, answer);
                }

                if (response.FinishReason == ChatFinishReason.Length)
                {
                    failure += " (the answer hit the output token limit)";
                    attempts[^1] = attempts[^1] with { Failure = failure };
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // the message may echo the prompt: keep the type only
                failure = $"the judge call failed ({e.GetType().Name})";
                answer = null;
                attempts.Add(new JudgeAttempt(number, failure, null, null, stopwatch.Elapsed));
            }

            if (number < MaxAttempts && answer is not null)
            {
                messages.Add(new ChatMessage(ChatRole.Assistant, answer));
                messages.Add(new ChatMessage(ChatRole.User,
                    $"That answer could not be used: {failure}. Reply again with only the JSON object in the required format."));
            }
        }

        return new JudgeOutcome(Name, null, failure, attempts, answer);
    }

    private ChatOptions NewOptions(VerdictSchema schema)
    {
        var options = new ChatOptions { Temperature = Options.Temperature, MaxOutputTokens = Options.MaxOutputTokens };
        if (Options.ChatTemplateTime is { } time)
        {
            options.AdditionalProperties = new AdditionalPropertiesDictionary { [Core.Inference.ChatRequestProperties.ChatTemplateTime] = time };
        }

        switch (Constraint)
        {
            case JudgeConstraint.Grammar:
                options.MaxOutputTokens = schema.MaxOutputTokens;
                options.AdditionalProperties ??= [];
                options.AdditionalProperties[GrammarProperty] = schema.Grammar;
                break;
            case JudgeConstraint.JsonSchema:
                options.ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.JsonSchema, "jury_verdict", "One judge's scores and explanations per criterion.");
                break;
        }

        return options;
    }
}
