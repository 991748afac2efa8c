using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;

namespace MedHelm.Application.Reports.Decision;

/// <summary>
/// A floor beside the models: what a trivial strategy scores on the instances a run evaluated, scored with the
/// project's own metrics.
/// </summary>
/// <param name="Name">The strategy: <see cref="Baselines.RandomChoice"/>, <see cref="Baselines.MajorityClass"/>, <see cref="Baselines.AlwaysFlag"/> or <see cref="Baselines.CopyInput"/>.</param>
/// <param name="Benchmark">The benchmark.</param>
/// <param name="Metric">The metric it was scored with: the benchmark's main metric, or ROUGE-L for an open-ended benchmark (whose main score is the jury's).</param>
/// <param name="Score">The mean score over the instances (0-1).</param>
/// <param name="Instances">Instances scored.</param>
/// <param name="Method">How: "exact expectation" (random choice: every option's score averaged, no sampling) or "scored" (one synthetic prediction per instance).</param>
/// <param name="Prediction">What it answered, in words (never instance text).</param>
public sealed record BaselineScore(string Name, string Benchmark, string Metric, double Score, int Instances, string Method, string Prediction);

/// <summary>
/// Floors computed by scoring synthetic predictions over a run's instances: random choice and majority class for
/// closed benchmarks with letters or labels, "always flag an error" for MedEC, "copy the input" (ROUGE-L against the
/// reference) for open-ended benchmarks. Random choice is the exact expectation (the mean over the options of each
/// option's score), so it needs no seed and does not vary. Majority class answers the most frequent gold answer of the
/// evaluated instances themselves (ties: the first in ordinal order): a floor that already knows the label balance.
/// Benchmarks scored by number, code list or SQL execution get no floor.
/// </summary>
public static class Baselines
{
    /// <summary>Uniformly random option or label (its expectation).</summary>
    public const string RandomChoice = "random choice";

    /// <summary>The most frequent gold answer, every time.</summary>
    public const string MajorityClass = "majority class";

    /// <summary>MedEC: every note has an error (with no sentence id).</summary>
    public const string AlwaysFlag = "always flag an error";

    /// <summary>An open-ended answer that repeats the instance's input.</summary>
    public const string CopyInput = "copy the input";

    /// <summary>The metric "copy the input" is scored with.</summary>
    public const string CopyInputMetric = "rouge_l";

    private const string Expectation = "exact expectation";
    private const string Scored = "scored";

    /// <summary>The floors of <paramref name="definition"/> on <paramref name="instances"/> (empty when none applies or there are no instances).</summary>
    public static IReadOnlyList<BaselineScore> Compute(BenchmarkDefinition definition, IReadOnlyList<BenchmarkInstance> instances, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(instances);
        if (instances.Count == 0)
        {
            return [];
        }

        var name = definition.Name;
        if (definition.MainMetric == MedecMetrics.FlagAccuracy)
        {
            const string flag = "ERROR";
            return [new(AlwaysFlag, name, definition.MainMetric, instances.Average(i => MedecMetrics.Score(flag, i.Gold, mode).Flag), instances.Count, Scored, $"\"{flag}\" (an error, no sentence id)")];
        }

        if (definition.IsOpen)
        {
            var withReference = instances.Where(i => !string.IsNullOrWhiteSpace(i.Gold)).ToArray();
            if (withReference.Length == 0)
            {
                return [];
            }

            var rouge = new RougeMetric(0);
            var score = withReference.Average(i => rouge.Score(InputText(definition, i), GoldRecord.From(("gold", i.Gold)), mode)[rouge.Name]);
            return [new(CopyInput, name, CopyInputMetric, score, withReference.Length, Scored, "the instance's input fields, verbatim")];
        }

        return definition.AnswerKind switch
        {
            AnswerKind.Letter => LetterFloors(definition, instances, mode),
            AnswerKind.YesNo or AnswerKind.Label => LabelFloors(definition, instances, mode),
            _ => [],
        };
    }

    /// <summary>What "copy the input" answers: the instance's input fields in the definition's order (the question when it has none).</summary>
    public static string InputText(BenchmarkDefinition definition, BenchmarkInstance instance)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(instance);
        var parts = definition.InputFields.Select(f => instance.Fields.TryGetValue(f.Key, out var v) ? v : null).OfType<string>().ToArray();
        return parts.Length > 0 ? string.Join("\n\n", parts) : instance.Question;
    }

    private static List<BaselineScore> LetterFloors(BenchmarkDefinition definition, IReadOnlyList<BenchmarkInstance> instances, ScoringMode mode)
    {
        var random = instances.Average(i => i.Options.Count == 0
            ? 0
            : i.OptionLetters.Average(letter => ExactMatch.Score(letter.ToString(), i.Gold, mode, i.OptionLetters)));
        var majority = Majority(instances.Select(i => i.Gold.Trim()));
        return
        [
            new(RandomChoice, definition.Name, definition.MainMetric, random, instances.Count, Expectation, "each option letter with equal probability"),
            new(MajorityClass, definition.Name, definition.MainMetric, instances.Average(i => ExactMatch.Score(majority, i.Gold, mode, i.OptionLetters)),
                instances.Count, Scored, $"always \"{majority}\""),
        ];
    }

    private static List<BaselineScore> LabelFloors(BenchmarkDefinition definition, IReadOnlyList<BenchmarkInstance> instances, ScoringMode mode)
    {
        IReadOnlyList<string> labels = definition.Labels.Count > 0
            ? definition.Labels
            : definition.AnswerKind == AnswerKind.YesNo ? ["yes", "no"] : instances.Select(i => i.Gold.Trim()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var metricLabels = definition.Labels.Count > 0 ? definition.Labels : null;
        var random = instances.Average(i => labels.Average(label => LabelMatch.Score(label, i.Gold, mode, metricLabels)));
        var majority = Majority(instances.Select(i => i.Gold.Trim()));
        return
        [
            new(RandomChoice, definition.Name, definition.MainMetric, random, instances.Count, Expectation, $"each of {labels.Count} labels with equal probability"),
            new(MajorityClass, definition.Name, definition.MainMetric, instances.Average(i => LabelMatch.Score(majority, i.Gold, mode, metricLabels)),
                instances.Count, Scored, $"always \"{majority}\""),
        ];
    }

    private static string Majority(IEnumerable<string> golds) =>
        golds.GroupBy(g => g, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
}
