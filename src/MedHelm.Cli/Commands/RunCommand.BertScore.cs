using MedHelm.Evaluation.Jury;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedHelm.Cli.Hosting;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Running;
using MedHelm.Gguf;
using MedHelm.Application.Ports;
using MedHelm.Storage;

namespace MedHelm.Cli.Commands;

/// <summary>
/// The optional BERTScore step of a run (<c>--bertscore-model</c>): after the jury, a BERT-family embedding model scores
/// every stored open-ended answer against its reference, stored as a secondary score.
/// </summary>
internal static partial class RunCommand
{
    /// <summary>Architectures whose GGUF models encode text whole (llama.cpp's encoders), as BERTScore needs.</summary>
    private static readonly string[] EmbeddingArchitectures = ["bert", "nomic-bert"];

    /// <summary>How many scores are computed between two commits (a stopped step keeps what it computed).</summary>
    private const int BertScoreCommitEvery = 32;

    /// <summary>The embedding model of <c>--bertscore-model</c>, checked (not loaded) and hashed.</summary>
    private sealed record BertScoreModel(string Argument, string Name, string Path, string Sha256, long SizeBytes, string Architecture, string Quantization, long Parameters);

    /// <summary>What the BERTScore step did, for the audit and the report.</summary>
    private sealed record BertScoreOutcome(int Computed, int AlreadyStored, int WithoutReference);

    /// <summary>
    /// Resolves <c>--bertscore-model</c> as <c>metrics score</c> and <c>agreement --embedding-model</c> do (a <c>Models</c>
    /// name or a GGUF path) and checks, without loading it, that the file exists, is a valid GGUF file and a BERT-family
    /// embedding model. Every failure is one line naming the option and the file.
    /// </summary>
    private static BertScoreModel PrepareBertScoreModel(CliHost host, string argument)
    {
        string name;
        string path;
        try
        {
            (name, path, _) = host.ResolveModel(argument);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"--bertscore-model: {e.Message}", e.FileName, e);
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"--bertscore-model: the model file {path} of '{argument}' (Models:{argument}:File in appsettings.json) does not exist.", path);
        }

        ModelFile file;
        try
        {
            file = ReadModelFile(path);
        }
        catch (GgufFormatException e)
        {
            throw new InvalidDataException($"--bertscore-model: {path} is not a usable GGUF model: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"--bertscore-model: {e.Message}", e);
        }

        if (file.Architecture is not { } architecture || !EmbeddingArchitectures.Contains(architecture, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"--bertscore-model: {path} is a '{file.Architecture ?? "unknown"}' model, not a BERT-family embedding model ({string.Join(", ", EmbeddingArchitectures)}); " +
                "BERTScore needs an encoder such as a BGE or MiniLM GGUF.");
        }

        return new BertScoreModel(argument, name, path, file.Sha256, file.SizeBytes, architecture, file.Quantization, file.Parameters);
    }

    /// <summary>A resumed run must score with the embedding model file (SHA-256) it started with.</summary>
    private static void CheckStoredBertScoreModel(string runId, BertScoreModel model, JsonObject? storedConfig)
    {
        if (storedConfig?["bertscore_model"] is JsonObject stored && (string?)stored["sha256"] is { } sha && !string.Equals(sha, model.Sha256, StringComparison.Ordinal))
        {
            throw new InvalidDataException(
                $"Run '{runId}' computed BERTScore with {(string?)stored["file"]} (sha256 {sha}); --bertscore-model {model.Argument} is now {model.Path} with sha256 {model.Sha256}. " +
                "A resumed run must use the same embedding model file; start a new run instead.");
        }
    }

    /// <summary>A new run's configuration with its BERTScore embedding model (file, SHA-256, …); unchanged when there is none.</summary>
    private static string WithBertScoreModel(string configurationJson, BertScoreModel? model)
    {
        if (model is null)
        {
            return configurationJson;
        }

        var config = JsonNode.Parse(configurationJson)!.AsObject();
        config["bertscore_model"] = new JsonObject
        {
            ["name"] = model.Name,
            ["argument"] = model.Argument,
            ["file"] = model.Path,
            ["sha256"] = model.Sha256,
            ["size_bytes"] = model.SizeBytes,
            ["architecture"] = model.Architecture,
            ["quantization"] = model.Quantization,
            ["parameters"] = model.Parameters,
            ["metric"] = BertScoreMetric.MetricName,
            ["idf"] = false,
            ["rescaled"] = false,
        };
        return config.ToJsonString();
    }

    /// <summary>
    /// Scores, with the embedding model, every stored answer of the run's open-ended benchmarks whose instance has a
    /// non-blank reference and that has no <see cref="BertScoreMetric.MetricName"/> row yet (a resume computes only the
    /// missing ones; nothing at all loads no model), and stores each F1 as a secondary score (<c>is_main = 0</c>),
    /// committed every few answers. Runs after the jury: the judges are released by then, so one model is in memory
    /// at a time. Only counts are printed, never text.
    /// </summary>
    private static async Task<BertScoreOutcome?> RunBertScoreAsync(
        CliHost host, SqliteResultStore store, string runId, BertScoreModel? model, IReadOnlyList<PlannedBenchmark> benchmarks, ScoringMode mode,
        CancellationToken cancellationToken)
    {
        if (model is null)
        {
            return null;
        }

        var scored = await store.GetScoredRequestIdsAsync(runId, BertScoreMetric.MetricName, cancellationToken);
        var pending = new List<JuryCandidate>();
        var (already, withoutReference) = (0, 0);
        // a benchmark whose main metric has this name keeps the name for its jury score
        foreach (var benchmark in benchmarks.Where(b => b.Definition.MainMetric != BertScoreMetric.MetricName))
        {
            foreach (var candidate in await store.GetJuryCandidatesAsync(runId, benchmark.Definition.Name, cancellationToken))
            {
                if (string.IsNullOrWhiteSpace(candidate.Gold))
                {
                    withoutReference++;
                }
                else if (scored.Contains(candidate.RequestId))
                {
                    already++;
                }
                else
                {
                    pending.Add(candidate);
                }
            }
        }

        var outcome = new BertScoreOutcome(pending.Count, already, withoutReference);
        var label = $"bertscore ({model.Name})";
        if (pending.Count == 0)
        {
            Console.Error.WriteLine(already > 0
                ? $"{label}: nothing to compute ({already} score(s) of this run reused)"
                : $"{label}: nothing to compute (no open-ended answer with a reference)");
            return outcome;
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: scoring {pending.Count} answer(s){(already > 0 ? $", {already} reused" : "")}{(withoutReference > 0 ? $", {withoutReference} without a reference skipped" : "")}"));
        var (metric, owner) = await BertScoreSetup.CreateAsync(host, model.Argument, "", withIdf: false, cancellationToken);
        using (owner)
        {
            await ProgressReporter.RunAsync(label, pending.Count, async progress =>
            {
                var batch = new List<(long RequestId, double Value)>(BertScoreCommitEvery);
                try
                {
                    for (var i = 0; i < pending.Count; i++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var candidate = pending[i];
                        var f1 = metric.Score(candidate.Output, GoldRecord.From(("gold", candidate.Gold)), mode)[BertScoreMetric.MetricName];
                        batch.Add((candidate.RequestId, f1));
                        if (batch.Count == BertScoreCommitEvery)
                        {
                            await store.SaveSecondaryScoresAsync(runId, BertScoreMetric.MetricName, batch, CancellationToken.None);
                            batch.Clear();
                        }

                        progress.Report(new EvaluationProgress(runId, model.Name, candidate.Benchmark, i + 1, pending.Count));
                    }
                }
                finally
                {
                    // what was computed is kept, also when the step is stopped
                    await store.SaveSecondaryScoresAsync(runId, BertScoreMetric.MetricName, batch, CancellationToken.None);
                }

                return 0;
            });
        }

        await store.AppendAuditAsync(runId, "bertscore_scored", JsonSerializer.Serialize(new
        {
            model = model.Name,
            sha256 = model.Sha256,
            metric = BertScoreMetric.MetricName,
            computed = outcome.Computed,
            reused = outcome.AlreadyStored,
            without_reference = outcome.WithoutReference,
        }), cancellationToken);
        Console.Error.WriteLine($"{label}: {pending.Count} score(s) stored as {BertScoreMetric.MetricName} (secondary)");
        return outcome;
    }
}
