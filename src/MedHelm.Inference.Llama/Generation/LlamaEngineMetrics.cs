using System.Diagnostics.Metrics;

namespace MedHelm.Inference.Llama.Generation;

/// <summary>
/// The engine's <see cref="System.Diagnostics.Metrics"/> instruments (meter "MedHelm.Inference.Llama"): token
/// counters (rates give tokens/s), time to first token, queue wait, queue depth, active sequences and KV use.
/// </summary>
internal sealed class LlamaEngineMetrics : IDisposable
{
    public const string MeterName = "MedHelm.Inference.Llama";

    private readonly Meter _meter;
    private readonly KeyValuePair<string, object?> _model;

    public LlamaEngineMetrics(string model, Func<int> queueDepth, Func<int> activeSequences, Func<long> kvCellsUsed, long kvCellsTotal)
    {
        _meter = new Meter(MeterName);
        _model = new("model", model);
        PromptTokens = _meter.CreateCounter<long>("medhelm.llama.prompt_tokens", "{token}", "Prompt tokens decoded.");
        ReusedPromptTokens = _meter.CreateCounter<long>("medhelm.llama.prompt_tokens_reused", "{token}", "Prompt tokens whose KV was reused from a shared prefix.");
        GeneratedTokens = _meter.CreateCounter<long>("medhelm.llama.generated_tokens", "{token}", "Tokens generated.");
        Requests = _meter.CreateCounter<long>("medhelm.llama.requests", "{request}", "Requests finished.");
        TimeToFirstToken = _meter.CreateHistogram<double>("medhelm.llama.time_to_first_token", "ms", "Submit to first sampled token.");
        QueueWait = _meter.CreateHistogram<double>("medhelm.llama.queue_wait", "ms", "Time waiting for a sequence slot.");
        _meter.CreateObservableGauge("medhelm.llama.queue_depth", () => new Measurement<int>(queueDepth(), _model), "{request}", "Requests waiting for a slot.");
        _meter.CreateObservableGauge("medhelm.llama.active_sequences", () => new Measurement<int>(activeSequences(), _model), "{sequence}", "Sequences being decoded.");
        _meter.CreateObservableGauge("medhelm.llama.kv_usage", () => new Measurement<double>(kvCellsTotal == 0 ? 0 : (double)kvCellsUsed() / kvCellsTotal, _model), "1", "Share of KV cells holding tokens (cached prefixes included).");
    }

    public Counter<long> PromptTokens { get; }
    public Counter<long> ReusedPromptTokens { get; }
    public Counter<long> GeneratedTokens { get; }
    public Counter<long> Requests { get; }
    public Histogram<double> TimeToFirstToken { get; }
    public Histogram<double> QueueWait { get; }

    public KeyValuePair<string, object?> ModelTag => _model;

    public void Dispose() => _meter.Dispose();
}
