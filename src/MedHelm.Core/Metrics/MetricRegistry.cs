namespace MedHelm.Core.Metrics;

/// <summary>Letter exact match (<see cref="ExactMatch"/>) as an <see cref="IMetric"/>: fields <c>gold</c>, optional <c>valid_letters</c> ("ABC" or ["A","B","C"]).</summary>
public sealed class ExactMatchMetric : MeanMetric
{
    /// <inheritdoc />
    public override string Name => ExactMatch.MetricName;

    /// <inheritdoc />
    public override string Description => "Multiple-choice letter exact match; gold a letter, optional 'valid_letters'.";

    /// <inheritdoc />
    public override IReadOnlyList<string> RequiredFields { get; } = ["gold"];

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, double> Score(string? prediction, GoldRecord gold, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(gold);
        IReadOnlyList<char>? letters = gold.Get("valid_letters") is { ValueKind: System.Text.Json.JsonValueKind.Array }
            ? gold.OptionalStringArray("valid_letters")!.SelectMany(s => s.Trim()).ToArray()
            : gold.OptionalString("valid_letters")?.Where(char.IsLetter).ToArray();
        return new Dictionary<string, double> { [Name] = ExactMatch.Score(prediction, gold.RequireString("gold"), mode, letters) };
    }
}

/// <summary>ROUGE-1, ROUGE-2 or ROUGE-L F-measure (<see cref="Rouge"/>) as an <see cref="IMetric"/>: field <c>gold</c> (the reference text).</summary>
public sealed class RougeMetric : MeanMetric
{
    private readonly int _n;

    /// <summary>n = 1 or 2 for ROUGE-N, 0 for ROUGE-L.</summary>
    public RougeMetric(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 4);
        _n = n;
    }

    /// <inheritdoc />
    public override string Name => _n == 0 ? "rouge_l" : $"rouge_{_n}";

    /// <inheritdoc />
    public override string Description => $"{(_n == 0 ? "ROUGE-L" : $"ROUGE-{_n}")} F-measure (rouge-score, Porter stemming); gold the reference text.";

    /// <inheritdoc />
    public override IReadOnlyList<string> RequiredFields { get; } = ["gold"];

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, double> Score(string? prediction, GoldRecord gold, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(gold);
        var reference = gold.RequireString("gold");
        var s = _n == 0 ? Rouge.RougeL(reference, prediction, mode) : Rouge.RougeN(reference, prediction, _n, mode);
        return new Dictionary<string, double> { [Name] = s.FMeasure };
    }
}

/// <summary>BLEU-4 (<see cref="Bleu"/>) as an <see cref="IMetric"/>: field <c>gold</c> (the reference text).</summary>
public sealed class BleuMetric : MeanMetric
{
    /// <inheritdoc />
    public override string Name => "bleu_4";

    /// <inheritdoc />
    public override string Description => "Sentence BLEU-4 (helm: 4-gram precision only, unsmoothed; corrected: uniform 1-4, smoothing 1); gold the reference text.";

    /// <inheritdoc />
    public override IReadOnlyList<string> RequiredFields { get; } = ["gold"];

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, double> Score(string? prediction, GoldRecord gold, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(gold);
        return new Dictionary<string, double> { [Name] = Bleu.Score(gold.RequireString("gold"), prediction, mode) };
    }
}

/// <summary>The pure (I/O-free) metrics by name. EHRSQL execution accuracy needs a database and lives in MedHelm.Evaluation.</summary>
public static class MetricRegistry
{
    private static readonly IMetric[] All =
    [
        new ExactMatchMetric(), new LabelMatch(), new MedCalcAccuracy(), new MedecMetrics(), new BillingCodeF1(),
        new MicroF1(), new RougeMetric(1), new RougeMetric(2), new RougeMetric(0), new BleuMetric(),
    ];

    private static readonly Dictionary<string, IMetric> ByName = BuildIndex();

    /// <summary>Every pure metric.</summary>
    public static IReadOnlyList<IMetric> Metrics => All;

    /// <summary>Names accepted by <see cref="TryGet"/> (main names and aliases).</summary>
    public static IReadOnlyCollection<string> Names => ByName.Keys;

    /// <summary>Finds a metric by its main name or an alias (case-insensitive; '-' and '_' are interchangeable).</summary>
    public static bool TryGet(string name, out IMetric metric)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ByName.TryGetValue(Normalize(name), out metric!);
    }

    private static Dictionary<string, IMetric> BuildIndex()
    {
        var index = new Dictionary<string, IMetric>(StringComparer.Ordinal);
        foreach (var m in All)
        {
            index[m.Name] = m;
        }

        index["medcalc_bench"] = index[MedCalcAccuracy.MetricName];
        index["medec"] = index[MedecMetrics.FlagAccuracy];
        index[MedecMetrics.SentenceAccuracy] = index[MedecMetrics.FlagAccuracy];
        index["mimiciv_billing_code"] = index[BillingCodeF1.F1Name];
        index["rouge_lcs"] = index["rouge_l"];
        index["rougel"] = index["rouge_l"];
        index["rouge1"] = index["rouge_1"];
        index["rouge2"] = index["rouge_2"];
        index["bleu"] = index["bleu_4"];
        index["yes_no_maybe"] = index[LabelMatch.MetricName];
        return index;
    }

    private static string Normalize(string name) => name.Trim().ToLowerInvariant().Replace('-', '_');
}
