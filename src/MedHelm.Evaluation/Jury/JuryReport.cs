using System.Globalization;
using System.Text;
using MedHelm.Core.Statistics;

namespace MedHelm.Evaluation.Jury;

/// <summary>One judge's figures over a benchmark.</summary>
/// <param name="Verdicts">Instances it gave a verdict on.</param>
/// <param name="Failures">Instances it gave no verdict on after every attempt.</param>
/// <param name="FailedAttempts">Attempts that did not parse or failed, retried ones included.</param>
/// <param name="MeanScore">Mean of its criterion scores (1-5), NaN without verdicts.</param>
/// <param name="CriterionMeans">Mean score per criterion.</param>
public sealed record JudgeSummary(string Judge, int Verdicts, int Failures, int FailedAttempts, double MeanScore, IReadOnlyDictionary<string, double> CriterionMeans);

/// <summary>Agreement of two judges over the instances both rated: Spearman's rho and ICC(2,1) of their mean scores.</summary>
public sealed record JudgePairAgreement(string First, string Second, int Instances, double Spearman, double Icc21);

/// <summary>
/// Aggregates the jury results of one benchmark: the mean score (raw 1-5 and normalized 0-1), per-judge and
/// per-criterion breakdowns, failure counts and pairwise inter-judge agreement.
/// </summary>
public sealed record JuryReport(
    string Benchmark,
    int Instances,
    double MeanScore,
    double MeanNormalizedScore,
    IReadOnlyDictionary<JuryScoreBasis, int> InstancesByBasis,
    IReadOnlyList<JudgeSummary> Judges,
    IReadOnlyDictionary<string, double> CriterionMeans,
    IReadOnlyList<JudgePairAgreement> Pairs)
{
    /// <summary>Judge outcomes without a verdict, over all instances.</summary>
    public int JudgeFailures => Judges.Sum(j => j.Failures);

    /// <summary>How many judges each score rests on: judges counted → instances (instances scored from verdicts only).</summary>
    public IReadOnlyDictionary<int, int> InstancesByJudgesCounted { get; init; } = new Dictionary<int, int>();

    public static JuryReport Build(string benchmark, IReadOnlyList<string> criteria, IReadOnlyList<string> judges, IReadOnlyList<JuryResult> results)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        ArgumentNullException.ThrowIfNull(judges);
        ArgumentNullException.ThrowIfNull(results);
        var byBasis = Enum.GetValues<JuryScoreBasis>().ToDictionary(b => b, b => results.Count(r => r.Basis == b));
        var summaries = judges.Select(name =>
        {
            var outcomes = results.Select(r => r.Of(name)).OfType<JudgeOutcome>().ToArray();
            var verdicts = outcomes.Where(o => o.Succeeded).Select(o => o.Verdict!).ToArray();
            return new JudgeSummary(
                name,
                verdicts.Length,
                outcomes.Count(o => !o.Succeeded),
                outcomes.Sum(o => o.FailedAttempts),
                MeanOrNaN(verdicts.SelectMany(v => v.Ratings.Values).Select(r => (double)r.Score)),
                criteria.ToDictionary(c => c, c => MeanOrNaN(verdicts.Where(v => v.Ratings.ContainsKey(c)).Select(v => (double)v.Ratings[c].Score)), StringComparer.Ordinal));
        }).ToArray();

        var allVerdicts = results.SelectMany(r => r.Judges).Where(o => o.Succeeded).Select(o => o.Verdict!).ToArray();
        var criterionMeans = criteria.ToDictionary(
            c => c, c => MeanOrNaN(allVerdicts.Where(v => v.Ratings.ContainsKey(c)).Select(v => (double)v.Ratings[c].Score)), StringComparer.Ordinal);

        var pairs = new List<JudgePairAgreement>();
        for (var a = 0; a < judges.Count; a++)
        {
            for (var b = a + 1; b < judges.Count; b++)
            {
                var shared = results
                    .Select(r => (First: r.Of(judges[a])?.Verdict, Second: r.Of(judges[b])?.Verdict))
                    .Where(p => p.First is not null && p.Second is not null)
                    .Select(p => (p.First!.MeanScore, p.Second!.MeanScore))
                    .ToArray();
                var x = shared.Select(s => s.Item1).ToArray();
                var y = shared.Select(s => s.Item2).ToArray();
                pairs.Add(new JudgePairAgreement(
                    judges[a], judges[b], shared.Length,
                    RankCorrelation.Spearman(x, y),
                    shared.Length < 2 ? double.NaN : IntraclassCorrelation.Compute(IntraclassCorrelation.FromColumns(x, y), IccForm.Icc2Single)));
            }
        }

        return new JuryReport(
            benchmark,
            results.Count,
            MeanOrNaN(results.Select(r => r.Score)),
            MeanOrNaN(results.Select(r => r.NormalizedScore)),
            byBasis,
            summaries,
            criterionMeans,
            pairs)
        {
            InstancesByJudgesCounted = results.Where(r => r.Basis == JuryScoreBasis.Verdicts)
                .GroupBy(r => r.JudgesCounted).OrderByDescending(g => g.Key).ToDictionary(g => g.Key, g => g.Count()),
        };
    }

    /// <summary>A plain-text report (numbers only, no patient text).</summary>
    public string Format()
    {
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"Jury on {Benchmark}: {Instances} instances, score {F(MeanScore)} (1-5), normalized {F(MeanNormalizedScore)}\n");
        b.Append(CultureInfo.InvariantCulture,
            $"  rests on verdicts: {InstancesByBasis[JuryScoreBasis.Verdicts]}, empty output (score 1): {InstancesByBasis[JuryScoreBasis.EmptyResponse]}, no verdict from any judge (score 1): {InstancesByBasis[JuryScoreBasis.NoVerdict]}\n");
        if (InstancesByJudgesCounted.Count > 0)
        {
            b.Append("  judges behind each score: ")
                .AppendJoin("; ", InstancesByJudgesCounted.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} judge(s) for {p.Value} instance(s)")))
                .Append('\n');
        }

        var criteria = CriterionMeans.Keys.ToArray();
        b.Append(CultureInfo.InvariantCulture, $"  {"judge",-24} {"verdicts",8} {"failed",7} {"retries",7} {"mean",6}");
        foreach (var c in criteria)
        {
            b.Append(CultureInfo.InvariantCulture, $" {Short(c),12}");
        }

        b.Append('\n');
        foreach (var j in Judges)
        {
            b.Append(CultureInfo.InvariantCulture, $"  {j.Judge,-24} {j.Verdicts,8} {j.Failures,7} {j.FailedAttempts,7} {F(j.MeanScore),6}");
            foreach (var c in criteria)
            {
                b.Append(CultureInfo.InvariantCulture, $" {F(j.CriterionMeans[c]),12}");
            }

            b.Append('\n');
        }

        b.Append(CultureInfo.InvariantCulture, $"  {"all judges",-24} {Judges.Sum(j => j.Verdicts),8} {JudgeFailures,7} {Judges.Sum(j => j.FailedAttempts),7} {"",6}");
        foreach (var c in criteria)
        {
            b.Append(CultureInfo.InvariantCulture, $" {F(CriterionMeans[c]),12}");
        }

        b.Append('\n');
        if (Pairs.Count > 0)
        {
            b.Append("  inter-judge agreement (mean score per instance):\n");
            foreach (var p in Pairs)
            {
                b.Append(CultureInfo.InvariantCulture, $"    {p.First} vs {p.Second}: Spearman {F(p.Spearman)}, ICC(2,1) {F(p.Icc21)}, N {p.Instances}\n");
            }
        }

        return b.ToString();
    }

    private static string Short(string s) => s.Length <= 12 ? s : s[..12];

    private static string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("0.000", CultureInfo.InvariantCulture);

    private static double MeanOrNaN(IEnumerable<double> values)
    {
        var list = values.ToArray();
        return list.Length == 0 ? double.NaN : list.Average();
    }
}
