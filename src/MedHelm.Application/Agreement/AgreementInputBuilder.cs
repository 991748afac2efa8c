using System.Text.Json.Nodes;
using MedHelm.Application.Errors;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Jury;

namespace MedHelm.Application.Agreement;

/// <summary>
/// What <c>medhelm agreement</c> compares the clinicians with, and how it was gathered.
/// </summary>
/// <param name="Clinicians">The clinician ratings that take part (for a run: those of outputs the run holds).</param>
/// <param name="Jury">The judges' ratings.</param>
/// <param name="Metrics">ROUGE-L and BERTScore per output (either may be missing).</param>
/// <param name="Notes">Per comparison row, why it has no figures (e.g. BERTScore not computed).</param>
/// <param name="Source">Where everything came from, with the counts behind it (printed by <c>--json</c>).</param>
/// <param name="Lines">The same, as lines printed above the table.</param>
/// <param name="Warnings">What was left out or may mislead, for stderr with <c>--json</c> (the lines say the same).</param>
public sealed record AgreementInputs(
    IReadOnlyList<ClinicianRating> Clinicians,
    IReadOnlyList<JuryRating> Jury,
    IReadOnlyList<MetricScores> Metrics,
    IReadOnlyDictionary<string, string> Notes,
    JsonObject Source,
    IReadOnlyList<string> Lines,
    IReadOnlyList<string> Warnings);

/// <summary>Gathers the comparators of clinician agreement (<c>medhelm agreement</c>): from CSV files, or from a stored run.</summary>
public sealed class AgreementInputBuilder(IResultsDatabaseFactory databases, MedHelmPaths paths, IModelLoader loader)
{
    private const int Examples = 5;

    /// <summary><c>--jury FILE</c>: the jury's ratings and (optionally) the metric scores come from CSV files.</summary>
    public static AgreementInputs FromFiles(IReadOnlyList<ClinicianRating> clinicians, string juryPath, string? metricsPath)
    {
        var jury = AgreementCsv.ReadJuryRatings(juryPath);
        var metrics = metricsPath is null ? [] : AgreementCsv.ReadMetricScores(metricsPath);
        var notes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metricsPath is null)
        {
            notes[ClinicianAgreement.RougeRow] = "not computed: give --metric-scores, or --run RUN_ID to compute it from the stored outputs";
            notes[ClinicianAgreement.BertScoreRow] = "not computed: give --metric-scores with a bertscore column, or --run RUN_ID with --embedding-model";
        }
        else
        {
            if (metrics.All(m => m.RougeL is null))
            {
                notes[ClinicianAgreement.RougeRow] = $"no rouge_l values in {Path.GetFileName(metricsPath)}";
            }

            if (metrics.All(m => m.BertScore is null))
            {
                notes[ClinicianAgreement.BertScoreRow] = $"no bertscore values in {Path.GetFileName(metricsPath)}";
            }
        }

        var source = new JsonObject
        {
            ["kind"] = "files",
            ["jury_file"] = juryPath,
            ["metric_scores_file"] = metricsPath,
            ["clinician_ratings"] = clinicians.Count,
            ["jury_ratings"] = jury.Count,
        };
        string[] lines =
        [
            $"jury: {jury.Count} rating(s) by {Count(jury.Select(j => j.Judge))} judge(s) from {Path.GetFileName(juryPath)}",
            metricsPath is null ? "ROUGE-L, BERTScore: no --metric-scores file" : $"ROUGE-L, BERTScore: from {Path.GetFileName(metricsPath)}",
        ];
        return new AgreementInputs(clinicians, jury, metrics, notes, source, lines, []);
    }

    /// <summary>
    /// <c>--run RUN_ID</c>: the jury ratings stored for the run (one model's outputs), ROUGE-L computed from the stored
    /// outputs and references (unless a metric-scores file is given), BERTScore when an embedding model is given.
    /// Clinician ratings of outputs the run does not hold are left out and counted.
    /// </summary>
    public async Task<AgreementInputs> FromRunAsync(
        string runId, string? model, IReadOnlyList<ClinicianRating> clinicians, string? metricsPath, string? embeddingModel,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clinicians);
        var databasePath = paths.DatabasePath;
        if (!paths.DatabaseMayExist)
        {
            throw new NotFoundException(
                $"There is no run '{runId}': there is no results database at {databasePath} yet (see `medhelm runs list`; runs are made with `medhelm run`).");
        }

        await using var store = await databases.OpenAsync(databasePath, create: false, cancellationToken).ConfigureAwait(false);
        var run = await store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"There is no run '{runId}' in the results database {store.Location} (see `medhelm runs list`).");
        var manifest = ReadManifest(runId, run.ConfigurationJson);
        var stored = await store.GetJuryRatingsAsync(runId, cancellationToken).ConfigureAwait(false);

        IReadOnlyList<string> models = manifest?.Models.Select(m => m.Name).Distinct(StringComparer.Ordinal).ToArray() ?? [];
        if (models.Count == 0)
        {
            models = (await store.GetRunResultsAsync(runId, includeOutputs: false, cancellationToken).ConfigureAwait(false)).Select(r => r.Model)
                .Concat(stored.Select(r => r.Model)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        }

        var selected = SelectModel(runId, model, models);
        var warnings = new List<string>();
        var lines = new List<string>();
        var status = run.Status.ToString().ToLowerInvariant();
        lines.Add($"run {runId} ({status}), model {selected}; database {databasePath}");
        if (run.Status != Evaluation.Results.RunStatus.Completed)
        {
            warnings.Add($"note: run '{runId}' is {status}, not completed; its outputs and jury ratings may be incomplete.");
        }

        // The outputs of the selected model on the benchmarks the clinicians rated.
        var candidates = new List<JuryCandidate>();
        foreach (var benchmark in clinicians.Select(c => c.Benchmark).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            candidates.AddRange((await store.GetJuryCandidatesAsync(runId, benchmark, cancellationToken).ConfigureAwait(false)).Where(c => c.Model == selected));
        }

        var held = candidates.Select(c => (c.Benchmark, c.InstanceId)).ToHashSet();
        var used = clinicians.Where(c => held.Contains((c.Benchmark, c.InstanceId))).ToArray();
        var left = clinicians.Where(c => !held.Contains((c.Benchmark, c.InstanceId))).ToArray();
        var leftKeys = left.Select(c => $"{c.Benchmark}/{c.InstanceId}").Distinct(StringComparer.Ordinal).ToArray();
        IReadOnlyList<string> runBenchmarks = manifest?.Benchmarks.Select(b => b.Name).Distinct(StringComparer.Ordinal).ToArray() ?? [];
        if (used.Length == 0)
        {
            throw new RequestValidationException(
                $"None of the {clinicians.Count} clinician rating(s) is of an output of model '{selected}' in run '{runId}' " +
                $"(the run's benchmarks: {(runBenchmarks.Count == 0 ? "none recorded" : string.Join(", ", runBenchmarks))}; " +
                $"first rated: {string.Join(", ", leftKeys.Take(Examples))}). Check the benchmark and instance_id columns.");
        }

        lines.Add($"clinicians: {used.Length} of {clinicians.Count} rating(s) used, by {Count(used.Select(c => c.RaterId))} rater(s)");
        if (left.Length > 0)
        {
            var message = $"{left.Length} clinician rating(s) of {leftKeys.Length} output(s) that run '{runId}' does not hold for model '{selected}' are left out: " +
                string.Join(", ", leftKeys.Take(Examples)) + (leftKeys.Length > Examples ? ", …" : "");
            warnings.Add("note: " + message);
            lines.Add("clinicians: " + message);
        }

        var rated = used.Select(c => (c.Benchmark, c.InstanceId)).ToHashSet();
        var notes = new Dictionary<string, string>(StringComparer.Ordinal);

        // Jury: each judge's verdict on each rated output, its criteria mapped by position of the rubric's criteria.
        var rubrics = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var jury = new List<JuryRating>();
        var (failures, incomplete) = (0, 0);
        var ofModel = stored.Where(r => r.Model == selected).ToArray();
        foreach (var verdict in ofModel.Where(r => rated.Contains((r.Benchmark, r.InstanceId))).GroupBy(r => (r.RequestId, r.Judge)))
        {
            var first = verdict.First();
            var scores = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var r in verdict.Where(r => r.Rating is not null && r.Criterion != StoredJuryRating.FailureCriterion))
            {
                scores[r.Criterion] = r.Rating!.Value;
            }

            if (scores.Count == 0)
            {
                failures++;
                continue;
            }

            if (!rubrics.TryGetValue(first.Benchmark, out var criteria))
            {
                criteria = rubrics[first.Benchmark] = CriteriaOf(first.Benchmark);
            }

            if (ClinicianAgreement.FromVerdict(first.InstanceId, first.Benchmark, first.Judge, criteria, scores) is { } rating)
            {
                jury.Add(rating);
            }
            else
            {
                incomplete++;
            }
        }

        var judges = jury.Select(j => j.Judge).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var juryInstances = Count(jury.Select(j => (j.Benchmark, j.InstanceId)));
        if (ofModel.Length == 0)
        {
            notes[ClinicianAgreement.JuryRow] = $"run '{runId}' has no jury ratings for model '{selected}' (run it with --jury)";
        }
        else if (jury.Count == 0)
        {
            notes[ClinicianAgreement.JuryRow] = failures + incomplete == 0
                ? "the jury rated none of the outputs the clinicians rated"
                : $"no usable verdict on the rated outputs ({failures} failure(s), {incomplete} incomplete skipped)";
        }

        lines.Add($"jury: {jury.Count} verdict(s) on {juryInstances} rated output(s) by {judges.Length} judge(s){(judges.Length > 0 ? " (" + string.Join(", ", judges) + ")" : "")}; " +
            $"skipped {failures} failure(s) and {incomplete} incomplete verdict(s)");
        if (failures + incomplete > 0)
        {
            warnings.Add($"note: {failures} judge failure(s) and {incomplete} incomplete verdict(s) on the rated outputs are skipped.");
        }

        var ratedCandidates = candidates.Where(c => rated.Contains((c.Benchmark, c.InstanceId))).ToArray();
        var withGold = ratedCandidates.Where(c => !string.IsNullOrWhiteSpace(c.Gold)).ToArray();
        var withoutGold = Count(ratedCandidates.Where(c => string.IsNullOrWhiteSpace(c.Gold)).Select(c => (c.Benchmark, c.InstanceId)));
        var fileMetrics = metricsPath is null ? null : AgreementCsv.ReadMetricScores(metricsPath);
        var metrics = new List<MetricScores>();

        // ROUGE-L: from the file when one is given, else from the stored output and reference.
        JsonObject rouge;
        if (fileMetrics is not null)
        {
            var values = fileMetrics.Where(m => m.RougeL is not null).Select(m => m with { BertScore = null }).ToArray();
            metrics.AddRange(values);
            rouge = new JsonObject { ["source"] = metricsPath, ["instances"] = Count(values.Where(v => rated.Contains((v.Benchmark, v.InstanceId))).Select(v => (v.Benchmark, v.InstanceId))) };
            lines.Add($"ROUGE-L: from {Path.GetFileName(metricsPath)}");
            if (values.Length == 0)
            {
                notes[ClinicianAgreement.RougeRow] = $"no rouge_l values in {Path.GetFileName(metricsPath)}";
            }
        }
        else
        {
            metrics.AddRange(withGold.Select(c => new MetricScores(c.InstanceId, c.Benchmark, Rouge.RougeL(c.Gold, c.Output, ScoringMode.Corrected).FMeasure, null)));
            var instances = Count(withGold.Select(c => (c.Benchmark, c.InstanceId)));
            rouge = new JsonObject { ["source"] = "computed from the stored outputs and references", ["instances"] = instances, ["without_reference"] = withoutGold };
            lines.Add($"ROUGE-L: computed from the stored outputs and references ({instances} output(s){(withoutGold > 0 ? $"; {withoutGold} without a reference left out" : "")})");
            if (withGold.Length == 0)
            {
                notes[ClinicianAgreement.RougeRow] = "not computed: the rated outputs have no stored reference answer";
            }
        }

        // BERTScore: computed with the embedding model when one is given, else from the file, else not at all (said so).
        JsonObject bert;
        if (embeddingModel is not null)
        {
            using (var lease = await loader.LeaseEmbedderAsync(embeddingModel, cancellationToken).ConfigureAwait(false))
            {
                var metric = new BertScoreMetric(lease.Client);
                foreach (var c in withGold)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var f1 = metric.Score(c.Output, GoldRecord.From(("gold", c.Gold)), ScoringMode.Corrected)[BertScoreMetric.MetricName];
                    metrics.Add(new MetricScores(c.InstanceId, c.Benchmark, null, f1));
                }
            }

            var instances = Count(withGold.Select(c => (c.Benchmark, c.InstanceId)));
            bert = new JsonObject { ["source"] = $"computed with {embeddingModel}", ["instances"] = instances, ["without_reference"] = withoutGold };
            lines.Add($"BERTScore-F1: computed with {embeddingModel} ({instances} output(s))");
            if (withGold.Length == 0)
            {
                notes[ClinicianAgreement.BertScoreRow] = "not computed: the rated outputs have no stored reference answer";
            }

            if (fileMetrics?.Any(m => m.BertScore is not null) == true)
            {
                warnings.Add($"note: the bertscore column of {Path.GetFileName(metricsPath)} is ignored; BERTScore is computed with {embeddingModel}.");
                lines.Add($"BERTScore-F1: the bertscore column of {Path.GetFileName(metricsPath)} is ignored");
            }
        }
        else if (fileMetrics?.Where(m => m.BertScore is not null).Select(m => m with { RougeL = null }).ToArray() is { Length: > 0 } values)
        {
            metrics.AddRange(values);
            bert = new JsonObject { ["source"] = metricsPath, ["instances"] = Count(values.Where(v => rated.Contains((v.Benchmark, v.InstanceId))).Select(v => (v.Benchmark, v.InstanceId))) };
            lines.Add($"BERTScore-F1: from {Path.GetFileName(metricsPath)}");
        }
        else
        {
            var why = fileMetrics is null
                ? "not computed: give --embedding-model (an ONNX or BERT GGUF encoder)"
                : $"not computed: no bertscore values in {Path.GetFileName(metricsPath)} and no --embedding-model";
            notes[ClinicianAgreement.BertScoreRow] = why;
            bert = new JsonObject { ["source"] = null, ["instances"] = 0, ["note"] = why };
            lines.Add("BERTScore-F1: " + why);
        }

        var source = new JsonObject
        {
            ["kind"] = "run",
            ["run_id"] = runId,
            ["status"] = status,
            ["database"] = databasePath,
            ["model"] = selected,
            ["models"] = new JsonArray(models.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
            ["clinician_ratings"] = clinicians.Count,
            ["clinician_ratings_used"] = used.Length,
            ["not_in_run"] = new JsonObject
            {
                ["ratings"] = left.Length,
                ["outputs"] = leftKeys.Length,
                ["examples"] = new JsonArray(leftKeys.Take(Examples).Select(k => (JsonNode)JsonValue.Create(k)!).ToArray()),
            },
            ["jury"] = new JsonObject
            {
                ["judges"] = new JsonArray(judges.Select(j => (JsonNode)JsonValue.Create(j)!).ToArray()),
                ["verdicts_used"] = jury.Count,
                ["instances"] = juryInstances,
                ["skipped_failures"] = failures,
                ["skipped_incomplete"] = incomplete,
            },
            ["rouge_l"] = rouge,
            ["bertscore"] = bert,
        };
        return new AgreementInputs(used, jury, metrics, notes, source, lines, warnings);
    }

    private static string SelectModel(string runId, string? model, IReadOnlyList<string> models)
    {
        var list = string.Join(", ", models);
        if (model is not null)
        {
            return models.Contains(model, StringComparer.Ordinal)
                ? model
                : throw new NotFoundException($"Run '{runId}' has no model '{model}'; its model(s): {(models.Count == 0 ? "none" : list)}.");
        }

        return models.Count switch
        {
            1 => models[0],
            0 => throw new RequestValidationException($"Run '{runId}' has no model outputs to compare with the clinicians."),
            _ => throw new RequestValidationException($"Run '{runId}' has {models.Count} models ({list}); say which one the clinicians rated with --model NAME."),
        };
    }

    /// <summary>The criteria a run's jury used on <paramref name="benchmark"/> (the rubric <c>medhelm run</c> builds), in order.</summary>
    private static IReadOnlyList<string> CriteriaOf(string benchmark) =>
        (BuiltInBenchmarks.Find(benchmark) is { } definition ? JuryRubric.For(definition) : JuryRubric.For(benchmark)).CriterionNames;

    /// <summary>The run's manifest, or null when its configuration is not one (then models and benchmarks come from its rows).</summary>
    private static RunManifest? ReadManifest(string runId, string configurationJson)
    {
        try
        {
            return RunManifestJson.Parse(runId, configurationJson);
        }
        catch (ConflictException)
        {
            return null;
        }
    }

    private static int Count<T>(IEnumerable<T> values) => values.Distinct().Count();
}
