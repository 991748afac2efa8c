using System.Globalization;
using System.Text.Json;
using MedHelm.Application.Models;
using MedHelm.Application.Ports;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Jury;
using MedHelm.Evaluation.Running;

namespace MedHelm.Application.Runs;

/// <summary>
/// The optional BERTScore step of a run: after the jury, a BERT-family encoder (an ONNX export read at a chosen hidden
/// layer, or a GGUF model's final layer) scores every stored open-ended answer that has a reference, stored as a
/// secondary score. Only counts are reported, never text.
/// </summary>
public sealed class BertScoreStep(IModelLoader loader)
{
    /// <summary>How many scores are computed between two commits (a stopped step keeps what it computed).</summary>
    private const int CommitEvery = 32;

    /// <summary>
    /// Scores every answer without a <see cref="BertScoreMetric.MetricName"/> row yet (a resume computes only the missing
    /// ones; nothing to compute loads no model), committed every few answers.
    /// </summary>
    public async Task RunAsync(IResultsDatabase store, string runId, PlannedRun run, ScoringMode mode, IRunObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(observer);
        if (run.BertScore is not { } model)
        {
            return;
        }

        var scored = await store.GetScoredRequestIdsAsync(runId, BertScoreMetric.MetricName, cancellationToken).ConfigureAwait(false);
        var pending = new List<JuryCandidate>();
        var references = new Dictionary<(string Benchmark, string Instance), string>();
        var (already, withoutReference) = (0, 0);
        // a benchmark whose main metric has this name keeps the name for its jury score
        foreach (var benchmark in run.Juried.Where(b => b.Definition.MainMetric != BertScoreMetric.MetricName))
        {
            foreach (var candidate in await store.GetJuryCandidatesAsync(runId, benchmark.Definition.Name, cancellationToken).ConfigureAwait(false))
            {
                if (string.IsNullOrWhiteSpace(candidate.Gold))
                {
                    withoutReference++;
                    continue;
                }

                references.TryAdd((candidate.Benchmark, candidate.InstanceId), candidate.Gold); // each instance's reference once, not once per model
                if (scored.Contains(candidate.RequestId))
                {
                    already++;
                }
                else
                {
                    pending.Add(candidate);
                }
            }
        }

        var label = $"bertscore ({model.Name}, {model.Describe()}{(model.Idf ? ", idf" : "")})";
        if (pending.Count == 0)
        {
            observer.Notice(already > 0
                ? $"{label}: nothing to compute ({already} score(s) of this run reused)"
                : $"{label}: nothing to compute (no open-ended answer with a reference)");
            return;
        }

        observer.Notice(string.Create(CultureInfo.InvariantCulture,
            $"{label}: scoring {pending.Count} answer(s){(already > 0 ? $", {already} reused" : "")}{(withoutReference > 0 ? $", {withoutReference} without a reference skipped" : "")}"));
        using (var lease = await loader.LeaseEmbedderAsync(model.Argument, cancellationToken).ConfigureAwait(false))
        {
            // idf (BertScore:Idf) counts over every instance's reference answer in the run, so a resume weighs tokens the same way
            var idf = model.Idf ? BertScore.InverseDocumentFrequency(references.Values.Select(lease.Client.TokenIds)) : null;
            var metric = new BertScoreMetric(lease.Client, idf);
            await using var progress = await observer.BeginProgressAsync([new ProgressItem(label, label, pending.Count)], cancellationToken).ConfigureAwait(false);
            var sink = progress.For(label);
            var batch = new List<(long RequestId, double Value)>(CommitEvery);
            try
            {
                for (var i = 0; i < pending.Count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var candidate = pending[i];
                    var f1 = metric.Score(candidate.Output, GoldRecord.From(("gold", candidate.Gold)), mode)[BertScoreMetric.MetricName];
                    batch.Add((candidate.RequestId, f1));
                    if (batch.Count == CommitEvery)
                    {
                        await store.SaveSecondaryScoresAsync(runId, BertScoreMetric.MetricName, batch, CancellationToken.None).ConfigureAwait(false);
                        batch.Clear();
                    }

                    sink.Report(new EvaluationProgress(runId, model.Name, candidate.Benchmark, i + 1, pending.Count));
                }
            }
            finally
            {
                // what was computed is kept, also when the step is stopped
                await store.SaveSecondaryScoresAsync(runId, BertScoreMetric.MetricName, batch, CancellationToken.None).ConfigureAwait(false);
            }
        }

        await store.AppendAuditAsync(runId, "bertscore_scored", JsonSerializer.Serialize(new
        {
            model = model.Name,
            sha256 = model.Sha256,
            engine = model.Encoding.Engine,
            layer = model.Encoding.Layer,
            idf = model.Idf,
            metric = BertScoreMetric.MetricName,
            computed = pending.Count,
            reused = already,
            without_reference = withoutReference,
        }), cancellationToken).ConfigureAwait(false);
        observer.Notice($"{label}: {pending.Count} score(s) stored as {BertScoreMetric.MetricName} (secondary)");
    }
}
