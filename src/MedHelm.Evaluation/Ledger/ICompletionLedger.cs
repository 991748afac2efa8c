namespace MedHelm.Evaluation.Ledger;

/// <summary>Whether a run's completion was produced by the model in this run or taken from the ledger.</summary>
public enum CompletionOrigin
{
    /// <summary>The model was called.</summary>
    Computed,

    /// <summary>A stored completion with the same ledger key was used.</summary>
    Reused,
}

/// <summary>What was asked: the ledger key and the provenance it was computed from.</summary>
/// <param name="Key">The ledger key (<see cref="Core.Ledger.LedgerKey"/>).</param>
/// <param name="Model">Model name as shown on the leaderboard.</param>
/// <param name="ModelIdentity">Model SHA-256 or endpoint identity (a key part).</param>
/// <param name="Benchmark">Benchmark run-spec name.</param>
/// <param name="DatasetSha256">Dataset hash (a key part).</param>
/// <param name="InstanceId">Instance id (a key part).</param>
/// <param name="TemplateHash">Prompt template hash (a key part).</param>
/// <param name="PromptHash">SHA-256 of the rendered prompt.</param>
/// <param name="Decoding">Canonical decoding parameters (a key part).</param>
/// <param name="Seed">Seed (a key part).</param>
/// <param name="SampleIndex">Sample index (a key part).</param>
/// <param name="Gold">The instance's gold answer.</param>
public sealed record LedgerRequest(
    string Key,
    string Model,
    string ModelIdentity,
    string Benchmark,
    string DatasetSha256,
    string InstanceId,
    string TemplateHash,
    string PromptHash,
    string Decoding,
    long Seed,
    int SampleIndex,
    string Gold);

/// <summary>What the model returned, with its cost.</summary>
/// <param name="Output">The answer text (patient data: never logged).</param>
/// <param name="Reasoning">The separated reasoning of a reasoning model, if any.</param>
/// <param name="FinishReason">Why generation stopped, when known.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Answer tokens.</param>
/// <param name="ReasoningTokens">Reasoning tokens.</param>
/// <param name="ReusedPromptTokens">Prompt tokens taken from a cached prefix.</param>
/// <param name="QueueMs">Time waiting for a slot.</param>
/// <param name="PrefillMs">Prompt processing time.</param>
/// <param name="FirstTokenMs">Time to the first generated token.</param>
/// <param name="DecodeMs">Generation time.</param>
/// <param name="ElapsedMs">Wall time of the call as the runner saw it.</param>
public sealed record LedgerCompletion(
    string Output,
    string? Reasoning,
    string? FinishReason,
    long? PromptTokens,
    long? CompletionTokens,
    long? ReasoningTokens,
    long? ReusedPromptTokens,
    double? QueueMs,
    double? PrefillMs,
    double? FirstTokenMs,
    double? DecodeMs,
    double ElapsedMs);

/// <summary>One metric value of one completion in one run.</summary>
/// <param name="Metric">Metric name.</param>
/// <param name="Value">Its value; null for an undefined main score (helm mode where HELM's own code raises), stored as SQL NULL.</param>
/// <param name="IsMain">
/// True (the default) for the benchmark's main metric, the score leaderboards and <c>runs show</c> read (stored with
/// <c>is_main = 1</c>); false for a secondary statistic (<c>is_main = 0</c>), e.g. MedEC sentence accuracy or the
/// ROUGE-1/2/L of an open-ended answer. An entry holds at most one main score.
/// </param>
public sealed record MetricScore(string Metric, double? Value, bool IsMain = true);

/// <summary>
/// One result of a run: the request, its completion, where the completion came from and its scores (at most one of
/// them main; none for an open-ended answer, whose main score the jury stores later).
/// </summary>
public sealed record LedgerEntry(
    string RunId,
    LedgerRequest Request,
    LedgerCompletion Completion,
    CompletionOrigin Origin,
    IReadOnlyList<MetricScore> Scores);

/// <summary>
/// The request ledger: completions keyed by their ledger key, each stored once and linked to every run that used it.
/// Implemented by the SQLite store. Writes are queued and committed by a single writer in small transactions;
/// writing an entry whose key (or run link, or score) already exists changes nothing.
/// </summary>
public interface ICompletionLedger
{
    /// <summary>The stored completions among <paramref name="keys"/> (keys without one are absent).</summary>
    Task<IReadOnlyDictionary<string, LedgerCompletion>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default);

    /// <summary>Queues <paramref name="entry"/> for the writer; returns once queued (not yet committed).</summary>
    /// <exception cref="InvalidOperationException">The writer has failed (the inner exception says why).</exception>
    ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Returns once every entry queued before the call is committed.</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}
