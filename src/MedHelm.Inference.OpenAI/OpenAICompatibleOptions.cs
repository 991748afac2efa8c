namespace MedHelm.Inference.OpenAI;

/// <summary>One hosted endpoint speaking the OpenAI chat-completions protocol.</summary>
public sealed record OpenAICompatibleOptions
{
    /// <summary>Base address up to and including the version path, e.g. https://llm.hospital.local/v1.</summary>
    public required Uri BaseAddress { get; init; }

    /// <summary>The model name the endpoint expects.</summary>
    public required string Model { get; init; }

    /// <summary>Bearer token, if the endpoint wants one (read from an environment variable by the host; never logged).</summary>
    public string? ApiKey { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Retries on 429, 5xx and transport errors, with exponential back-off starting at <see cref="RetryDelay"/>.</summary>
    public int MaxRetries { get; init; } = 3;

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}
