using System.Globalization;
using System.Text;
using MedHelm.Core.Statistics;

namespace MedHelm.Evaluation.Jury;

/// <summary>One clinician's rating of one output on the three axes (1-5).</summary>
public sealed record ClinicianRating(string InstanceId, string Benchmark, string RaterId, double Accuracy, double Completeness, double Clarity)
{
    /// <summary>MedHELM's composite: the mean of the three axes.</summary>
    public double Composite => (Accuracy + Completeness + Clarity) / 3;
}

/// <summary>One judge's rating of one output on the three axes (1-5), as stored for a run.</summary>
public sealed record JuryRating(string InstanceId, string Benchmark, string Judge, double Accuracy, double Completeness, double Clarity)
{
    public double Composite => (Accuracy + Completeness + Clarity) / 3;
}

/// <summary>Automatic metric scores (0-1) of one output; either may be missing.</summary>
public sealed record MetricScores(string InstanceId, string Benchmark, double? RougeL, double? BertScore);

/// <summary>One line of the agreement table: an ICC(3,k) on z-scored composites, Spearman's rho and quadratic kappa, with N.</summary>
/// <param name="Comparison">"LLM jury", "Clinician-clinician", "ROUGE-L" or "BERTScore-F1".</param>
/// <param name="Instances">Instances behind the figures (0 when there is nothing to compare).</param>
/// <param name="Detail">E.g. the two raters of the clinician-clinician pair.</param>
public sealed record AgreementFigure(string Comparison, int Instances, double Icc3k, double Spearman, double WeightedKappa, string? Detail = null);

/// <summary>The figures for one benchmark, or for all benchmarks pooled ("ALL").</summary>
public sealed record AgreementGroup(string Benchmark, int ClinicianRatings, int Raters, IReadOnlyList<AgreementFigure> Figures);

/// <summary>
/// Agreement of the LLM jury (and of ROUGE-L and BERTScore) with clinicians, computed as MedHELM's
/// 4_calculate_icc.py does (reference notes §3): per instance the clinicians' composite (mean of accuracy,
/// completeness and clarity) is averaged over the clinicians who rated it; the comparator is the jury's composite
/// (mean over judges and axes) or the metric score. ICC(3,k) is taken on the two columns z-scored each over its
/// instances; Spearman's rho on the raw values; the quadratic-weighted kappa on both sides binned to 1-5
/// (<see cref="Standardization.ToScale"/>: round half to even; metric scores first mapped with 1 + 4·s). The
/// clinician-clinician baseline uses the two raters who share the most instances (ties: the alphabetically first
/// pair), each rater's composites z-scored over all of that rater's ratings in the group, ICC(3,k) over the shared
/// instances. Groups: each benchmark, then all pooled.
/// </summary>
public static class ClinicianAgreement
{
    public const string All = "ALL";
    public const string JuryRow = "LLM jury";
    public const string ClinicianRow = "Clinician-clinician";
    public const string RougeRow = "ROUGE-L";
    public const string BertScoreRow = "BERTScore-F1";

    /// <summary>The agreement figures per benchmark, then pooled.</summary>
    /// <param name="clinicians">The clinicians' ratings.</param>
    /// <param name="jury">The judges' ratings.</param>
    /// <param name="metrics">ROUGE-L and BERTScore per output, when there are any.</param>
    /// <param name="notes">
    /// Per comparison row (e.g. <see cref="BertScoreRow"/>), why it has no figures, such as "not computed: …"; shown as
    /// the row's detail in every group where the row has no other detail, so a missing comparator is explained rather
    /// than left as an unexplained N of 0.
    /// </param>
    public static IReadOnlyList<AgreementGroup> Compute(
        IReadOnlyList<ClinicianRating> clinicians, IReadOnlyList<JuryRating> jury, IReadOnlyList<MetricScores>? metrics = null,
        IReadOnlyDictionary<string, string>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(clinicians);
        ArgumentNullException.ThrowIfNull(jury);
        metrics ??= [];
        notes ??= new Dictionary<string, string>();
        var juryByKey = jury.GroupBy(r => Key(r.Benchmark, r.InstanceId)).ToDictionary(g => g.Key, g => g.Average(r => r.Composite));
        var rougeByKey = metrics.Where(m => m.RougeL is not null).GroupBy(m => Key(m.Benchmark, m.InstanceId)).ToDictionary(g => g.Key, g => g.Average(m => m.RougeL!.Value));
        var bertByKey = metrics.Where(m => m.BertScore is not null).GroupBy(m => Key(m.Benchmark, m.InstanceId)).ToDictionary(g => g.Key, g => g.Average(m => m.BertScore!.Value));

        var groups = clinicians
            .GroupBy(c => c.Benchmark, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, (IReadOnlyList<ClinicianRating>)g.ToArray()))
            .ToList();
        if (groups.Count > 1 || groups.Count == 0)
        {
            groups.Add((All, clinicians));
        }

        return groups.Select(g => Group(g.Item1, g.Item2, juryByKey, rougeByKey, bertByKey))
            .Select(g => g with
            {
                Figures = g.Figures.Select(f => f.Detail is null && notes.TryGetValue(f.Comparison, out var note) ? f with { Detail = note } : f).ToArray(),
            })
            .ToArray();
    }

    /// <summary>
    /// One judge's verdict on one output as a <see cref="JuryRating"/>: the rubric's criteria are taken by position
    /// (first = accuracy, second = completeness — "structure" for NoteExtract —, third = clarity), so a rubric that
    /// names its axes differently still lines up with the clinicians' three columns. Null when the rubric does not have
    /// exactly three criteria or the verdict lacks a score for one of them (an incomplete verdict).
    /// </summary>
    /// <param name="instanceId">The instance.</param>
    /// <param name="benchmark">The benchmark.</param>
    /// <param name="judge">The judge.</param>
    /// <param name="criteria">The rubric's criterion names, in order (<see cref="JuryRubric.CriterionNames"/>).</param>
    /// <param name="scores">The verdict: criterion name → score 1-5.</param>
    public static JuryRating? FromVerdict(
        string instanceId, string benchmark, string judge, IReadOnlyList<string> criteria, IReadOnlyDictionary<string, double> scores)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        ArgumentNullException.ThrowIfNull(scores);
        if (criteria.Count != 3)
        {
            return null;
        }

        var values = new double[3];
        for (var i = 0; i < 3; i++)
        {
            if (!scores.TryGetValue(criteria[i], out values[i]) || !double.IsFinite(values[i]))
            {
                return null;
            }
        }

        return new JuryRating(instanceId, benchmark, judge, values[0], values[1], values[2]);
    }

    private static AgreementGroup Group(
        string name, IReadOnlyList<ClinicianRating> ratings,
        Dictionary<(string, string), double> jury, Dictionary<(string, string), double> rouge, Dictionary<(string, string), double> bert)
    {
        var human = ratings.GroupBy(r => Key(r.Benchmark, r.InstanceId)).ToDictionary(g => g.Key, g => g.Average(r => r.Composite));
        var figures = new List<AgreementFigure>
        {
            Versus(JuryRow, human, jury, v => v),
            Clinicians(ratings),
            Versus(RougeRow, human, rouge, Standardization.UnitToFivePoint),
            Versus(BertScoreRow, human, bert, Standardization.UnitToFivePoint),
        };
        return new AgreementGroup(name, ratings.Count, ratings.Select(r => r.RaterId).Distinct(StringComparer.Ordinal).Count(), figures);
    }

    private static AgreementFigure Versus(
        string row, Dictionary<(string, string), double> human, Dictionary<(string, string), double> other, Func<double, double> toFivePoint)
    {
        var keys = human.Keys.Where(other.ContainsKey).OrderBy(k => k).ToArray();
        var h = keys.Select(k => human[k]).ToArray();
        var o = keys.Select(k => other[k]).ToArray();
        return Figure(row, h, o, h, o.Select(toFivePoint).ToArray(), detail: null);
    }

    private static AgreementFigure Clinicians(IReadOnlyList<ClinicianRating> ratings)
    {
        var byRater = ratings
            .GroupBy(r => r.RaterId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Rater: g.Key, Scores: g.GroupBy(r => Key(r.Benchmark, r.InstanceId)).ToDictionary(x => x.Key, x => x.Average(r => r.Composite))))
            .ToArray();
        (int A, int B, int Shared) best = (-1, -1, 0);
        for (var a = 0; a < byRater.Length; a++)
        {
            for (var b = a + 1; b < byRater.Length; b++)
            {
                var shared = byRater[a].Scores.Keys.Count(byRater[b].Scores.ContainsKey);
                if (shared > best.Shared)
                {
                    best = (a, b, shared);
                }
            }
        }

        if (best.Shared == 0)
        {
            return new AgreementFigure(ClinicianRow, 0, double.NaN, double.NaN, double.NaN, "no two clinicians rated a common instance");
        }

        var first = byRater[best.A];
        var second = byRater[best.B];
        var zFirst = ZByKey(first.Scores);
        var zSecond = ZByKey(second.Scores);
        var keys = first.Scores.Keys.Where(second.Scores.ContainsKey).OrderBy(k => k).ToArray();
        var raw1 = keys.Select(k => first.Scores[k]).ToArray();
        var raw2 = keys.Select(k => second.Scores[k]).ToArray();
        var icc = keys.Length < 2
            ? double.NaN
            : IntraclassCorrelation.Compute(IntraclassCorrelation.FromColumns(keys.Select(k => zFirst[k]).ToArray(), keys.Select(k => zSecond[k]).ToArray()), IccForm.Icc3Average);
        return new AgreementFigure(
            ClinicianRow, keys.Length, icc, RankCorrelation.Spearman(raw1, raw2), Kappa(raw1, raw2), $"{first.Rater} vs {second.Rater}");
    }

    private static AgreementFigure Figure(string row, double[] human, double[] other, double[] humanFive, double[] otherFive, string? detail)
    {
        if (human.Length < 2)
        {
            return new AgreementFigure(row, human.Length, double.NaN, double.NaN, human.Length == 0 ? double.NaN : Kappa(humanFive, otherFive), detail);
        }

        var matrix = IntraclassCorrelation.FromColumns(Standardization.ZScores(human), Standardization.ZScores(other));
        return new AgreementFigure(
            row, human.Length, IntraclassCorrelation.Compute(matrix, IccForm.Icc3Average), RankCorrelation.Spearman(human, other), Kappa(humanFive, otherFive), detail);
    }

    private static double Kappa(IReadOnlyList<double> a, IReadOnlyList<double> b) =>
        WeightedKappa.Quadratic(a.Select(x => Standardization.ToScale(x)).ToArray(), b.Select(x => Standardization.ToScale(x)).ToArray());

    private static Dictionary<(string, string), double> ZByKey(Dictionary<(string, string), double> scores)
    {
        var keys = scores.Keys.ToArray();
        var z = Standardization.ZScores(keys.Select(k => scores[k]).ToArray());
        return keys.Select((k, i) => (k, z[i])).ToDictionary(p => p.k, p => p.Item2);
    }

    private static (string, string) Key(string benchmark, string instance) => (benchmark, instance);

    /// <summary>The table laid out like MedHELM's Table 2: one block per group, one line per comparison.</summary>
    public static string Format(IReadOnlyList<AgreementGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var b = new StringBuilder();
        b.Append("Agreement with clinicians (composite = mean of accuracy, completeness, clarity; ICC(3,k) on z-scored composites;\n");
        b.Append("Spearman on raw composites; quadratic-weighted kappa on composites rounded to 1-5; N = instances)\n\n");
        b.Append(CultureInfo.InvariantCulture, $"{"benchmark",-22} {"comparison",-20} {"ICC(3,k)",9} {"Spearman",9} {"kappa(q)",9} {"N",5}\n");
        foreach (var g in groups)
        {
            foreach (var f in g.Figures)
            {
                b.Append(CultureInfo.InvariantCulture, $"{g.Benchmark,-22} {f.Comparison,-20} {F(f.Icc3k),9} {F(f.Spearman),9} {F(f.WeightedKappa),9} {f.Instances,5}");
                if (f.Detail is not null)
                {
                    b.Append("  (").Append(f.Detail).Append(')');
                }

                b.Append('\n');
            }

            b.Append(CultureInfo.InvariantCulture, $"{"",-22} {g.ClinicianRatings} clinician ratings by {g.Raters} rater(s)\n");
        }

        return b.ToString();
    }

    private static string F(double v) => !double.IsFinite(v) ? "n/a" : v.ToString("0.00", CultureInfo.InvariantCulture);
}
