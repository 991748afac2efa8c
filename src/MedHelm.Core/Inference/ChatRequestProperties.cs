namespace MedHelm.Core.Inference;

/// <summary>Keys of <c>ChatOptions.AdditionalProperties</c> that the local engine reads.</summary>
public static class ChatRequestProperties
{
    /// <summary>
    /// The time a local model's chat template sees (strftime_now, date_string), as a <see cref="DateTimeOffset"/>.
    /// A run fixes it once and stores it in its manifest, so a resumed run renders the same prompts.
    /// </summary>
    public const string ChatTemplateTime = "chat_template_time";

    /// <summary>
    /// <c>true</c> (or the string "true", as it crosses to an engine worker): keep generating past end-of-generation tokens until the token limit (llama-server's
    /// <c>ignore_eos</c>; throughput benchmarks only, so every request generates the same number of tokens).
    /// </summary>
    public const string IgnoreEndOfGeneration = "ignore_eos";
}
